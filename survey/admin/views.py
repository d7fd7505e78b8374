"""The set-up pages: upload → preview (problems or changes) → confirm; exports; open/close.

Nothing is written before the confirmation, which re-reads the kept file and writes it
through the same importer in one transaction (or shows the problems that appeared since).
"""

from __future__ import annotations

import os
import tempfile

from flask import (Response, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Wave
from ..officials.auth import auth_context
from ..officials.downloads import attachment_headers
from ..services.setup_files import limits
from ..services.setup_messages import change_label, table_label
from ..services.setup_tables import TABLES, export_table, format_value
from ..services.setup_tree import active_roots
from ..services.setup_waves import SetupError, set_wave_status
from . import bp, uploads
from .access import admin_required

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
STATUS_ACTIONS = {"mo": "open", "dong": "closed"}


@bp.record_once
def _allow_uploads(state):
    # The app's 1 MB request limit suits answers, not a province's populations file.  This
    # hook must run before the app's text check reads the form, hence first in the list.
    def raise_limit():
        if request.blueprint == bp.name:
            request.max_content_length = limits()[0] + 64 * 1024

    state.app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)


@bp.errorhandler(413)
def _too_large(error):
    # Say what the limit is, in the administrator's language, rather than a bare 413.
    message = _("The file is larger than %(limit)s. Split it or remove what is not needed.",
                limit=f"{limits()[0] / 1024 / 1024:g} MB")
    return render_template("errors/error.html", code=413, title=_("Check the file"),
                           message=message), 413


@bp.context_processor
def _context():
    return {**auth_context(), "table_label": table_label, "change_label": change_label,
            "format_value": format_value}


def _waves():
    return list(db.session.scalars(select(Wave).order_by(Wave.starts_on.desc().nulls_last(), Wave.code)))


@bp.get("/")
@admin_required
def index():
    """The set-up page: an upload form and the exports of each table, and the waves."""
    return render_template("admin/setup.html", tables=TABLES, waves=_waves(), roots=active_roots(),
                           max_mb=limits()[0] // (1024 * 1024))


def _table_or_404(table: str):
    if table not in TABLES:
        abort(404)
    return TABLES[table]


def _wave_code_or_400(code: str | None) -> str:
    code = (code or "").strip()
    if not code or db.session.scalar(select(Wave.id).where(Wave.code == code)) is None:
        abort(400, _("Choose the survey wave whose populations the file holds."))
    return code


def _plan(table: str, data: bytes, meta: dict, apply: bool):
    importer = TABLES[table].importer
    if table == "populations":
        return importer(meta["wave"], data, meta["filename"], apply=apply)
    return importer(data, meta["filename"], apply=apply)


@bp.post("/<table>/xem-truoc")
@admin_required
def preview(table: str):
    """Read the uploaded file and show its problems or its changes (nothing is written)."""
    _table_or_404(table)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(400, _("Choose a file to upload."))
    data = upload.read(limits()[0] + 1)
    meta = {"table": table, "filename": os.path.basename(upload.filename)[:200]}
    if table == "populations":
        meta["wave"] = _wave_code_or_400(request.form.get("wave"))
    plan = _plan(table, data, meta, apply=False)
    token = uploads.keep(data, meta) if plan.ok and plan.has_changes else None
    status = 422 if not plan.ok else 200
    return render_template("admin/preview.html", table=table, plan=plan, token=token, meta=meta), status


@bp.post("/<table>/ghi")
@admin_required
def confirm(table: str):
    """Write the previewed file (kept on the server under the form's token)."""
    _table_or_404(table)
    token = request.form.get("token", "")
    kept = uploads.load(token)
    if kept is None or kept[1].get("table") != table:
        flash(_("The uploaded file is no longer available (it is kept for one hour). Please upload it again."))
        return redirect(url_for("admin.index"))
    data, meta = kept
    plan = _plan(table, data, meta, apply=True)
    if not plan.ok:
        # The database changed since the preview: show what is wrong now; nothing written.
        return render_template("admin/preview.html", table=table, plan=plan, token=None, meta=meta), 409
    uploads.forget(token)
    counts = ", ".join(f"{change_label(kind)} {n}" for kind, n in plan.counts.items() if n)
    flash(_("%(table)s: the changes are written (%(counts)s).", table=table_label(table), counts=counts))
    return redirect(url_for("admin.index"))


@bp.get("/<table>.<fmt>")
@admin_required
def export(table: str, fmt: str):
    """Download a table as CSV or XLSX, in the format its import reads."""
    _table_or_404(table)
    if fmt not in MIMETYPES:
        abort(404)
    args = []
    if table == "units":
        roots = active_roots()
        root = request.args.get("root") or (roots[0] if len(roots) == 1 else None)
        if root not in roots:
            abort(400, _("Choose which unit tree to download."))
        args = [root]
    elif table == "populations":
        args = [_wave_code_or_400(request.args.get("wave"))]
    with tempfile.TemporaryDirectory(prefix="sipas-setup-") as tmp:
        path = os.path.join(tmp, f"{table}.{fmt}")
        export_table(table, path, *args)
        with open(path, "rb") as fh:
            data = fh.read()
    name = "-".join([table, *args]) + f".{fmt}"
    return Response(data, mimetype=MIMETYPES[fmt], headers=attachment_headers(name))


@bp.post("/dot/<code>/<action>")
@admin_required
def wave_status(code: str, action: str):
    """Open (``mo``) or close (``dong``) a survey wave."""
    if action not in STATUS_ACTIONS:
        abort(404)
    try:
        set_wave_status(code, STATUS_ACTIONS[action])
    except SetupError as error:
        current_app.logger.info("wave %s: %s refused (%s)", code, action, error.reason)
        flash(error.message)
        return redirect(url_for("admin.index"))
    flash(_("Survey wave “%(code)s” is open.", code=code) if action == "mo"
          else _("Survey wave “%(code)s” is closed.", code=code))
    return redirect(url_for("admin.index"))
