"""Background jobs from the dashboard: bulk reports and exports, progress, download, failure
and retry, scope; on the embedded queue and on real Redis (both databases).

The Redis queue gets a namespace of its own per test (its keys are deleted afterwards;
never FLUSHDB). Under ``CI=true`` a missing Redis fails the Redis tests.
"""

import io
import os
import time
import uuid
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest
import redis
from pypdf import PdfReader
from sqlalchemy import select

from survey.extensions import db
from survey.models_jobs import Job, JobPart

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_or_skip() -> redis.Redis:
    """A connection to the test Redis; a skip when it is missing (a failure under CI)."""
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.RedisError as error:
        message = f"Redis is not reachable at {REDIS_URL}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI must run the Redis tests", pytrace=False)
        pytest.skip(message)
    return connection


def delete_namespace(connection: redis.Redis, namespace: str) -> None:
    keys = list(connection.scan_iter(match=f"{namespace}*"))
    if keys:
        connection.delete(*keys)


@pytest.fixture(params=["embedded", "redis"])
def queue_mode(request):
    return request.param


@pytest.fixture
def app_config(queue_mode, tmp_path):
    config = {"JOBS_DIR": str(tmp_path / "jobs")}
    if queue_mode == "redis":
        config.update(JOBS_BROKER_URL=REDIS_URL, JOBS_NAMESPACE=f"sipas-test-{uuid.uuid4().hex[:12]}")
    return config


@pytest.fixture
def job_queue(app, queue_mode):
    """The app's queue; with Redis, a worker thread in this process consumes it."""
    queue = app.extensions["sipas_jobs"]
    connection = None
    if queue_mode == "redis":
        connection = redis_or_skip()
        queue.start_worker()
    assert queue.embedded == (queue_mode == "embedded")
    yield queue
    queue.stop()
    if connection is not None:
        delete_namespace(connection, app.config["JOBS_NAMESPACE"])
        connection.close()


def wait_for(app, job_id: str, timeout: float = 180) -> Job:
    """Poll the job's row until it is ready or failed (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            job = db.session.get(Job, job_id)
            if job.status in ("ready", "failed"):
                db.session.expunge(job)
                return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def job_id_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def test_bulk_reports_from_the_dashboard_end_in_one_zip(app, province, sign_in_as, job_queue):
    client = sign_in_as("official", units=[province.root])
    page = client.get(f"/quan-ly/don-vi/{province.root.code}?wave=2026").get_data(as_text=True)
    assert 'id="bulk-form"' in page and "Chuẩn bị các báo cáo" in page
    job_id = job_id_of(client.post(f"/quan-ly/don-vi/{province.root.code}/bao-cao-hang-loat?wave=2026",
                                   data={"which": "children"}))
    progress = client.get(f"/quan-ly/tac-vu/{job_id}")
    assert progress.status_code == 200
    job = wait_for(app, job_id)
    assert (job.status, job.done, job.total, job.error) == ("ready", 3, 3, None)

    page = client.get(f"/quan-ly/tac-vu/{job_id}").get_data(as_text=True)
    assert "Sẵn sàng" in page and "3 trên 3 báo cáo đã viết xong" in page and 'id="job-download"' in page
    assert "data-job-status-url" not in page            # finished: the script stops asking
    download = client.get(f"/quan-ly/tac-vu/{job_id}/tep")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    name = unquote(download.headers["Content-Disposition"].split("filename*=UTF-8''", 1)[1])
    assert name == "Báo cáo SIPAS - TINH - 2026.zip"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    names = sorted(archive.namelist())
    assert names == sorted(f"Báo cáo SIPAS - {u.name} - 2026.pdf"
                           for u in province.communes + [province.empty])
    text = PdfReader(io.BytesIO(archive.read(names[0]))).pages[0].extract_text()
    assert "Xã" in text or "Phường" in text
    # One output file, no temporary names or parts left behind.
    files = sorted(p.name for p in (Path(app.config["JOBS_DIR"]) / job_id).iterdir())
    assert files == [f"{job_id}.zip"]
    with app.app_context():
        runs = db.session.scalars(select(JobPart.runs).where(JobPart.job_id == job_id)).all()
    assert runs == [1, 1, 1]


def test_progress_page_in_english_refreshes_itself_while_running(app, province, sign_in_as, job_queue):
    client = sign_in_as("official", units=[province.root])
    with app.app_context():
        from survey.models import Unit, User, Wave

        user = db.session.get(User, client.user.id)
        wave = db.session.scalar(select(Wave).where(Wave.code == "2026"))
        root = db.session.get(Unit, province.root.id)
        # A job whose messages are not sent: it stays queued for the page to show.
        job = Job(id=uuid.uuid4().hex, kind="report-bulk", status="queued", user_id=user.id,
                  wave_id=wave.id, unit_id=root.id, params={"lang": "en"}, total=3, done=1, attempts=1)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    page = client.get(f"/quan-ly/tac-vu/{job_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'data-job-status-url="/quan-ly/tac-vu/{job_id}.json"' in page
    assert '<progress id="job-progress" max="3" value="1">' in page
    assert "jobs.js" in page and "<script>" not in page
    status = client.get(f"/quan-ly/tac-vu/{job_id}.json").get_json()
    assert status["status"] == "queued" and (status["done"], status["total"]) == (1, 3)


def test_failed_export_says_why_and_can_be_retried(app, province, sign_in_as, job_queue):
    app.config["EXPORT_MAX_ROWS_IN_MEMORY"] = 10          # the wave has 80 responses
    client = sign_in_as("official", units=[province.root])
    job_id = job_id_of(client.post(f"/quan-ly/don-vi/{province.root.code}/xuat-nen.sav?wave=2026"))
    job = wait_for(app, job_id)
    assert job.status == "failed" and job.error_kind == "too_large" and "80" in job.error
    page = client.get(f"/quan-ly/tac-vu/{job_id}").get_data(as_text=True)
    assert "Không thành công" in page and "định dạng tệp này" in page and 'id="job-retry"' in page
    assert client.get(f"/quan-ly/tac-vu/{job_id}/tep").status_code == 404

    app.config["EXPORT_MAX_ROWS_IN_MEMORY"] = 250_000
    retried = client.post(f"/quan-ly/tac-vu/{job_id}/thu-lai")
    assert retried.status_code == 303
    job = wait_for(app, job_id)
    assert (job.status, job.attempts, job.error) == ("ready", 2, None)
    download = client.get(f"/quan-ly/tac-vu/{job_id}/tep")
    assert download.status_code == 200 and download.data[:4] == b"$FL2"     # an SPSS file
    # A finished job cannot be "retried" again.
    assert client.post(f"/quan-ly/tac-vu/{job_id}/thu-lai").status_code == 409


def test_csv_export_job_matches_the_direct_download(app, province, sign_in_as, job_queue):
    client = sign_in_as("official", units=[province.root])
    code = province.communes[0].code
    job_id = job_id_of(client.post(f"/quan-ly/don-vi/{code}/xuat-nen.csv?wave=2026&field=DD"))
    assert wait_for(app, job_id).status == "ready"
    background = client.get(f"/quan-ly/tac-vu/{job_id}/tep")
    direct = client.get(f"/quan-ly/don-vi/{code}/du-lieu.csv?wave=2026&field=DD")
    assert background.data == direct.data and len(background.data.splitlines()) == 21
    assert background.headers["Content-Disposition"] == direct.headers["Content-Disposition"]


def test_jobs_are_their_owners_alone_and_stay_in_scope(app, province, sign_in_as, job_queue):
    owner = sign_in_as("official", units=[province.root])
    job_id = job_id_of(owner.post(f"/quan-ly/don-vi/{province.communes[0].code}/xuat-nen.csv?wave=2026"))
    assert wait_for(app, job_id).status == "ready"
    other = sign_in_as("official", units=[province.root])          # same scope, not the owner
    narrow = sign_in_as("official", units=[province.communes[1]])
    for client in (other, narrow):
        for url in (f"/quan-ly/tac-vu/{job_id}", f"/quan-ly/tac-vu/{job_id}/tep",
                    f"/quan-ly/tac-vu/{job_id}.json"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/quan-ly/tac-vu/{job_id}/thu-lai").status_code == 404
        assert job_id not in client.get("/quan-ly/tac-vu/").get_data(as_text=True)
    # Units out of scope cannot be the subject of a job.
    for url in (f"/quan-ly/don-vi/{province.communes[0].code}/xuat-nen.csv?wave=2026",
                f"/quan-ly/don-vi/{province.root.code}/bao-cao-hang-loat?wave=2026"):
        assert narrow.post(url, data={"which": "all"}).status_code == 404, url
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Job)) == 1
    # The owner whose scope shrank loses the job too.
    with app.app_context():
        from survey.models import Unit, User

        user = db.session.get(User, owner.user.id)
        user.units = [db.session.get(Unit, province.communes[1].id)]
        db.session.commit()
    assert owner.get(f"/quan-ly/tac-vu/{job_id}/tep").status_code == 404


def test_bad_bulk_requests_are_refused_with_a_reason(app, province, sign_in_as, job_queue):
    client = sign_in_as("official", units=[province.root])
    url = f"/quan-ly/don-vi/{province.root.code}/bao-cao-hang-loat?wave=2026"
    refused = client.post(url, data={"which": "everything"})
    assert refused.status_code == 400 and "đơn vị trực thuộc" in refused.get_data(as_text=True)
    leaf = client.post(f"/quan-ly/don-vi/{province.empty.code}/bao-cao-hang-loat?wave=2026",
                       data={"which": "all"})
    assert leaf.status_code == 400
    assert client.post(f"/quan-ly/don-vi/{province.root.code}/bao-cao-hang-loat?wave=1999").status_code == 400
    assert client.post(f"/quan-ly/don-vi/{province.root.code}/xuat-nen.exe?wave=2026").status_code == 404
    assert client.get("/quan-ly/tac-vu/" + "x" * 200).status_code == 404


def test_precompute_job_fills_the_shared_results_cache(app, province, job_queue):
    from survey.models_results import ResultsCacheEntry
    from survey.services import jobs as service

    with app.app_context():
        from survey.models import Wave

        waves = {w.code: w for w in db.session.scalars(select(Wave))}
        job = service.start_precompute(waves["2026"], previous=waves["2025"])
        job_id = job.id
    assert wait_for(app, job_id).status == "ready"
    with app.app_context():
        entries = db.session.scalars(select(ResultsCacheEntry)).all()
    assert len(entries) >= 3 and all(e.state == "ready" for e in entries)
