"""One-time invitation codes for the receipt slip: make a batch, look a code up, redeem it.

A code opens the questionnaire of one wave at one service point and field, works once and
expires with the wave.  Codes are 10 characters of an alphabet without look-alikes
(``CODE_ALPHABET``, 31 symbols: about 49.5 bits), printed as ``ABCDE-FGHJK``; typing is
forgiving (case, spaces and dashes are ignored).  Only an HMAC-SHA256 of the normalised
code, keyed with the app's secret key, is stored, so a copy of the database does not let
anyone try every code offline.  Changing ``SECRET_KEY`` therefore voids unused codes.

Redeeming is one conditional ``UPDATE … WHERE used_on IS NULL`` run by
``store_response`` inside the transaction that inserts the response: both are committed
together or neither, and of two submissions of one code at the same moment exactly one
updates the row (PostgreSQL re-checks the condition after the first commits; SQLite holds
the write lock from ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from ..extensions import db
from ..models import ServiceField, ServicePoint, User, Wave, local_today
from ..models_invitations import InvitationCode
from . import audit
from .short_codes import ALPHABET, format_code, keyed_hash, new_code as random_code, normalize_code
from .links import SurveyLinkError, check_open

CODE_ALPHABET = ALPHABET   # no 0/O, 1/I/L
CODE_LENGTH = 10
MAX_BATCH = 1000
CODES_ISSUED = "invitation.codes_issued"
# Why a code cannot be used (the friendly page says it in the user's language).
REASONS = ("unknown", "used", "expired")


class InvitationError(LookupError):
    """A code that cannot open a questionnaire; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def code_hash(code: str) -> str:
    """Return the stored digest of ``code`` (HMAC-SHA256 with the app's secret key)."""
    return keyed_hash(code, b"invitation:")


def looks_like_code(code: str) -> bool:
    """Return whether ``code`` could be a code at all (length and alphabet), before any query."""
    normal = normalize_code(code)
    return len(normal) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in normal)


def new_code() -> str:
    """Return a fresh random code (normalised, not formatted)."""
    return random_code(CODE_LENGTH)


def issue_codes(wave: Wave, point: ServicePoint, field: ServiceField | None, count: int, *,
                actor: User | None = None) -> tuple[str, list[str]]:
    """Create ``count`` codes for ``wave`` at ``point`` and ``field``; commit.

    Returns the batch id and the codes in clear (formatted): they are never shown again.
    Refuses (``ValueError``) a count outside 1..``MAX_BATCH``, and (``SurveyLinkError``) a
    wave that is not open at the point: a code must be usable when it is handed out.
    """
    if not 1 <= int(count) <= MAX_BATCH:
        raise ValueError(f"a batch has 1 to {MAX_BATCH} codes")
    check_open(wave, point)
    batch = uuid.uuid4().hex
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        code = new_code()
        digest = code_hash(code)
        if digest in seen:
            continue          # a collision in 31**10 is a curiosity, but never a duplicate row
        seen.add(digest)
        codes.append(code)
    db.session.add_all(InvitationCode(code_hash=code_hash(c), wave_id=wave.id,
                                      service_point_id=point.id,
                                      service_field_id=field.id if field is not None else None,
                                      batch=batch, created_by_id=actor.id if actor else None)
                       for c in codes)
    audit.record(CODES_ISSUED, actor=actor, unit=point.unit, wave=wave,
                 details={"point": point.code, "field": field.code if field else None,
                          "count": count, "batch": batch})
    db.session.commit()
    return batch, [format_code(c) for c in codes]


def find_code(code: str) -> InvitationCode:
    """Return the usable invitation behind ``code``; raise ``InvitationError`` otherwise.

    ``unknown`` (malformed or not issued, or its point retired), ``used``, or ``expired``
    (the wave is not open any more at the point).
    """
    if not isinstance(code, str) or not looks_like_code(code):
        raise InvitationError("unknown")
    row = db.session.scalar(select(InvitationCode).where(InvitationCode.code_hash == code_hash(code)))
    if row is None or not row.service_point.active:
        raise InvitationError("unknown")
    if row.used_on is not None:
        raise InvitationError("used")
    try:
        check_open(row.wave, row.service_point)
    except SurveyLinkError:
        raise InvitationError("expired") from None
    return row


def redeem(invitation: InvitationCode) -> None:
    """Mark ``invitation`` used in the current transaction; ``InvitationError("used")`` if
    another submission got there first.  The caller commits (with the response) or rolls back.
    """
    result = db.session.execute(
        update(InvitationCode)
        .where(InvitationCode.id == invitation.id, InvitationCode.used_on.is_(None))
        .values(used_on=local_today())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise InvitationError("used")
