"""Who may submit through the API: an enrolled kiosk (``Authorization: Device <token>``)
or the holder of a one-time invitation code (``Authorization: Code <code>``).

Anything else — no header, another scheme, an empty value — is a 401 with a message in the
client's language, before the body is read.  Each credential is counted against its own
rate limit (``survey.ratelimits.limit_credential``), the address against its own.  The
device itself is checked by ``views._kiosk_device`` (its point and waves); the code here.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Gone, Unauthorized

from ..models_invitations import InvitationCode
from ..ratelimits import limit_credential
from ..services.invitations import InvitationError, find_code, normalize_code

SCHEMES = {"device": "device", "code": "code"}
MAX_VALUE = 256


def _credential() -> tuple[str, str] | None:
    header = (request.headers.get("Authorization") or "").strip()
    scheme, _sep, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme not in SCHEMES:
        return None
    # An empty or absurd value under a known scheme is a wrong credential, not an absent
    # one: the scheme's own check says so (views._kiosk_device, invitation_for).
    return scheme, value[:MAX_VALUE + 1]


def unauthorized(message: str) -> Unauthorized:
    """A 401 naming the schemes the API accepts."""
    challenge = WWWAuthenticate("Device")
    return Unauthorized(message, www_authenticate=challenge)


def require_credential() -> str:
    """Return the scheme of the request's credential (``device`` or ``code``); 401 without.

    The credential is counted against its rate limit here (429 past it).
    """
    found = _credential()
    if found is None:
        raise unauthorized(_("Anonymous submissions are not accepted. Send the answers from "
                             "an enrolled kiosk (Authorization: Device <token>) or with the "
                             "one-time code from a receipt slip (Authorization: Code "
                             "<code>)."))
    scheme, value = found
    if value:
        limit_credential(scheme, normalize_code(value) if scheme == "code" else value)
    return scheme


def code_value() -> str:
    """Return the code of an ``Authorization: Code <code>`` header (already required)."""
    return _credential()[1]


def refuse_code(reason: str):
    """Raise the API's answer to a code that cannot be used."""
    if reason == "unknown":
        raise unauthorized(_("This code does not exist. Check the code on the receipt slip."))
    if reason == "used":
        raise Gone(_("This code has already been used: each code takes one answer."))
    raise Gone(_("The survey this code belongs to has ended."))


def invitation_for(body: dict) -> InvitationCode:
    """Return the usable invitation of the request's code for ``body``'s wave and point.

    401 unknown code, 410 used or expired, 403 when the body names another wave, point or
    field than the code opens.
    """
    try:
        invitation = find_code(code_value())
    except InvitationError as error:
        refuse_code(error.reason)
    field = invitation.service_field.code if invitation.service_field is not None else None
    if (body["wave"], body["point"]) != (invitation.wave.code, invitation.service_point.code) or (
            field is not None and body.get("field") not in (None, field)):
        raise Forbidden(_("This code opens another survey, service point or service field."))
    return invitation
