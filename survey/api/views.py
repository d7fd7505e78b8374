"""``POST /api/v1/responses``: store one queued questionnaire, exactly once.

The body is checked strictly at the boundary (400 for anything malformed), the answers by
``questionnaires.check_answers`` (422 with every problem), and messages follow
``Accept-Language`` (Vietnamese by default) because kiosks show them to staff.
"""

import datetime as dt
import json
import uuid

from flask import jsonify, request
from flask_babel import force_locale, gettext as _
from questionnaires import check_answers
from sqlalchemy import select
from werkzeug.exceptions import BadRequest, Gone, NotFound

from ..errors import answer_error_message, api_locale
from ..extensions import db
from ..models import Response, ServiceField
from ..public.flow import channel_of
from ..services.links import SurveyLinkError, find_survey
from ..services.questionnaire_versions import load_version
from ..services.responses import store_response
from . import bp

REQUIRED_KEYS = ("wave", "point", "submission_id", "answers")
OPTIONAL_KEYS = ("field", "started_at")


@bp.post("/responses")
def create_response():
    """Store a submission: 201 created, 200 duplicate, 4xx with a localized message."""
    lang = api_locale()
    with force_locale(lang):
        return _create_response(lang)


def _create_response(lang: str):
    body, started_at = _read_body()
    submission_id = str(uuid.UUID(body["submission_id"]))
    # A kiosk retrying after a lost reply must hear "duplicate", even if the wave closed.
    if db.session.scalar(select(Response.id).where(Response.submission_id == submission_id)):
        return jsonify({"status": "duplicate"}), 200
    try:
        wave, point = find_survey(body["wave"], body["point"])
    except SurveyLinkError as error:
        _refuse_link(error)
    questionnaire = load_version(wave.questionnaire_version)

    errors = []
    service_field = None
    if body.get("field") is not None:
        service_field = db.session.scalar(
            select(ServiceField).where(ServiceField.code == body["field"]))
        if service_field is None:
            errors.append({"question": None, "code": "unknown_field",
                           "message": _("Unknown service field “%(code)s”.",
                                        code=body["field"])})
    result = check_answers(questionnaire, body["answers"])
    errors += [{"question": e.question_id, "code": e.code,
                "message": answer_error_message(e, questionnaire, lang)}
               for e in result.errors]
    if errors:
        return jsonify({"errors": errors}), 422

    try:
        _row, created = store_response(
            wave=wave, service_point=point, answers=dict(result.values),
            submission_id=submission_id, started_at=started_at,
            service_field=service_field, channel=channel_of(result.values), mode="api",
            is_demo=wave.is_demo)
    except SurveyLinkError as error:
        _refuse_link(error)
    if created:
        return jsonify({"status": "created"}), 201
    return jsonify({"status": "duplicate"}), 200


def _refuse_link(error: SurveyLinkError):
    if error.reason == "closed":
        raise Gone(_("The survey period has ended. Thank you for your interest."))
    raise NotFound(_("Unknown survey wave or service point."))


def _read_body() -> tuple[dict, dt.datetime | None]:
    """Return the checked JSON body and its start time; 400 for anything malformed."""
    if not request.is_json:
        raise BadRequest(_("The request body must be JSON (Content-Type: "
                           "application/json)."))
    try:
        body = json.loads(request.get_data(), parse_constant=_no_constant)
    except ValueError:
        raise BadRequest(_("The request body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise BadRequest(_("The request body must be a JSON object."))
    missing = [key for key in REQUIRED_KEYS if key not in body]
    if missing:
        raise BadRequest(_("Missing keys: %(keys)s.", keys=", ".join(missing)))
    extra = sorted(set(body) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if extra:
        raise BadRequest(_("Unknown keys: %(keys)s.", keys=", ".join(extra)))
    for key in ("wave", "point", "submission_id"):
        if not isinstance(body[key], str) or not body[key]:
            raise BadRequest(_("“%(key)s” must be a non-empty string.", key=key))
    if body.get("field") is not None and not isinstance(body["field"], str):
        raise BadRequest(_("“%(key)s” must be a string or null.", key="field"))
    if not isinstance(body["answers"], dict):
        raise BadRequest(_("“answers” must be a JSON object."))
    try:
        uuid.UUID(body["submission_id"])
    except ValueError:
        raise BadRequest(_("“submission_id” must be a UUID.")) from None
    return body, _parse_time(body.get("started_at"))


def _no_constant(name: str):
    # Python's json accepts NaN and Infinity, which are not JSON.
    raise ValueError(name)


def _parse_time(value) -> dt.datetime | None:
    """Return ``started_at`` as naive UTC (a time without zone is taken as UTC)."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise BadRequest(_("“started_at” must be an ISO 8601 time or null."))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed
