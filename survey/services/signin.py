"""Signing in: throttling, password checks and server-side sessions.

Throttling lives in the database, so it holds however many workers serve the site:

- per account, ``failed_sign_ins`` counts consecutive failures; from the
  ``SIGN_IN_FREE_FAILURES``-th on the account is locked for ``SIGN_IN_LOCK_SECONDS``,
  doubling with every further failure (capped at a day); a success resets it;
- per client address, the ``sign_in.failed`` lines of the audit log in the last
  ``SIGN_IN_ADDRESS_WINDOW`` seconds are counted; at ``SIGN_IN_ADDRESS_LIMIT`` the address
  is refused (429) until the oldest of them leaves the window.

A session is a random id kept in the signed cookie; its SHA-256 digest is a row of
``user_sessions``, so revoking the row ends the session even for a copied cookie.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import AuditEvent, User, UserSession, utcnow
from . import accounts, audit

DEFAULTS = {
    "SIGN_IN_FREE_FAILURES": 5,
    "SIGN_IN_LOCK_SECONDS": 60,
    "SIGN_IN_MAX_LOCK_SECONDS": 24 * 3600,
    "SIGN_IN_ADDRESS_LIMIT": 20,
    "SIGN_IN_ADDRESS_WINDOW": 15 * 60,
    # An office computer left signed in should not stay open forever.
    "SESSION_HOURS": 12,
}


@functools.cache
def _dummy_hash() -> str:
    # Checked against when the email is unknown, so that both cases take as long.
    return accounts.hash_password("not a password of anyone")


def setting(name: str) -> int:
    """Return the configured value of one of ``DEFAULTS``."""
    return int(current_app.config.get(name, DEFAULTS[name]))


@dataclass(frozen=True)
class Outcome:
    """The result of a sign-in attempt.

    ``status`` is ``"ok"`` (with ``user`` and ``token``), ``"wrong"`` (email or password),
    ``"locked"`` (the account, for ``wait`` seconds) or ``"throttled"`` (the address).
    """

    status: str
    user: User | None = None
    token: str | None = None
    wait: int = 0


def lock_seconds(failures: int) -> int:
    """Return how long an account with ``failures`` consecutive failures stays locked."""
    free = setting("SIGN_IN_FREE_FAILURES")
    if failures < free:
        return 0
    seconds = setting("SIGN_IN_LOCK_SECONDS") * 2 ** min(failures - free, 30)
    return min(seconds, setting("SIGN_IN_MAX_LOCK_SECONDS"))


def address_wait(address: str, now: dt.datetime) -> int:
    """Return the seconds ``address`` must wait before trying again (0: it may try now)."""
    limit, window = setting("SIGN_IN_ADDRESS_LIMIT"), setting("SIGN_IN_ADDRESS_WINDOW")
    since = now - dt.timedelta(seconds=window)
    recent = (select(AuditEvent.at)
              .where(AuditEvent.action == audit.SIGN_IN_FAILED, AuditEvent.address == address,
                     AuditEvent.at > since)
              .order_by(AuditEvent.at.desc()).limit(limit))
    times = list(db.session.scalars(recent))
    if len(times) < limit:
        return 0
    # The address may try again once the oldest of the last ``limit`` failures is out.
    free_at = times[-1] + dt.timedelta(seconds=window)
    return max(1, math.ceil((free_at - now).total_seconds()))


def _refuse(reason: str, address: str, user: User | None, wait: int) -> None:
    current_app.logger.warning("sign-in refused (%s) from %s for %s, %ss to wait",
                               reason, address, user.email if user else "-", wait)
    audit.record(audit.SIGN_IN_REFUSED, actor=user, address=address,
                 details={"reason": reason, "wait_seconds": wait})
    db.session.commit()


def authenticate(email: str, password: str, address: str) -> Outcome:
    """Check a sign-in attempt from ``address``; start a session when it succeeds."""
    now = utcnow()
    address = (address or "unknown")[:64]
    wait = address_wait(address, now)
    if wait:
        _refuse("address", address, None, wait)
        return Outcome("throttled", wait=wait)
    user = accounts.find_user(email)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        wait = max(1, math.ceil((user.locked_until - now).total_seconds()))
        _refuse("locked", address, user, wait)
        return Outcome("locked", wait=wait)
    good = accounts.verify_password(user.password_hash if user else _dummy_hash(), password or "")
    if user is None or not good or not user.active:
        return _failed(user, address, now, reason="password" if user is not None and user.active
                       else "unknown account" if user is None else "disabled")
    if accounts.needs_rehash(user.password_hash):
        user.password_hash = accounts.hash_password(password)
    user.failed_sign_ins, user.locked_until = 0, None
    token = start_session(user)
    audit.record(audit.SIGN_IN, actor=user, address=address)
    db.session.commit()
    return Outcome("ok", user=user, token=token)


def _failed(user: User | None, address: str, now: dt.datetime, reason: str) -> Outcome:
    details = {"reason": reason}
    wait = 0
    if user is not None:
        # One UPDATE: concurrent failures on several workers all count.
        db.session.execute(update(User).where(User.id == user.id)
                           .values(failed_sign_ins=User.failed_sign_ins + 1))
        db.session.refresh(user)
        wait = lock_seconds(user.failed_sign_ins)
        if wait:
            user.locked_until = now + dt.timedelta(seconds=wait)
            details["locked_seconds"] = wait
        details["failures"] = user.failed_sign_ins
    current_app.logger.warning("sign-in failed (%s) from %s for %s", reason, address,
                               user.email if user else "an unknown email")
    audit.record(audit.SIGN_IN_FAILED, actor=user, address=address, details=details)
    db.session.commit()
    return Outcome("locked" if wait else "wrong", wait=wait)


def start_session(user: User) -> str:
    """Add a session of ``user``; return its random id (for the cookie, never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(id=accounts.digest(token), user_id=user.id, created_at=now,
                               expires_at=now + dt.timedelta(hours=setting("SESSION_HOURS"))))
    return token


def session_user(token) -> User | None:
    """Return the active user of the live session ``token``, or None."""
    if not isinstance(token, str) or not token or len(token) > 128:
        return None
    row = db.session.get(UserSession, accounts.digest(token))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row.user if row.user.active else None


def end_session(token) -> None:
    """Revoke the session ``token`` (nothing happens for an unknown one); commits."""
    if isinstance(token, str) and token:
        db.session.execute(update(UserSession)
                           .where(UserSession.id == accounts.digest(token),
                                  UserSession.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
        db.session.commit()


def live_sessions(user: User) -> int:
    """Return how many unrevoked, unexpired sessions ``user`` has."""
    return db.session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
        UserSession.expires_at > utcnow())) or 0
