"""Models of kiosk tablets: enrolled devices and the one-time codes that enrol them.

A device is bound to one service point and answers one questionnaire kind there (the
short desk questionnaire by default, or the full one).  Its credential (a random token
the tablet keeps) and the enrolment codes are stored only as digests, so a copy of the
database holds nothing that signs a tablet in.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

# "desk": the short desk questionnaire; "full": the full SIPAS questionnaire.
DEVICE_QUESTIONNAIRES = ("desk", "full")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Device(db.Model):
    """A kiosk tablet enrolled to one service point (revoked, never deleted)."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    # SHA-256 hex of the bearer token the tablet keeps.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    questionnaire: Mapped[str] = mapped_column(String(8), default="desk", server_default="desk")
    enrolled_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Kept to the hour: enough to see a silent tablet, too coarse to time an answer.
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    service_point: Mapped["ServicePoint"] = relationship()  # noqa: F821
    enrolled_by: Mapped["User | None"] = relationship()  # noqa: F821

    __table_args__ = (
        CheckConstraint(_in("questionnaire", DEVICE_QUESTIONNAIRES), name="questionnaire"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    def __repr__(self) -> str:
        return f"<Device {self.id} {self.name}>"

    @property
    def is_active(self) -> bool:
        """Whether the device may still submit (not revoked)."""
        return self.revoked_at is None


class EnrolmentCode(db.Model):
    """A short one-time code that enrols one tablet as a device of a service point."""

    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # HMAC-SHA-256 hex of the code under the app's secret key (short codes: see services).
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    device_name: Mapped[str] = mapped_column(String(100))
    questionnaire: Mapped[str] = mapped_column(String(8), default="desk", server_default="desk")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))

    service_point: Mapped["ServicePoint"] = relationship()  # noqa: F821
    device: Mapped[Device | None] = relationship()

    __table_args__ = (
        CheckConstraint(_in("questionnaire", DEVICE_QUESTIONNAIRES), name="questionnaire"),
        CheckConstraint("length(device_name) > 0", name="device_name_not_empty"),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
    )
