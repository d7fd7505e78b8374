"""The actors: one report of a bulk job, an export, a precomputation of results.

Each runs in an app context, asks ``survey.services.jobs`` whether there is work (a
message that comes back after its job finished or failed does nothing), does it, and
records the outcome there; a failure is recorded with its reason, never raised into the
queue (the official decides whether to retry).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path

from dramatiq.middleware import TimeLimitExceeded

from ..extensions import db
from ..models import Unit, Wave
from ..services import exports, jobs, reports

log = logging.getLogger(__name__)

# Seconds a message may run: one report, or a whole export of a national wave.
REPORT_TIME_LIMIT_MS = 30 * 60 * 1000
EXPORT_TIME_LIMIT_MS = 6 * 60 * 60 * 1000

# The wave's inputs and results as computed for a bulk job, kept per worker process for
# the next reports of the same job (one computation per job and worker, not per report).
_MEMO: OrderedDict[str, dict] = OrderedDict()
_MEMO_SIZE = 4
_memo_lock = threading.Lock()


def register(queue) -> None:
    """Register the actors on ``queue`` (a :class:`survey.jobs.JobQueue`)."""
    queue.actor("report_part", report_part, time_limit_ms=REPORT_TIME_LIMIT_MS)
    queue.actor("export", export, time_limit_ms=EXPORT_TIME_LIMIT_MS)
    queue.actor("precompute", precompute, time_limit_ms=EXPORT_TIME_LIMIT_MS)


def _guarded(job_id: str, work) -> None:
    try:
        work()
    except reports.ReportError as error:
        jobs.fail(job_id, "report", str(error))
    except exports.ExportTooLarge as error:
        jobs.fail(job_id, "too_large", str(error))
    except TimeLimitExceeded:
        jobs.fail(job_id, "internal", "the job ran longer than its time limit")
        raise
    except Exception as error:  # noqa: BLE001  (any failure is the job's, shown to its owner)
        log.exception("job %s failed", job_id)
        jobs.fail(job_id, "internal", f"{type(error).__name__}: {error}")


def report_part(job_id: str, unit_id: int) -> None:
    """Render one unit's report of a ``report-bulk`` job."""
    job = jobs.begin_part(job_id, unit_id)
    if job is None:
        return

    def work():
        unit = db.session.get(Unit, unit_id)
        wave = db.session.get(Wave, job.wave_id)
        compare_id = job.params.get("compare_id")
        compare = db.session.get(Wave, compare_id) if compare_id else None
        with _memo_lock:
            saved = _MEMO.get(job_id)
        if saved:
            reports.reuse_request_caches(saved["caches"])
            results = saved["results"]
        else:
            results = reports.wave_results(wave, compare)
        pdf = reports.unit_report_from(results, unit, wave, compare, job.params.get("lang", "vi"))
        with _memo_lock:
            _MEMO[job_id] = {"caches": reports.request_caches(), "results": results}
            _MEMO.move_to_end(job_id)
            while len(_MEMO) > _MEMO_SIZE:
                _MEMO.popitem(last=False)
        jobs.finish_part(job_id, unit_id, lambda tmp: Path(tmp).write_bytes(pdf), unit.code)

    _guarded(job_id, work)


def export(job_id: str) -> None:
    """Write the export file of an ``export`` job."""
    job = jobs.begin(job_id)
    if job is None:
        return

    def work():
        from ..officials.downloads import export_name

        wave = db.session.get(Wave, job.wave_id)
        unit = db.session.get(Unit, job.unit_id)
        p = job.params
        name = export_name(unit, wave, p["format"], field_code=p.get("field"), channel=p.get("channel"))
        unit_ids = unit.descendant_ids()
        jobs.finish_file(job_id, lambda tmp: exports.export_wave(
            wave, p["format"], tmp, lang=p.get("lang", "vi"), unit_ids=unit_ids,
            service_field=p.get("field"), channel=p.get("channel")), name)

    _guarded(job_id, work)


def precompute(job_id: str) -> None:
    """Compute a wave's results into the shared results cache ahead of the first view."""
    job = jobs.begin(job_id)
    if job is None:
        return

    def work():
        from ..services import results_cache

        results_cache.precompute_wave(job.wave_id, job.params.get("previous_id"))
        jobs.finish(job_id)

    _guarded(job_id, work)
