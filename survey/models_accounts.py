"""Models of accounts and the audit log: users, their scopes, server-side sessions,
password-reset tokens and the append-only audit events.

Emails are stored lower-cased (a CHECK makes sure), so the unique constraint is a
case-insensitive one on both databases.  Session ids and reset tokens are stored as
SHA-256 digests: a copy of the database does not hold a usable cookie or link.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (DDL, JSON, Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index,
                        Integer, String, Table, event, true)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

ROLES = ("administrator", "methodologist", "official", "desk_operator")
# Roles that see every unit; the others see the subtrees of their scope.
ALL_UNITS_ROLES = ("administrator", "methodologist")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


user_units = Table(
    "user_units",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    """A person who signs in to the management pages, with one role and a scope of units."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)

    # The roots of the subtrees the user may see (officials and desk operators).
    units: Mapped[list["Unit"]] = relationship(secondary=user_units, order_by="Unit.code")  # noqa: F821

    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("email = lower(email)", name="email_lower"),
        CheckConstraint("failed_sign_ins >= 0", name="failed_not_negative"),
    )

    def __repr__(self) -> str:
        return f"<User {self.email}>"

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled user cannot be signed in
        return bool(self.active)

    @property
    def sees_all_units(self) -> bool:
        """Whether the role covers every unit whatever the scope."""
        return self.role in ALL_UNITS_ROLES


class UserSession(db.Model):
    """A signed-in browser: the signed cookie carries a random id whose digest is here.

    Deleting nothing: revoking sets ``revoked_at``, so a copied cookie stops working the
    moment the user signs out, changes password or is disabled.
    """

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)   # SHA-256 hex of the id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class PasswordResetToken(db.Model):
    """A one-time, expiring link to set a new password (stored as a digest)."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class AuditEvent(db.Model):
    """One line of the append-only audit log (triggers refuse UPDATE and DELETE).

    The actor's email is copied so that the line still reads right if the user changes;
    ``address`` is filled for sign-in events only (never for anything touching responses).
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    wave_code: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        # The address throttle counts recent failures of one address.
        Index("ix_audit_events_action_address_at", "action", "address", "at"),
    )


# The same statements are run by migration 0003 (written out there, as migrations are frozen).
APPEND_ONLY_MESSAGE = "audit_events is append-only"
POSTGRESQL_APPEND_ONLY = [
    f"""CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}';
END $$""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
]
SQLITE_APPEND_ONLY = [
    f"""CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END""",
]

for _statement in POSTGRESQL_APPEND_ONLY:
    event.listen(AuditEvent.__table__, "after_create",
                 DDL(_statement.replace("%", "%%")).execute_if(dialect="postgresql"))
for _statement in SQLITE_APPEND_ONLY:
    event.listen(AuditEvent.__table__, "after_create",
                 DDL(_statement).execute_if(dialect="sqlite"))
# metadata.drop_all drops the table (and its triggers); the PostgreSQL function stays
# behind unless dropped too.
event.listen(AuditEvent.__table__, "after_drop",
             DDL("DROP FUNCTION IF EXISTS audit_events_append_only()").execute_if(dialect="postgresql"))
