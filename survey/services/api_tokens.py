"""Personal API tokens: an official reads results through ``/api/v1`` as on the pages.

A token is ``sipas_`` and 43 URL-safe characters (256 random bits), shown once; only its
SHA-256 digest is stored (a guess of 256 bits needs no key stretching).  It acts as its
owner, with the owner's role and scope at the time of each request: disabling the user or
revoking the token stops it at once.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update

from ..extensions import db
from ..models import User, local_today, utcnow
from ..models_invitations import ApiToken
from . import audit

PREFIX = "sipas_"
MAX_NAME_LENGTH = 100
MAX_TOKENS = 20
TOKEN_CREATED = "api_token.created"
TOKEN_REVOKED = "api_token.revoked"
# Roles whose tokens may read results (desk operators see no results on the pages either).
RESULT_ROLES = ("administrator", "methodologist", "official")


class TokenError(ValueError):
    """A refused token operation; ``reason`` is ``name`` or ``too_many``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def token_hash(token: str) -> str:
    """Return the stored digest of ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_of(user: User) -> list[ApiToken]:
    """Return ``user``'s tokens, newest first (revoked ones too, for the record)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token called ``name`` for ``user``; commit; return it and its text (shown once)."""
    name = " ".join(str(name or "").split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise TokenError("name")
    live = [t for t in tokens_of(user) if t.revoked_at is None]
    if len(live) >= MAX_TOKENS:
        raise TokenError("too_many")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(token),
                   prefix=token[:len(PREFIX) + 4])
    db.session.add(row)
    audit.record(TOKEN_CREATED, actor=user, details={"token": name})
    db.session.commit()
    return row, token


def revoke_token(user: User, token_id: int) -> bool:
    """Revoke ``user``'s token ``token_id``; commit.  False when not theirs or already revoked."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    audit.record(TOKEN_REVOKED, actor=user, details={"token": row.name, "token_id": row.id})
    db.session.commit()
    return True


def parse_bearer(header: str | None) -> str | None:
    """Return the token of an ``Authorization: Bearer <token>`` header, else None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(PREFIX) or len(token) > 100:
        return None
    return token


def authenticate_token(token: str) -> User | None:
    """Return the active user of a live token whose role reads results; None otherwise."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.active or user.role not in RESULT_ROLES:
        return None
    today = local_today()
    if row.last_used_on != today:
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id)
                           .values(last_used_on=today).execution_options(synchronize_session=False))
        db.session.commit()
    return user
