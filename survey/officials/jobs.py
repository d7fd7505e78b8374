"""Background jobs of the officials: start bulk reports or an export, follow, download, retry.

A job is its owner's alone: another user's job, or a job on a unit that has since left
the user's scope, is a 404 like a job that does not exist.
"""

from flask import abort, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..i18n import current_lang
from ..models import Unit, Wave
from ..models_jobs import Job
from ..services import audit, jobs
from . import bp
from .access import roles_required
from .downloads import attachment_headers
from .filters import parse_filters, waves_of
from .scope import in_scope, unit_or_404
from .views import EXPORT_FORMATS, MIMETYPES, RESULT_ROLES

KIND_LABELS = {
    "report-bulk": _l("PDF reports of several units"),
    "export": _l("Data export"),
    "precompute": _l("Computing the results"),
}
STATUS_LABELS = {
    "queued": _l("Waiting in the queue"),
    "running": _l("Running"),
    "ready": _l("Ready"),
    "failed": _l("Failed"),
}
ERROR_MESSAGES = {
    "report": _l("The reports cannot be made from this wave's data (for example, responses "
                 "from a unit without dossier counts)."),
    "too_large": _l("The wave has more responses than this file format can hold; export CSV "
                    "or fewer units."),
    "internal": _l("An unexpected error stopped the job. The details are in the server log; "
                   "try again, and tell the administrator if it fails again."),
}
BULK_CHOICES = ("children", "all")


def _filters(code: str):
    unit = unit_or_404(code)
    filters = parse_filters(unit, request.values, waves_of(unit))
    if filters is None:
        abort(404, _("No survey wave covers this unit yet, so there is no report."))
    return unit, filters


def bulk_units(unit: Unit, wave: Wave, which: str) -> list[Unit]:
    """The units below ``unit`` (its children, or its whole subtree) that ``wave`` covers."""
    if which == "children":
        query = select(Unit).where(Unit.parent_id == unit.id)
    else:
        ids = unit.descendant_ids() - {unit.id}
        query = select(Unit).where(Unit.id.in_(ids))
    units = list(db.session.scalars(query.order_by(Unit.code)))
    if wave.units:
        scope = wave.scope_unit_ids()
        units = [u for u in units if u.id in scope]
    return units


@bp.post("/don-vi/<code>/bao-cao-hang-loat")
@roles_required(*RESULT_ROLES)
def start_bulk_reports(code: str):
    """Start the PDF reports of the units below a unit, one ZIP at the end."""
    unit, filters = _filters(code)
    which = request.form.get("which", "children")
    if which not in BULK_CHOICES:
        abort(400, _("Choose the direct subunits or every unit below."))
    units = bulk_units(unit, filters.wave, which)
    if not units:
        abort(400, _("There is no unit below this one in the wave's scope."))
    waves = waves_of(unit)
    position = [w.id for w in waves].index(filters.wave.id)
    compare = waves[position - 1] if position > 0 else None
    job = jobs.start_bulk_reports(current_user, filters.wave, units, unit=unit, compare=compare,
                                  lang=current_lang())
    return redirect(url_for("officials.job", job_id=job.id), code=303)


@bp.post("/don-vi/<code>/xuat-nen.<fmt>")
@roles_required(*RESULT_ROLES)
def start_export(code: str, fmt: str):
    """Prepare an export in the background (for waves too big to wait for)."""
    if fmt not in EXPORT_FORMATS:
        abort(404)
    unit, filters = _filters(code)
    job = jobs.start_export(current_user, filters.wave, unit, fmt, lang=current_lang(),
                            field=filters.field_code, channel=filters.channel)
    return redirect(url_for("officials.job", job_id=job.id), code=303)


def _job_or_404(job_id: str) -> Job:
    job = db.session.get(Job, job_id) if len(job_id) <= 32 else None
    if job is None or job.user_id != current_user.id:
        abort(404, _("There is no such job among yours."))
    if job.unit_id is not None and not in_scope(db.session.get(Unit, job.unit_id)):
        abort(404, _("There is no such job among yours."))
    return job


@bp.get("/tac-vu/")
@roles_required(*RESULT_ROLES)
def job_list():
    """The signed-in user's jobs, newest first."""
    return render_template("officials/jobs.html", jobs=jobs.user_jobs(current_user),
                           kinds=KIND_LABELS, statuses=STATUS_LABELS)


def progress_text(job: Job) -> str:
    """How far a job is, in words."""
    if job.kind == "report-bulk":
        return _("%(done)s of %(total)s reports written", done=job.done, total=job.total)
    return _("%(done)s of %(total)s steps done", done=job.done, total=job.total)


@bp.get("/tac-vu/<job_id>")
@roles_required(*RESULT_ROLES)
def job(job_id: str):
    """A job's progress, its file when ready, its reason and a retry button when failed."""
    job = _job_or_404(job_id)
    unit = db.session.get(Unit, job.unit_id) if job.unit_id else None
    return render_template("officials/job.html", job=job, unit=unit,
                           wave=db.session.get(Wave, job.wave_id), kinds=KIND_LABELS,
                           statuses=STATUS_LABELS, error_message=ERROR_MESSAGES.get(job.error_kind),
                           progress=progress_text(job))


@bp.get("/tac-vu/<job_id>.json")
@roles_required(*RESULT_ROLES)
def job_status(job_id: str):
    """A job's state for the progress page's script (which reloads the page when it changes)."""
    job = _job_or_404(job_id)
    response = jsonify(status=job.status, done=job.done, total=job.total, progress=progress_text(job))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/tac-vu/<job_id>/thu-lai")
@roles_required(*RESULT_ROLES)
def job_retry(job_id: str):
    """Send a failed job again (its finished parts are kept)."""
    job = _job_or_404(job_id)
    try:
        jobs.retry(job)
    except jobs.JobError:
        abort(409, _("Only a failed job can be tried again."))
    return redirect(url_for("officials.job", job_id=job.id), code=303)


@bp.get("/tac-vu/<job_id>/tep")
@roles_required(*RESULT_ROLES)
def job_file(job_id: str):
    """The finished file of a job."""
    job = _job_or_404(job_id)
    if job.status != "ready" or not job.file_path:
        abort(404, _("The file of this job is not ready."))
    path = jobs.job_dir(job.id).parent / job.file_path
    if not path.is_file():
        abort(404, _("The file of this job is no longer kept; start the job again."))
    fmt = path.suffix.lstrip(".")
    action = audit.EXPORT_DOWNLOADED if job.kind == "export" else audit.REPORT_DOWNLOADED
    audit.record(action, unit=db.session.get(Unit, job.unit_id) if job.unit_id else None,
                 wave=db.session.get(Wave, job.wave_id),
                 details={"format": fmt, "job": job.id, **{k: v for k, v in job.params.items()
                                                           if k != "compare_id"}})
    db.session.commit()
    mimetype = "application/zip" if fmt == "zip" else MIMETYPES.get(fmt, "application/octet-stream")
    response = send_file(path, mimetype=mimetype)
    response.headers.update(attachment_headers(job.file_name))
    return response
