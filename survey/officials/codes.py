"""Officials make invitation codes for the receipt slips (``/quan-ly/ma-moi``).

Administrators and officials choose a service point in their scope, a service field and an
open wave, and download a batch of one-time codes as a printable A4 PDF sheet or as CSV for
the one-stop software.  The codes are shown only in that download (stored as digests).
"""

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..i18n import current_lang
from ..models import ServiceField, ServicePoint, Wave
from ..services.code_sheets import sheet_csv, sheet_pdf
from ..services.invitations import MAX_BATCH, issue_codes
from ..services.links import SurveyLinkError
from . import bp
from .access import roles_required
from .downloads import attachment_headers
from .scope import scope_ids

FORMATS = ("pdf", "csv")


def _points() -> list[ServicePoint]:
    ids = scope_ids()
    query = select(ServicePoint).where(ServicePoint.active).order_by(ServicePoint.code)
    if ids is not None:
        query = query.where(ServicePoint.unit_id.in_(ids))
    return list(db.session.scalars(query))


def _open_waves() -> list[Wave]:
    return [w for w in db.session.scalars(select(Wave).where(Wave.status == "open")
                                          .order_by(Wave.code)) if w.is_open()]


@bp.route("/ma-moi", methods=["GET", "POST"])
@roles_required("administrator", "official")
def invitation_codes():
    """The form, and on POST the download of a new batch of codes."""
    points, waves = _points(), _open_waves()
    fields = list(db.session.scalars(select(ServiceField).order_by(ServiceField.code)))
    errors: list[str] = []
    form = request.form
    if request.method == "POST":
        point = next((p for p in points if p.code == form.get("point")), None)
        wave = next((w for w in waves if w.code == form.get("wave")), None)
        field_code = form.get("field") or ""
        field = next((f for f in fields if f.code == field_code), None)
        fmt = form.get("format", "pdf")
        try:
            count = int(form.get("count", ""))
        except ValueError:
            count = 0
        if point is None:
            errors.append(_("Choose a service point from the list."))
        if wave is None:
            errors.append(_("Choose an open survey wave from the list."))
        if field_code and field is None:
            errors.append(_("Choose a service field from the list."))
        if not 1 <= count <= MAX_BATCH:
            errors.append(_("The number of codes must be between 1 and %(n)s.", n=MAX_BATCH))
        if fmt not in FORMATS:
            errors.append(_("Choose PDF or CSV."))
        if not errors:
            try:
                _batch, codes = issue_codes(wave, point, field, count, actor=current_user)
            except SurveyLinkError:
                errors.append(_("This survey wave does not cover the chosen service point."))
            else:
                return _download(codes, point, field, wave, fmt)
    return render_template("officials/codes.html", points=points, waves=waves, fields=fields,
                           errors=errors, form=form, max_batch=MAX_BATCH,
                           lang=current_lang()), 422 if errors else 200


def _download(codes, point, field, wave, fmt):
    base = url_for("public.home", _external=True)
    name = f"ma-khao-sat_{point.code}_{wave.code}.{fmt}"
    headers = attachment_headers(name)
    if fmt == "csv":
        body = sheet_csv(codes, point=point, field=field, wave=wave, base_url=base)
        return Response(body, mimetype="text/csv; charset=utf-8", headers=headers)
    pdf = sheet_pdf(codes, point=point, field=field, wave=wave, base_url=base, lang=current_lang())
    return Response(pdf, mimetype="application/pdf", headers=headers)


