"""Models of background jobs: a job an official started (bulk reports, an export, a
precomputation) and, for jobs that fan out, one part per unit.

The queue (Dramatiq, ``survey/jobs``) only carries job and part ids; what a job is, how
far it got and why it failed live here, so every web server shows the same progress and
a worker that dies loses nothing but the part it was writing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String,
                        Text, false)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

JOB_KINDS = ("report-bulk", "export", "precompute")
JOB_STATUSES = ("queued", "running", "ready", "failed")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Job(db.Model):
    """One background job: who started it, on what, how far it is, and its file."""

    __tablename__ = "jobs"

    # A random hex id: it names the job's directory and appears in URLs (not guessable).
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    # What the job was asked for (language, format, filters): plain JSON.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(Integer, default=1)
    done: Mapped[int] = mapped_column(Integer, default=0)
    # Why it failed: a category the pages translate ("report", "too_large", "internal")
    # and the technical detail (English, for the log and English pages).
    error_kind: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    # The name the finished file is downloaded under, and its path below JOBS_DIR.
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_path: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    parts: Mapped[list["JobPart"]] = relationship(back_populates="job", cascade="all, delete-orphan",
                                                  passive_deletes=True)

    __table_args__ = (
        CheckConstraint(_in("kind", JOB_KINDS), name="kind"),
        CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        CheckConstraint("done >= 0 AND done <= total", name="done_in_range"),
    )

    def __repr__(self) -> str:
        return f"<Job {self.kind} {self.id} {self.status}>"


class JobPart(db.Model):
    """One unit of a job that fans out (one report of ``report-bulk``)."""

    __tablename__ = "job_parts"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Times a worker started this part: above 1 after a retry or a worker that died.
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    job: Mapped[Job] = relationship(back_populates="parts")
