"""The audit log: one function, ``record``, that every audited action calls.

The event joins the caller's transaction (it is added and flushed, not committed), so an
import that rolls back leaves no line claiming it happened; callers commit.  Lines are
never changed or deleted: the database refuses it (see ``survey.models_accounts``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import has_request_context
from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, Unit, User, Wave

# The actions written by this code base; others may add their own dotted names.
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in.failed"
SIGN_IN_REFUSED = "sign_in.refused"      # throttled: not even checked
SIGN_OUT = "sign_out"
USER_CREATED = "user.created"
USER_CHANGED = "user.changed"
USER_DISABLED = "user.disabled"
PASSWORD_RESET_ISSUED = "password.reset_issued"
PASSWORD_CHANGED = "password.changed"
REPORT_DOWNLOADED = "report.downloaded"
EXPORT_DOWNLOADED = "export.downloaded"
AUDIT_EXPORTED = "audit.exported"


def _current_user() -> User | None:
    if not has_request_context():
        return None
    from flask_login import current_user

    return current_user if getattr(current_user, "is_authenticated", False) else None


def _code(value: Unit | Wave | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.code


def record(action: str, *, actor: User | None = None, unit: Unit | str | None = None,
           wave: Wave | str | None = None, details: dict[str, Any] | None = None,
           address: str | None = None) -> AuditEvent:
    """Add one audit line to the current transaction and return it.

    Parameters
    ----------
    action : str
        A dotted name such as ``"sign_in.failed"`` or ``"export.downloaded"``.
    actor : User, optional
        Who did it; by default the signed-in user of the current request (None from the
        command line, where the action is the server operator's).
    unit, wave : model or code, optional
        What it concerned (stored as codes, which outlive renames and deletions).
    details : dict, optional
        JSON-able details (format, counts, changed fields...).  Never survey answers.
    address : str, optional
        The client address: for sign-in events only.
    """
    if not action or len(action) > 64:
        raise ValueError(f"an audit action is 1-64 characters, not {action!r}")
    actor = actor if actor is not None else _current_user()
    event = AuditEvent(action=action, actor_id=actor.id if actor is not None else None,
                       actor_email=actor.email if actor is not None else None,
                       unit_code=_code(unit), wave_code=_code(wave),
                       details=details or None, address=address)
    db.session.add(event)
    db.session.flush()
    return event


def events(*, action: str | None = None, actor_email: str | None = None,
           since: dt.datetime | None = None, until: dt.datetime | None = None,
           limit: int | None = None, offset: int = 0):
    """Return the audit lines matching the filters, newest first."""
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_email:
        query = query.where(AuditEvent.actor_email == actor_email.strip().lower())
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return db.session.scalars(query)


def actions() -> list[str]:
    """Return every action that occurs in the log (the choices of the filter)."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
