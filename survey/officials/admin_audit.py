"""The administrators' audit log page, with filters and a CSV export."""

import csv
import datetime as dt
import io

from flask import Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

from ..extensions import db
from ..models import LOCAL_TZ
from ..services import audit
from . import bp
from .access import roles_required
from .downloads import attachment_headers

PAGE_SIZE = 100
CSV_COLUMNS = ("id", "at_utc", "actor_email", "action", "address", "unit_code", "wave_code", "details")


def _date(name: str) -> dt.date | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(_("“%(value)s” is not a date; write it as YYYY-MM-DD.", value=value[:40]))


def _utc_start(day: dt.date) -> dt.datetime:
    # Dates are Vietnam's calendar days; times are stored as naive UTC.
    local = dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _filters() -> dict:
    since, until = _date("from"), _date("to")
    if since and until and since > until:
        raise BadRequest(_("The start date is after the end date."))
    return {"action": (request.args.get("action") or "").strip()[:64] or None,
            "actor_email": (request.args.get("user") or "").strip()[:254] or None,
            "since": _utc_start(since) if since else None,
            "until": _utc_start(until + dt.timedelta(days=1)) if until else None}


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        raise BadRequest(_("The page number must be a whole number."))


@bp.get("/quan-tri/nhat-ky")
@roles_required("administrator")
def admin_audit():
    """The audit log, newest first, filtered by action, user and dates."""
    filters, page = _filters(), _page()
    rows = list(audit.events(**filters, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("officials/admin/audit.html", rows=rows[:PAGE_SIZE],
                           more=len(rows) > PAGE_SIZE, page=page, args=args,
                           actions=audit.actions())


@bp.get("/quan-tri/nhat-ky.csv")
@roles_required("administrator")
def admin_audit_csv():
    """The filtered audit log as CSV (UTF-8 with BOM, for spreadsheets)."""
    filters = _filters()
    audit.record(audit.AUDIT_EXPORTED, details={
        k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in filters.items()})
    db.session.commit()
    body = stream_with_context(_csv_lines(filters))
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers=attachment_headers("Nhật ký kiểm toán.csv"))


def _csv_lines(filters: dict):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for event in audit.events(**filters):
        writer.writerow([event.id, event.at.isoformat() + "Z", event.actor_email or "",
                         event.action, event.address or "", event.unit_code or "",
                         event.wave_code or "", _json(event.details)])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
