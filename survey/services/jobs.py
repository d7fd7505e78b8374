"""Background jobs' state: start a job, record its parts' progress, its file or its failure.

The queue (``survey.jobs``) carries nothing but ids; this module is where a job is
created (rows first, committed, then the messages sent, so a worker always finds its
row), where a worker records what it did, and where a failed job is sent again.

Files: each job has a directory ``JOBS_DIR/<job id>/``. Every file is written under a
temporary name and renamed (``os.replace``, atomic on one file system), so a worker
killed while writing leaves no half file, and a part that runs twice (its worker died
after writing, before acknowledging) leaves one file with the same name. The bulk ZIP is
assembled by whichever part finds itself the last; two assembling at once rename the
same content over the same name.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update

from ..database import begin_write
from ..extensions import db
from ..models import Unit, User, Wave
from ..models_jobs import Job, JobPart

__all__ = ["JobError", "start_bulk_reports", "start_export", "start_precompute", "retry",
           "begin", "begin_part", "finish_part", "finish_file", "finish", "fail", "job_dir",
           "write_atomic", "part_path", "user_jobs", "error_kinds"]

# Categories of failure the pages explain in the user's language (see officials/jobs.py).
error_kinds = ("report", "too_large", "internal")


class JobError(Exception):
    """A job cannot be started or retried (nothing to do, wrong state)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def job_dir(job_id: str) -> Path:
    """The directory of a job's files (created on demand by the writers)."""
    return Path(current_app.config["JOBS_DIR"]) / job_id


def part_path(job_id: str, unit_code: str) -> Path:
    """Where the report of one unit of a bulk job is written."""
    from .reports import report_filename

    return job_dir(job_id) / "parts" / report_filename(unit_code, "part", "pdf")


def write_atomic(path: Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp)`` to write a temporary file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _new(kind: str, *, user: User | None, wave: Wave, unit: Unit | None, params: dict,
         total: int) -> Job:
    job = Job(id=uuid.uuid4().hex, kind=kind, status="queued", user_id=user.id if user else None,
              wave_id=wave.id, unit_id=unit.id if unit is not None else None, params=params,
              total=total, done=0, attempts=1)
    db.session.add(job)
    return job


def _send(job: Job, unit_ids: Iterable[int] = ()) -> None:
    from .. import jobs as queue

    if job.kind == "report-bulk":
        for unit_id in unit_ids:
            queue.send("report_part", job.id, unit_id)
    else:
        queue.send(job.kind.replace("-", "_"), job.id)


def start_bulk_reports(user: User | None, wave: Wave, units: list[Unit], *, unit: Unit | None = None,
                       compare: Wave | None = None, lang: str = "vi") -> Job:
    """Start ``report-bulk``: one message per unit, so any number of workers share them."""
    if not units:
        raise JobError("no units")
    params = {"lang": lang, "compare_id": compare.id if compare is not None else None}
    job = _new("report-bulk", user=user, wave=wave, unit=unit, params=params, total=len(units))
    ids = sorted({u.id for u in units})
    job.total = len(ids)
    db.session.add_all(JobPart(job_id=job.id, unit_id=i, done=False, runs=0) for i in ids)
    db.session.commit()
    _send(job, ids)
    return job


def start_export(user: User | None, wave: Wave, unit: Unit, fmt: str, *, lang: str = "vi",
                 field: str | None = None, channel: str | None = None) -> Job:
    """Start an export of ``unit``'s subtree in ``wave`` (one message)."""
    params = {"lang": lang, "format": fmt, "field": field, "channel": channel}
    job = _new("export", user=user, wave=wave, unit=unit, params=params, total=1)
    db.session.commit()
    _send(job)
    return job


def start_precompute(wave: Wave, user: User | None = None, *, previous: Wave | None = None) -> Job:
    """Start the computation of ``wave``'s results (and against ``previous``) into the shared
    results cache (``results_cache.precompute_wave``), so that the first view reads them."""
    params = {"previous_id": previous.id if previous is not None else None}
    job = _new("precompute", user=user, wave=wave, unit=None, params=params, total=1)
    db.session.commit()
    _send(job)
    return job


def retry(job: Job) -> Job:
    """Send a failed job again: only its parts not done yet run."""
    if job.status != "failed":
        raise JobError(f"job {job.id} is {job.status}, not failed")
    job.status, job.error, job.error_kind, job.finished_at = "queued", None, None, None
    job.attempts += 1
    pending = list(db.session.scalars(select(JobPart.unit_id).where(
        JobPart.job_id == job.id, JobPart.done.is_(False))))
    db.session.commit()
    _send(job, pending)
    if job.kind == "report-bulk" and not pending:
        # Every report was written but the ZIP was not: the assembly runs here.
        assemble_bulk(job.id)
    return job


def begin(job_id: str) -> Job | None:
    """Mark a job running; None when it is gone, done or failed (a stale message)."""
    begin_write(db.session)      # SQLite: hold the write lock before reading what to change
    job = db.session.get(Job, job_id)
    if job is None or job.status in ("ready", "failed"):
        db.session.commit()
        return None
    if job.status == "queued":
        job.status, job.started_at = "running", job.started_at or _now()
    db.session.commit()
    return job


def begin_part(job_id: str, unit_id: int) -> Job | None:
    """Mark one part started; None when the job or the part needs no work."""
    job = begin(job_id)
    if job is None:
        return None
    begin_write(db.session)
    counted = db.session.execute(update(JobPart).where(
        JobPart.job_id == job_id, JobPart.unit_id == unit_id, JobPart.done.is_(False))
        .values(runs=JobPart.runs + 1))
    db.session.commit()
    return job if counted.rowcount else None


def finish_part(job_id: str, unit_id: int, write: Callable[[str], None], unit_code: str) -> None:
    """Write one part's file (atomically), count it once, and assemble the ZIP if it was last."""
    write_atomic(part_path(job_id, unit_code), write)
    # The render read the database: a SQLite reader cannot become a writer once another
    # worker has written, so the write starts a transaction of its own.
    begin_write(db.session)
    marked = db.session.execute(update(JobPart).where(
        JobPart.job_id == job_id, JobPart.unit_id == unit_id, JobPart.done.is_(False))
        .values(done=True))
    if marked.rowcount:
        db.session.execute(update(Job).where(Job.id == job_id).values(done=Job.done + 1))
    db.session.commit()
    left = db.session.scalar(select(func.count()).select_from(JobPart).where(
        JobPart.job_id == job_id, JobPart.done.is_(False)))
    if left == 0:
        assemble_bulk(job_id)


def assemble_bulk(job_id: str) -> None:
    """Put a bulk job's reports in one ZIP (written atomically) and mark the job ready."""
    from ..officials.downloads import report_name

    job = db.session.get(Job, job_id)
    wave = db.session.get(Wave, job.wave_id)
    lang = job.params.get("lang", "vi")
    parts = db.session.execute(select(Unit).join(JobPart, JobPart.unit_id == Unit.id)
                               .where(JobPart.job_id == job_id).order_by(Unit.code)).scalars().all()

    def write(tmp: str) -> None:
        # PDFs are compressed already: stored, not deflated.
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
            for unit in parts:
                archive.write(part_path(job_id, unit.code), report_name(unit, wave, lang))

    top = db.session.get(Unit, job.unit_id) if job.unit_id else None
    title = "Báo cáo SIPAS" if lang == "vi" else "SIPAS reports"
    name = f"{title} - {top.code if top else wave.code} - {wave.code}.zip"
    finish_file(job_id, write, name)
    shutil.rmtree(job_dir(job_id) / "parts", ignore_errors=True)


def finish_file(job_id: str, write: Callable[[str], None], download_name: str) -> None:
    """Write a job's one output file atomically, keyed by the job id, and mark it ready."""
    suffix = Path(download_name).suffix
    path = write_atomic(job_dir(job_id) / f"{job_id}{suffix}", write)
    begin_write(db.session)
    db.session.execute(update(Job).where(Job.id == job_id, Job.status != "ready").values(
        status="ready", done=Job.total, file_name=download_name,
        file_path=str(path.relative_to(Path(current_app.config["JOBS_DIR"]))), finished_at=_now()))
    db.session.commit()


def finish(job_id: str) -> None:
    """Mark a job without a file (a precomputation) ready."""
    begin_write(db.session)
    db.session.execute(update(Job).where(Job.id == job_id, Job.status != "ready").values(
        status="ready", done=Job.total, finished_at=_now()))
    db.session.commit()


def fail(job_id: str, kind: str, detail: str) -> None:
    """Mark a job failed with a category (``error_kinds``) and the technical detail."""
    db.session.rollback()
    begin_write(db.session)
    db.session.execute(update(Job).where(Job.id == job_id, Job.status != "ready").values(
        status="failed", error_kind=kind, error=detail[:4000], finished_at=_now()))
    db.session.commit()


def user_jobs(user: User, limit: int = 50) -> list[Job]:
    """The jobs ``user`` started, newest first."""
    return list(db.session.scalars(select(Job).where(Job.user_id == user.id)
                                   .order_by(Job.created_at.desc()).limit(limit)))
