"""The officials' pages: the index of units, a unit's dashboard, its PDF report and exports.

Thin views: filters are parsed in ``filters``, results come from
``survey.services.dashboard`` (which calls the analysis engine), the PDF from
``survey.services.reports`` and the data files from ``survey.services.exports``.
"""

import os
import tempfile

from flask import (Response, abort, current_app, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..models import Wave
from ..services import audit, dashboard, exports, reports
from . import bp
from .access import login_required, roles_required
from .charts import bars, line
from .downloads import attachment_headers, export_name, report_name
from ..services.modes import mode_counts
from .filters import CHANNEL_LABELS, MODE_LABELS, parse_filters, service_fields, waves_of
from ..i18n import current_lang
from .scope import scope_ids, unit_or_404, unit_tree, units_in_scope

EXPORT_FORMATS = ("csv", "xlsx", "sav", "dta")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}
# Who reads results: desk operators see their service points (see ``points``) only.
RESULT_ROLES = ("administrator", "methodologist", "official")


@bp.get("/")
@login_required
def index():
    """The start page: the tree of units in the user's scope (desk operators: their points)."""
    if current_user.role not in RESULT_ROLES:
        return redirect(url_for("officials.points"))
    units = units_in_scope()
    return render_template("officials/index.html", tree=unit_tree(units), count=len(units))


def _dashboard_filters(code: str):
    unit = unit_or_404(code)
    waves = waves_of(unit)
    filters = parse_filters(unit, request.args, waves)
    return unit, waves, filters


@bp.get("/don-vi/<code>")
@roles_required(*RESULT_ROLES)
def unit_dashboard(code: str):
    """One unit's dashboard for a wave, optionally narrowed to a service field or channel."""
    unit, waves, filters = _dashboard_filters(code)
    data = None
    if filters is not None:
        try:
            data = dashboard.unit_dashboard(unit, waves, filters.wave, field=filters.field_code,
                                            channel=filters.channel, lang=current_lang(),
                                            mode=filters.mode)
        except dashboard.Computing as busy:
            return _computing(unit, busy)
        data["modes"] = mode_counts(filters.wave, unit.descendant_ids())
    visible = scope_ids()
    if data and data.get("children") and visible is not None:
        # Only the units the user may see; their ranks stay those among all siblings.
        codes = {u.code for u in units_in_scope()}
        data["children"] = [row for row in data["children"] if row["code"] in codes]
    ancestors = list(reversed(unit.ancestors()))
    charts = {}
    if data and data["has_data"]:
        charts["elements"] = bars(data["elements"])
    if data and data.get("trend"):
        charts["trend"] = line(data["trend"])
    return render_template("officials/dashboard.html", unit=unit, waves=waves,
                           filters=filters, data=data, charts=charts,
                           fields=service_fields(), channels=CHANNEL_LABELS,
                           modes=MODE_LABELS,
                           ancestors=ancestors,
                           linked={a.id for a in ancestors if visible is None or a.id in visible},
                           export_formats=EXPORT_FORMATS,
                           has_subunits=bool(unit.children) if filters is not None else False,
                           demo=bool(filters and filters.wave.is_demo))


@bp.get("/don-vi/<code>/bao-cao.pdf")
@roles_required(*RESULT_ROLES)
def unit_report(code: str):
    """The unit's satisfaction report for the chosen wave, as a PDF attachment."""
    unit, waves, filters = _dashboard_filters(code)
    if filters is None:
        abort(404, _("No survey wave covers this unit yet, so there is no report."))
    position = [w.id for w in waves].index(filters.wave.id)
    compare = waves[position - 1] if position > 0 else None
    try:
        pdf = reports.unit_report_pdf(unit, filters.wave, compare=compare, lang=current_lang(),
                                      field=filters.field_code, channel=filters.channel)
    except dashboard.Computing as busy:
        return _computing(unit, busy)
    except reports.ReportError as error:
        current_app.logger.warning("report of %s for wave %s refused: %s",
                                   unit.code, filters.wave.code, error)
        message = _("The report cannot be made from this wave's data (for example, responses "
                    "from a unit without dossier counts). The technical details are in the "
                    "server log; please tell the administrator.")
        # The engine speaks English: its words are added on English pages only.
        abort(422, message + (f" ({error})" if current_lang() == "en" else ""))
    _audit_download(audit.REPORT_DOWNLOADED, unit, filters, "pdf")
    headers = attachment_headers(report_name(unit, filters.wave, current_lang(),
                                             field_code=filters.field_code,
                                             channel=filters.channel))
    return Response(pdf, mimetype="application/pdf", headers=headers)


@bp.get("/don-vi/<code>/du-lieu.<fmt>")
@roles_required(*RESULT_ROLES)
def unit_export(code: str, fmt: str):
    """The responses of the unit's subtree in the chosen wave, as CSV, XLSX, SAV or DTA,
    restricted to the dashboard's service field and channel filters when they are set."""
    if fmt not in EXPORT_FORMATS:
        abort(404)
    unit, _waves, filters = _dashboard_filters(code)
    if filters is None:
        abort(404, _("No survey wave covers this unit yet, so there is no data to export."))
    _audit_download(audit.EXPORT_DOWNLOADED, unit, filters, fmt)
    unit_ids = unit.descendant_ids()
    subset = {"service_field": filters.field_code, "channel": filters.channel}
    headers = attachment_headers(export_name(unit, filters.wave, fmt, field_code=filters.field_code,
                                             channel=filters.channel))
    if fmt == "csv":
        # Streamed: memory stays that of one chunk however large the subtree is.
        body = stream_with_context(_csv_pieces(filters.wave.id, current_lang(), unit_ids, subset))
        return Response(body, mimetype=MIMETYPES[fmt], headers=headers)
    with tempfile.TemporaryDirectory(prefix="sipas-export-") as tmp:
        # pyreadstat writes only to paths, so every binary format goes through a file.
        path = os.path.join(tmp, f"export.{fmt}")
        try:
            exports.export_wave(filters.wave, fmt, path, lang=current_lang(), unit_ids=unit_ids,
                                **subset)
        except exports.ExportTooLarge as error:
            abort(413, str(error))
        with open(path, "rb") as fh:
            data = fh.read()
    return Response(data, mimetype=MIMETYPES[fmt], headers=headers)


COMPUTING_REFRESH = 5      # seconds between the self-refreshes of the "being computed" page


def _computing(unit, busy):
    """The "being computed" page (202): progress, refreshed by the ``Refresh`` header (no
    script; axe forbids a short ``<meta http-equiv=refresh>``, a header is not markup)."""
    body = render_template("officials/computing.html", unit=unit, progress=busy.progress,
                           refresh=COMPUTING_REFRESH)
    return Response(body, status=202, headers={"Refresh": str(COMPUTING_REFRESH),
                                               "Cache-Control": "no-store"})


DESIGN_FILES = {"don-vi": 0, "ho-so": 1}


@bp.get("/don-vi/<code>/thiet-ke/<name>.csv")
@roles_required(*RESULT_ROLES)
def unit_design_file(code: str, name: str):
    """The units (``don-vi``) or dossiers (``ho-so``) file of the unit's subtree for the
    wave: with the responses export, what ``python -m analysis indices`` needs."""
    if name not in DESIGN_FILES:
        abort(404)
    unit, _waves, filters = _dashboard_filters(code)
    if filters is None:
        abort(404, _("No survey wave covers this unit yet, so there is no data to export."))
    table = reports.design_tables(filters.wave, unit.code)[DESIGN_FILES[name]]
    label = {"don-vi": "Đơn vị", "ho-so": "Hồ sơ"}[name]
    headers = attachment_headers(f"{label} - {unit.code} - {filters.wave.code}.csv")
    _audit_download("export.design_file", unit, filters, f"{name}.csv")
    return Response(table.to_csv(index=False), mimetype=MIMETYPES["csv"], headers=headers)


def _csv_pieces(wave_id: int, language: str, unit_ids, subset: dict):
    # The body is produced after the view has returned: load the wave in the session that
    # is current then, not the view's (which may be gone).
    wave = db.session.get(Wave, wave_id)
    yield from exports.iter_wave_csv(wave, lang=language, unit_ids=unit_ids, **subset)


def _audit_download(action: str, unit, filters, fmt: str) -> None:
    # Committed before the body is sent: a download that starts is on record.
    audit.record(action, unit=unit, wave=filters.wave,
                 details={"format": fmt, "field": filters.field_code, "channel": filters.channel,
                          "lang": current_lang()})
    db.session.commit()
