"""Upload → check (problems, or preview and changes) → publish; downloads; wave versions.

Nothing is written before "Publish", which re-reads the kept file and checks it again.
"""

from __future__ import annotations

import os
import tempfile

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..admin import uploads
from ..extensions import db
from ..models import Wave
from ..officials.auth import auth_context
from ..officials.downloads import attachment_headers
from ..services import questionnaire_publish as qp
from . import bp
from .access import methodology_required, waves_required
from .texts import change_label, field_label, wave_error_message

MIMETYPES = {"yaml": "application/yaml; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
KIND = "questionnaire"


@bp.record_once
def _allow_uploads(state):
    # The app's request limit suits answers; a workbook may be larger (bounded here).
    def raise_limit():
        if request.blueprint == bp.name:
            request.max_content_length = qp.MAX_UPLOAD_BYTES + 64 * 1024

    state.app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)


@bp.errorhandler(413)
def _too_large(error):
    message = _("The file is larger than %(limit)s.", limit=f"{qp.MAX_UPLOAD_BYTES / 1_000_000:g} MB")
    return render_template("errors/error.html", code=413, title=_("Check the file"),
                           message=message), 413


@bp.context_processor
def _context():
    return {**auth_context(), "change_label": change_label, "field_label": field_label}


def _waves():
    return list(db.session.scalars(select(Wave).order_by(Wave.starts_on.desc().nulls_last(), Wave.code)))


@bp.get("/")
@methodology_required
def index():
    """Published versions, the upload form and (for administrators) the waves' versions."""
    waves = _waves()
    return render_template("methodology/index.html", versions=qp.versions(), waves=waves,
                           locked={w.id for w in waves if qp.has_responses(w)},
                           max_mb=qp.MAX_UPLOAD_BYTES // 1_000_000)


def _checked(data: bytes, filename: str):
    checked = qp.check_upload(data, filename)
    if checked.ok:
        checked.problems = qp.publication_problems(checked.questionnaire)
    return checked


@bp.post("/kiem-tra")
@methodology_required
def check():
    """Read the uploaded file: every problem with its place, or preview and changes."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(400, _("Choose a file to upload."))
    data = upload.read(qp.MAX_UPLOAD_BYTES + 1)
    filename = os.path.basename(upload.filename)[:120]
    checked = _checked(data, filename)
    if not checked.ok:
        return render_template("methodology/check.html", checked=checked, token=None), 422
    token = uploads.keep(data, {"table": KIND, "filename": filename})
    old, changes = qp.changes(checked.questionnaire)
    return render_template("methodology/check.html", checked=checked, token=token, old=old,
                           changes=changes, q=checked.questionnaire)


@bp.post("/cong-bo")
@methodology_required
def publish():
    """Publish the checked file kept under the form's token."""
    token = request.form.get("token", "")
    kept = uploads.load(token)
    if kept is None or kept[1].get("table") != KIND:
        flash(_("The uploaded file is no longer available (it is kept for one hour). Please upload it again."))
        return redirect(url_for(".index"))
    data, meta = kept
    checked = _checked(data, meta["filename"])
    if checked.ok:
        try:
            row, new = qp.publish(checked.questionnaire)
        except qp.PublishError as error:
            checked.problems = error.problems
    if not checked.ok:
        db.session.rollback()
        return render_template("methodology/check.html", checked=checked, token=None), 409
    uploads.forget(token)
    flash(_("Version %(version)s is published.", version=f"{row.qid}@{row.version}") if new
          else _("Version %(version)s was already published with this content; nothing changed.",
                 version=f"{row.qid}@{row.version}"))
    return redirect(url_for(".index"))


@bp.get("/phien-ban/<int:version_id>.<fmt>")
@methodology_required
def export(version_id: int, fmt: str):
    """Download a published version as YAML or as an XLSForm workbook."""
    if fmt not in MIMETYPES:
        abort(404)
    row = next((r for r in qp.versions() if r.id == version_id), None)
    if row is None:
        abort(404)
    with tempfile.TemporaryDirectory(prefix="sipas-q-") as tmp:
        path = os.path.join(tmp, f"q.{fmt}")
        try:
            qp.export_version(row, fmt, path)
        except ValueError:
            abort(422, _("This version cannot be written as an XLSForm; download the YAML file."))
        with open(path, "rb") as fh:
            data = fh.read()
    return Response(data, mimetype=MIMETYPES[fmt],
                    headers=attachment_headers(f"{row.qid}-{row.version}.{fmt}"))


@bp.post("/dot/<code>")
@waves_required
def wave_version(code: str):
    """Let a draft wave without responses use another published version."""
    wave = db.session.scalar(select(Wave).where(Wave.code == code))
    if wave is None:
        abort(404)
    try:
        version_id = int(request.form.get("version", ""))
    except ValueError:
        abort(400, _("Choose a published version."))
    row = next((r for r in qp.versions() if r.id == version_id), None)
    if row is None:
        abort(400, _("Choose a published version."))
    try:
        qp.set_wave_version(wave, row)
    except qp.WaveVersionError as error:
        db.session.rollback()
        flash(wave_error_message(error.reason, code))
        return redirect(url_for(".index"))
    flash(_("Survey wave “%(code)s” now uses %(version)s.", code=code, version=f"{row.qid}@{row.version}"))
    return redirect(url_for(".index"))
