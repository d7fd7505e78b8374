"""A queue worker killed with SIGKILL in the middle of a report loses nothing: after its
heartbeat times out, another worker takes its message again, and the bulk job still
ends in exactly one ZIP holding every report once. Real Redis, real worker processes
(``flask --app wsgi worker``), both databases.
"""

import io
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Unit, Wave
from survey.models_jobs import Job, JobPart
from survey.services import jobs

from .test_jobs import REDIS_URL, delete_namespace, redis_or_skip, wait_for

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def app_config(tmp_path):
    return {"JOBS_DIR": str(tmp_path / "jobs"), "JOBS_BROKER_URL": REDIS_URL,
            "JOBS_NAMESPACE": f"sipas-test-{uuid.uuid4().hex[:12]}",
            # A dead worker's messages come back after 1.5 s without a heartbeat, and
            # every fetch looks for dead workers (in production: 60 s, now and then).
            "JOBS_HEARTBEAT_TIMEOUT": 1500, "JOBS_MAINTENANCE_CHANCE": 1_000_000}


@pytest.fixture
def spawn_worker(app, database_url):
    """``spawn_worker() -> Popen``: a worker process on the test database and namespace."""
    connection = redis_or_skip()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test",
           "FLASK_APP": "wsgi", **{k: str(app.config[k]) for k in (
               "JOBS_DIR", "JOBS_BROKER_URL", "JOBS_NAMESPACE", "JOBS_HEARTBEAT_TIMEOUT",
               "JOBS_MAINTENANCE_CHANCE")}}
    started = []

    def spawn():
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        started.append(process)
        return process

    yield spawn
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stderr.close()
    delete_namespace(connection, app.config["JOBS_NAMESPACE"])
    connection.close()


def in_flight(app, job_id: str, timeout: float = 120) -> int:
    """Wait until a worker has started a part it has not finished; return its unit id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            row = db.session.execute(select(JobPart.unit_id).where(
                JobPart.job_id == job_id, JobPart.runs == 1, JobPart.done.is_(False))).first()
            if row is not None:
                return row.unit_id
        time.sleep(0.01)
    raise AssertionError("no worker started a part")


def test_a_killed_worker_loses_nothing_and_the_job_yields_one_zip(app, province, spawn_worker):
    with app.app_context():
        wave = db.session.scalar(select(Wave).where(Wave.code == "2026"))
        units = list(db.session.scalars(select(Unit).where(Unit.parent_id == province.root.id)))
        job = jobs.start_bulk_reports(None, wave, units, unit=db.session.get(Unit, province.root.id))
        job_id = job.id

    first = spawn_worker()
    unit_id = in_flight(app, job_id)
    first.send_signal(signal.SIGKILL)                   # no chance to acknowledge or clean up
    assert first.wait(timeout=30) == -signal.SIGKILL
    with app.app_context():
        part = db.session.get(JobPart, (job_id, unit_id))
        assert (part.done, part.runs) == (False, 1)
        assert db.session.get(Job, job_id).status == "running"

    second = spawn_worker()
    job = wait_for(app, job_id, timeout=180)
    assert second.poll() is None, second.stderr.read().decode()[-2000:]
    assert (job.status, job.done, job.total) == ("ready", 3, 3), job.error
    with app.app_context():
        runs = dict(db.session.execute(select(JobPart.unit_id, JobPart.runs)
                                       .where(JobPart.job_id == job_id)).all())
    assert runs[unit_id] == 2                            # the killed part ran again
    directory = Path(app.config["JOBS_DIR"]) / job_id
    assert sorted(p.name for p in directory.iterdir()) == [f"{job_id}.zip"]
    archive = zipfile.ZipFile(io.BytesIO((directory / f"{job_id}.zip").read_bytes()))
    names = archive.namelist()
    assert len(names) == len(set(names)) == 3
    assert all(archive.read(n).startswith(b"%PDF") for n in names)
