"""Models of one-time invitation codes (printed on receipt slips) and personal API tokens.

Neither is stored in clear: a code is kept as an HMAC-SHA256 of its normalised text made
with the app's secret key (codes are short, so a plain digest could be reversed by trying
them all), a token as the SHA-256 of its 256 random bits.  A code is not linked to the
response it opened: the one-stop software that printed it knows whose slip it was.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class InvitationCode(db.Model):
    """A one-time code that opens a wave's questionnaire at one service point and field."""

    __tablename__ = "invitation_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    service_field_id: Mapped[int | None] = mapped_column(ForeignKey("service_fields.id"))
    # Codes made together (one sheet or file) share a batch, for the record.
    batch: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The day (in Vietnam) it was used, null while unused: no finer time, so that the
    # platform's records cannot be joined to a response's hour to name the respondent.
    used_on: Mapped[dt.date | None] = mapped_column(Date)

    wave: Mapped["Wave"] = relationship()  # noqa: F821
    service_point: Mapped["ServicePoint"] = relationship()  # noqa: F821
    service_field: Mapped["ServiceField | None"] = relationship()  # noqa: F821

    __table_args__ = (Index("ix_invitation_codes_wave_id_service_point_id",
                            "wave_id", "service_point_id"),)


class ApiToken(db.Model):
    """A personal API token of a signed-in official: reads results like the pages do."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown in lists so the owner can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    last_used_on: Mapped[dt.date | None] = mapped_column(Date)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped["User"] = relationship()  # noqa: F821
