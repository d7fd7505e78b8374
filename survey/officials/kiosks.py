"""The tablets (kiosks) of one service point: issue a one-time enrolment code, list the
enrolled tablets, revoke one.

Administrators and desk operators, for points of units in their scope (404 outside, as
for units).  Thin views: ``survey.services.devices`` does the work and audits it.
"""

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..extensions import db
from ..models import ServicePoint
from ..models_devices import Device
from ..services import devices
from . import bp
from .access import roles_required
from .scope import scope_ids

ROLES = ("administrator", "desk_operator")
QUESTIONNAIRE_LABELS = {"desk": _l("The short desk questionnaire"),
                        "full": _l("The full questionnaire")}


class EnrolmentForm(FlaskForm):
    """Issue a code for one tablet: its name and which questionnaire it shows."""

    name = StringField(_l("Name of the tablet"), default="",
                       validators=[InputRequired(), Length(max=devices.MAX_NAME_LENGTH)])
    questionnaire = RadioField(_l("Questionnaire"), default="desk",
                               choices=[SelectChoice(k, v) for k, v in QUESTIONNAIRE_LABELS.items()],
                               validators=[InputRequired()])


class RevokeForm(FlaskForm):
    """Carries the CSRF token of the revoke buttons."""


def point_or_404(code: str) -> ServicePoint:
    """Return the active point ``code`` if its unit is in the user's scope; 404 otherwise."""
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == code))
    ids = scope_ids()
    if point is None or not point.active or (ids is not None and point.unit_id not in ids):
        abort(404, _("There is no such service point in your units."))
    return point


def _page(point, form, *, code=None, expires_at=None, status=200):
    rows = devices.devices_of([point.id])
    return render_template("officials/kiosks.html", point=point, form=form, devices=rows,
                           revoke_form=RevokeForm(), code=code, expires_at=expires_at,
                           labels=QUESTIONNAIRE_LABELS, minutes=devices.ENROLMENT_MINUTES,
                           enrol_url=url_for("kiosk.enrol", _external=True)), status


@bp.get("/diem-tiep-nhan/<point_code>/may-tinh-bang")
@roles_required(*ROLES)
def kiosks(point_code: str):
    """The tablets of a point and the form to enrol one."""
    point = point_or_404(point_code)
    return _page(point, EnrolmentForm(formdata=None, name=_("Tablet %(n)s",
                                                                n=len(devices.devices_of([point.id])) + 1)))


@bp.post("/diem-tiep-nhan/<point_code>/may-tinh-bang")
@roles_required(*ROLES)
def kiosk_code(point_code: str):
    """Issue a one-time enrolment code (shown once) for a tablet of the point."""
    point = point_or_404(point_code)
    form = EnrolmentForm()
    if not form.validate_on_submit() or form.questionnaire.data not in devices.DEVICE_QUESTIONNAIRES \
            or not (form.name.data or "").strip():
        return _page(point, form, status=422)
    row, code = devices.create_enrolment_code(point, name=form.name.data,
                                              questionnaire=form.questionnaire.data,
                                              actor=current_user)
    return _page(point, form, code=devices.format_code(code), expires_at=row.expires_at, status=201)


@bp.post("/diem-tiep-nhan/<point_code>/may-tinh-bang/<int:device_id>/thu-hoi")
@roles_required(*ROLES)
def kiosk_revoke(point_code: str, device_id: int):
    """Revoke a tablet of the point: its credential stops working at once."""
    point = point_or_404(point_code)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    device = db.session.get(Device, device_id)
    if device is None or device.service_point_id != point.id:
        abort(404, _("There is no such tablet at this service point."))
    devices.revoke(device, actor=current_user)
    return redirect(url_for(".kiosks", point_code=point.code), code=303)
