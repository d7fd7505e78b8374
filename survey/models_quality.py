"""Reviews of data-quality flags: a methodologist confirms or clears a response's flag.

Flags themselves stay in ``Response.flags`` (nothing is ever deleted); a review records the
decision on one flag of one response and who made it, and every change is also written to
the audit log.  A cleared flag keeps its review row (``decision = "cleared"``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db

FLAG_DECISIONS = ("confirmed", "cleared")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class FlagReview(db.Model):
    """The current decision on one flag of one response."""

    __tablename__ = "flag_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"),
                                             index=True)
    flag: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)

    __table_args__ = (
        UniqueConstraint("response_id", "flag"),
        CheckConstraint("decision IN ('confirmed', 'cleared')", name="decision"),
    )

    def __repr__(self) -> str:
        return f"<FlagReview {self.response_id} {self.flag} {self.decision}>"
