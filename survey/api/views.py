"""``POST /api/v1/responses``: store one queued questionnaire, exactly once.

The body is checked strictly at the boundary (400 for anything malformed, nested deeper
than ``MAX_DEPTH`` or holding text that breaks ``survey.security``'s rule), the answers by
``questionnaires.check_answers`` (422 with the first ``MAX_ERRORS`` problems and their
total), and messages follow ``Accept-Language`` (Vietnamese by default) because kiosks show
them to staff.  A ``submission_id`` already stored answers 200 when the body is the same
(see :func:`_same_submission`) and 409 when it is not.
"""

import datetime as dt
import json
import uuid

from flask import abort, current_app, g, jsonify, request
from flask_babel import force_locale, gettext as _
from flask_limiter import RateLimitExceeded
from pydantic import ValidationError
from questionnaires import check_answers
from sqlalchemy import select
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import (BadRequest, Conflict, Forbidden, Gone, HTTPException, NotFound,
                                 Unauthorized)

from ..errors import answer_error_message, api_locale
from ..extensions import db
from ..models import MAX_DURATION, Response, ServicePoint, answering_duration, utcnow
from ..public.flow import channel_of
from ..ratelimits import limit_address, limit_point
from ..services import devices
from ..services.invitations import InvitationError
from ..services.links import SurveyLinkError
from ..services.lookup import resolve, service_field as lookup_service_field
from ..services.quality import ParadataError, answer_flags, clean_paradata
from ..services.questionnaire_versions import compiled_version, load_version
from ..services.responses import CLOCK_SKEW, is_stored, same_timing, store_response
from ..security import is_clean_text
from . import bp, credentials
from .schemas import ErrorOut, InvalidOut, ResponseIn, StatusOut
from .spec import operation

REQUIRED_KEYS = ("wave", "point", "submission_id", "answers")
# A questionnaire's answers are at most a list inside an object inside the body.
MAX_DEPTH = 8
# Problems listed in a 422; the total is given beside them.
MAX_ERRORS = 50
# A wave without a start date accepts starts up to this long ago.
MAX_AGE = dt.timedelta(days=366)


@bp.post("/responses")
@operation("post", "/responses", "Submit one questionnaire response (stored once per submission_id)",
           body=ResponseIn, security=("device", "code"),
           responses={200: StatusOut, 201: StatusOut, 400: ErrorOut, 401: ErrorOut,
                      403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 410: ErrorOut,
                      413: ErrorOut, 422: InvalidOut, 429: ErrorOut, 503: ErrorOut})
def create_response():
    """Store a submission: 201 created, 200 duplicate, 4xx with a localized message."""
    limit_address()       # first of all: one budget per address (survey.ratelimits)
    lang = api_locale()
    with force_locale(lang):
        try:
            result = _create_response(lang)
        except HTTPException:
            _confirm_cached_device()
            raise
        if result[1] != 201:
            _confirm_cached_device()
        return result


def _create_response(lang: str):
    # Anonymous submissions are refused before the body is read; each credential has
    # its own budget besides the address's (survey.api.credentials).
    scheme = credentials.require_credential()
    body, started_at = _read_body()
    device = _kiosk_device(body)
    # Read now, while the row is loaded: recorded on the response (per-device bursts).
    device_id = device.id if device is not None else None
    submission_id = str(uuid.UUID(body["submission_id"]))
    invitation = None
    if scheme == "code":
        # A retry after a lost reply must hear "duplicate", though its code is now used.
        _answer_if_stored(submission_id, body, started_at)
        invitation = credentials.invitation_for(body)
        if invitation.service_field is not None and body.get("field") is None:
            body["field"] = invitation.service_field.code
    # The cached look-up: no query for a known, open link (survey.services.lookup).
    link = resolve(body["wave"], body["point"])
    reason = link.refusal()
    if reason is not None:
        if device is not None and body["point"] != db.session.get(
                ServicePoint, device.service_point_id).code:
            raise Forbidden(_("This tablet is enrolled at another service point."))
        # A kiosk retrying after a lost reply must hear "duplicate", even if the wave closed.
        _answer_if_stored(submission_id, body, started_at)
        _refuse_link(SurveyLinkError(reason))
    wave, point = link.wave, link.point
    if device is not None:
        _check_device_link(device, wave, point, submission_id)
    try:
        limit_point(point.code)
    except RateLimitExceeded:
        # A retry of a stored submission is answered, not refused: only this refusal path
        # looks for it, so a valid new submission pays nothing for the rule.
        _answer_if_stored(submission_id, body, started_at)
        raise
    questionnaire = compiled_version(wave.questionnaire_version_id, wave.content_hash)

    errors = []
    service_field = None
    if body.get("field") is not None:
        service_field = lookup_service_field(body["field"])
        if service_field is None:
            errors.append({"question": None, "code": "unknown_field",
                           "message": _("Unknown service field “%(code)s”.",
                                        code=body["field"])})
    time_error = _started_at_error(started_at, wave)
    if time_error:
        errors.append({"question": None, "code": "started_at", "message": time_error})
    submitted_at, time_error = _submitted_at(body, started_at, wave)
    if time_error:
        errors.append({"question": None, "code": "submitted_at", "message": time_error})
    answers = body["answers"]
    try:
        paradata = clean_paradata(body.get("paradata"))
    except ParadataError as error:
        paradata = None
        errors.append({"question": None, "code": "paradata",
                       "message": _("“paradata” must be {\"pages\": {page: seconds}} with "
                                    "whole seconds from 0 to %(max)s.", max=MAX_DURATION)})
        current_app.logger.info("paradata refused: %s", error)
    if len(answers) > len(questionnaire.questions):
        # More answers than questions: some are surely unknown. Say which without checking
        # the rest, so a huge body costs no more than reading it.
        _answer_if_stored(submission_id, body, started_at)
        unknown = [str(k) for k in answers if k not in questionnaire.questions]
        total = len(errors) + len(unknown)
        errors += [{"question": k, "code": "unknown_question",
                    "message": _("There is no question “%(id)s” in this questionnaire.", id=k)}
                   for k in unknown[:MAX_ERRORS]]
        return _invalid(errors, total)
    result = check_answers(questionnaire, answers)
    total = len(errors) + len(result.errors)
    errors += [{"question": e.question_id, "code": e.code,
                "message": answer_error_message(e, questionnaire, lang)}
               for e in result.errors[:max(0, MAX_ERRORS - len(errors))]]
    if errors:
        # Another body under a stored submission_id is a conflict, valid or not.
        _answer_if_stored(submission_id, body, started_at)
        return _invalid(errors, total)

    try:
        row, created = store_response(
            wave=wave, service_point=point, answers=dict(result.values),
            submission_id=submission_id, started_at=started_at,
            service_field=service_field, channel=channel_of(result.values),
            mode="kiosk" if device is not None else "code" if invitation is not None else "api",
            submitted_at=submitted_at, is_demo=wave.is_demo, invitation=invitation,
            paradata=paradata, device_id=device_id,
            flags=answer_flags(questionnaire, result.values,
                               answering_duration(started_at, submitted_at or utcnow())))
    except SurveyLinkError as error:
        _refuse_link(error)
    except devices.DeviceRevokedError:
        raise _device_refused() from None
    except InvitationError as error:
        # Two submissions of one code at once: one is stored, the other hears why not
        # (or "duplicate" when it was the same submission sent twice).
        if is_stored(submission_id):
            stored = db.session.scalar(select(Response).where(
                Response.submission_id == submission_id))
            return _duplicate(stored, body, started_at)
        credentials.refuse_code(error.reason)
    if created:
        return jsonify({"status": "created"}), 201
    return _duplicate(row, body, started_at)


def _kiosk_device(body: dict):
    """Return the kiosk named by ``Authorization: Device <token>`` (a ``DeviceInfo``), or
    None without one.

    401 for an unknown or revoked credential (one query, none when this process
    authenticated the token this hour; the link is checked later by
    :func:`_check_device_link`).  A device from the cache may have been revoked since by
    another process: the INSERT stores nothing for it, and every other answer confirms it
    first (:func:`_confirm_cached_device`), so the answers are those of a fresh look-up.
    """
    header = request.headers.get("Authorization", "")
    if not header.strip().lower().startswith(devices.AUTH_SCHEME.lower()):
        return None
    token = devices.parse_authorization(header)
    device, cached = devices.authenticate_device_cached(token) if token else (None, False)
    if device is None:
        raise _device_refused()
    if cached:
        g.cached_device_token = token
    return device


def _device_refused() -> Unauthorized:
    return Unauthorized(_("This tablet is not enrolled or its enrolment was revoked. "
                          "Ask the desk operator to enrol it again; its unsent answers "
                          "stay on the tablet."),
                        www_authenticate=WWWAuthenticate(devices.AUTH_SCHEME))


def _confirm_cached_device() -> None:
    """401 when the request's device came from the cache and is revoked now.

    Called before any answer but 201 (whose INSERT checked the device itself), so that a
    revoked tablet hears 401, as a fresh look-up would have answered, not 200, 409 or 422.
    """
    token = g.pop("cached_device_token", None)
    if token is None:
        return
    db.session.rollback()        # a refused request may have left its transaction open
    if devices.authenticate_device(token) is None:
        devices.forget_device(token)
        raise _device_refused()


def _check_device_link(device, wave, point, submission_id: str) -> None:
    """403 when the body names another service point than the device's, or an open wave
    the device does not answer (a retry of a stored submission is left to the duplicate
    check).  No query when the wave's questionnaire is of the device's kind."""
    if point.id != device.service_point_id:
        raise Forbidden(_("This tablet is enrolled at another service point."))
    questionnaire = compiled_version(wave.questionnaire_version_id, wave.content_hash)
    if (questionnaire.id == devices.DESK_QID) == (device.questionnaire == "desk"):
        return
    # Another kind: allowed only when no wave of the device's kind is open (device_waves).
    if is_stored(submission_id):
        return
    if wave.code not in {w.code for w in devices.device_waves(device)}:
        raise Forbidden(_("This tablet does not answer this survey."))


def _answer_if_stored(submission_id: str, body: dict, started_at: dt.datetime | None) -> None:
    """Answer 200 (raised as an HTTP exception) or 409 when ``submission_id`` is stored.

    Only the refusal paths ask: a valid new submission learns it from its INSERT.
    """
    existing = db.session.scalar(select(Response).where(Response.submission_id == submission_id))
    if existing is not None:
        abort(_duplicate(existing, body, started_at)[0])


def _invalid(errors: list[dict], total: int):
    return jsonify({"errors": errors[:MAX_ERRORS], "total": total}), 422


def _duplicate(row: Response, body: dict, started_at: dt.datetime | None):
    """200 for a retry of the stored submission, 409 for another body under its id."""
    if not _same_submission(row, body, started_at):
        raise Conflict(_("This submission_id was already used for different answers. "
                         "The stored answers were kept; send new answers with a new "
                         "submission_id."))
    return jsonify({"status": "duplicate"}), 200


def _same_submission(row: Response, body: dict, started_at: dt.datetime | None) -> bool:
    """Return whether ``body`` would store exactly what ``row`` holds.

    The same body means: the same wave, service point and service field codes, a start
    time consistent with what was stored (the hour of submission and the duration, see
    ``same_timing``: the exact start is not kept), and the same answers once checked and
    coerced by the row's questionnaire version, compared as canonical JSON (sorted keys).
    """
    field = row.service_field.code if row.service_field is not None else None
    if (body["wave"], body["point"], body.get("field")) != (
            row.wave.code, row.service_point.code, field) or not same_timing(started_at, row):
        return False
    answers = body["answers"]
    questionnaire = load_version(row.questionnaire_version)
    if len(answers) > len(questionnaire.questions):
        return False
    result = check_answers(questionnaire, answers)
    return result.ok and _canonical(result.values) == _canonical(row.answers)


def _canonical(answers) -> str:
    return json.dumps(answers, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _started_at_error(started_at: dt.datetime | None, wave, key: str = "started_at") -> str | None:
    """Return why ``started_at`` (or another time ``key``) cannot be in an answer to ``wave``."""
    if started_at is None:
        return None
    now = utcnow()
    earliest = now - MAX_AGE
    if wave.starts_on is not None:
        # The wave's first day in Vietnam (UTC+7) begins at 17:00 UTC the day before.
        earliest = dt.datetime.combine(wave.starts_on, dt.time()) - dt.timedelta(hours=7)
    if started_at < earliest - CLOCK_SKEW or started_at > now + CLOCK_SKEW:
        return _("“%(key)s” must lie within the survey period, between %(start)s and "
                 "now (UTC); check the device's clock.", key=key,
                 start=earliest.strftime("%Y-%m-%d %H:%M"))
    return None


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
    except RecursionError:
        body = None
    if body is None or _too_deep(body):
        raise BadRequest(_("The request body is nested too deeply (at most %(n)s levels).",
                           n=MAX_DEPTH))
    if not isinstance(body, dict):
        raise BadRequest(_("The request body must be a JSON object."))
    for key in ("wave", "point", "field", "submission_id", "started_at", "submitted_at"):
        value = body.get(key)
        if isinstance(value, str) and not is_clean_text(value):
            raise BadRequest(_("“%(key)s” contains characters that are not allowed (a NUL "
                               "byte, a control character or invalid Unicode).", key=key))
    try:
        parsed = ResponseIn.model_validate(body)
    except ValidationError as error:
        raise BadRequest(_validation_message(error)) from None
    body["submission_id"] = str(parsed.submission_id)
    return body, _parse_time(body.get("started_at"))


def _validation_message(error: ValidationError) -> str:
    """Return the localized message of the first problem ``ResponseIn`` found."""
    problems = error.errors()
    missing = [key for key in REQUIRED_KEYS
               if any(p["type"] == "missing" and p["loc"][:1] == (key,) for p in problems)]
    if missing:
        return _("Missing keys: %(keys)s.", keys=", ".join(missing))
    extra = sorted(str(p["loc"][0]) for p in problems if p["type"] == "extra_forbidden")
    if extra:
        return _("Unknown keys: %(keys)s.", keys=", ".join(extra))
    first = problems[0]
    key = str(first["loc"][0]) if first["loc"] else ""
    if first["type"] == "string_too_long":
        return _("“%(key)s” is too long.", key=key)
    if key == "submission_id" and isinstance(first.get("input"), str) and first["input"]:
        return _("“submission_id” must be a UUID.")
    if key in ("wave", "point", "submission_id"):
        return _("“%(key)s” must be a non-empty string.", key=key)
    if key == "field":
        return _("“%(key)s” must be a string or null.", key="field")
    if key in ("started_at", "submitted_at"):
        return _("“%(key)s” must be an ISO 8601 time or null.", key=key)
    if key == "paradata":
        return _("“%(key)s” must be a JSON object or null.", key="paradata")
    return _("“answers” must be a JSON object.")


def _submitted_at(body: dict, started_at: dt.datetime | None, wave):
    """Return ``submitted_at`` (answers queued offline) and why it is implausible, or None.

    It may not lie before the survey period or the start, nor (beyond clock skew) after now.
    """
    submitted_at = _parse_time(body.get("submitted_at"), "submitted_at")
    if submitted_at is None:
        return None, None
    error = _started_at_error(submitted_at, wave, "submitted_at")
    if error is None and started_at is not None and submitted_at < started_at - CLOCK_SKEW:
        error = _("“submitted_at” must not lie before “started_at”.")
    return submitted_at, error


def _too_deep(value) -> bool:
    """Return whether ``value`` nests lists/objects deeper than ``MAX_DEPTH`` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def _no_constant(name: str):
    # Python's json accepts NaN and Infinity, which are not JSON.
    raise ValueError(name)


def _parse_time(value, key: str = "started_at") -> dt.datetime | None:
    """Return a time of the body as naive UTC (a time without zone is taken as UTC)."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC time
            parsed = None
    if parsed is None:
        raise BadRequest(_("“%(key)s” must be an ISO 8601 time or null.", key=key))
    return parsed
