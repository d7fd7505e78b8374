"""Models of the shared results cache (the database backend) and its version counters.

``results_cache`` holds computed SIPAS results (pickled plain objects) under a key that
names the wave, the filters, the options and the wave's data version; a row in state
``computing`` is the lock that makes concurrent first views compute once.
``results_versions`` holds counters bumped by changes the data version cannot see by
itself (a unit renamed, a data-quality decision); wave 0 is the whole site.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db

CACHE_STATES = ("computing", "ready", "failed")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class ResultsCacheEntry(db.Model):
    """One cached computation, or the lock of one under way (``state = computing``)."""

    __tablename__ = "results_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(16))
    progress: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    problem: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)

    __table_args__ = (
        CheckConstraint("state IN ('computing', 'ready', 'failed')", name="state"),
    )


class ResultsVersion(db.Model):
    """A counter in a wave's data version (``wave_id`` 0: every wave)."""

    __tablename__ = "results_versions"

    wave_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
