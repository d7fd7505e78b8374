"""Database models: the unit tree, service points, questionnaire versions, waves, responses.

Times are naive UTC.  Database rules are ``CheckConstraint`` s so that they hold for every
writer (the app, the demo loader, a psql session), not only for the forms.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from .extensions import db

# JSONB on PostgreSQL so answers can be indexed and queried; plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")

# Wave dates are calendar dates in Vietnam, whatever the server's clock zone is.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

WAVE_STATUSES = ("draft", "open", "closed")
CHANNELS = ("in_person", "online", "post")
# How a response reached us: "web" is the reusable public link (posters), "code" a one-time
# invitation code from a receipt slip (survey.models_invitations).
MODES = ("web", "kiosk", "api", "code")
# Answering times are kept up to a day; anything longer says no more than "a day or more".
MAX_DURATION = 24 * 3600


def utcnow() -> dt.datetime:
    """Return the current time as naive UTC, the form every timestamp is stored in."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def coarse_time(moment: dt.datetime) -> dt.datetime:
    """Return ``moment`` truncated to the hour, the precision ``submitted_at`` is kept at."""
    return moment.replace(minute=0, second=0, microsecond=0)


def submitted_hour() -> dt.datetime:
    """Return the current hour (naive UTC): the ``submitted_at`` of a response sent now."""
    return coarse_time(utcnow())


def answering_duration(started_at: dt.datetime | None, submitted_at: dt.datetime) -> int | None:
    """Return the seconds from ``started_at`` to ``submitted_at``, bounded to 0..MAX_DURATION.

    None when the start is unknown.  A start a little after the submission (a tablet's
    clock) counts as 0; a form left open for days counts as ``MAX_DURATION``.
    """
    if started_at is None:
        return None
    seconds = int((submitted_at - started_at).total_seconds())
    return min(max(seconds, 0), MAX_DURATION)


def local_today() -> dt.date:
    """Return today's date in Vietnam."""
    return dt.datetime.now(LOCAL_TZ).date()


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


wave_units = Table(
    "wave_units",
    db.metadata,
    Column("wave_id", ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class Unit(db.Model):
    """An administrative unit (province, department, commune, centre...) in a tree of any depth."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # Set when an import no longer lists the unit: its history (responses, populations)
    # stays, its service points are closed; a later import that lists it again restores it.
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")
    service_points: Mapped[list[ServicePoint]] = relationship(back_populates="unit")

    __table_args__ = (CheckConstraint("parent_id IS NULL OR parent_id != id", name="not_own_parent"),)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"

    def ancestors(self) -> list[Unit]:
        """Return the units above this one, nearest first, in one recursive query."""
        if self.parent_id is None:
            return []
        up = select(Unit.id, Unit.parent_id, literal(1).label("depth"))
        up = up.where(Unit.id == self.parent_id).cte("up", recursive=True)
        parent = aliased(Unit)
        up = up.union_all(
            select(parent.id, parent.parent_id, up.c.depth + 1).where(parent.id == up.c.parent_id)
        )
        query = select(Unit).join(up, Unit.id == up.c.id).order_by(up.c.depth)
        return list(db.session.scalars(query))

    def descendant_ids(self) -> set[int]:
        """Return the ids of this unit and every unit below it, in one recursive query."""
        tree = select(Unit.id).where(Unit.id == self.id).cte("tree", recursive=True)
        child = aliased(Unit)
        tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
        return set(db.session.scalars(select(tree.c.id)))


class ServiceField(db.Model):
    """A field of administrative procedures (lĩnh vực): justice, land, construction..."""

    __tablename__ = "service_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<ServiceField {self.code}>"


class ServicePoint(db.Model):
    """A place where dossiers are received (a one-stop desk, a kiosk, an online portal)."""

    __tablename__ = "service_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    unit: Mapped[Unit] = relationship(back_populates="service_points")

    def __repr__(self) -> str:
        return f"<ServicePoint {self.code}>"


class QuestionnaireVersion(db.Model):
    """One published version of a questionnaire definition, stored as canonical JSON."""

    __tablename__ = "questionnaire_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    qid: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("qid", "version"),)

    def __repr__(self) -> str:
        return f"<QuestionnaireVersion {self.qid} {self.version}>"


class Wave(db.Model):
    """A survey wave (đợt khảo sát): a period, a questionnaire version and the units in scope."""

    __tablename__ = "waves"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    questionnaire_version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_versions.id"), index=True
    )
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    # The roots of the subtrees in scope: a wave of a province lists just the province.
    units: Mapped[list[Unit]] = relationship(secondary=wave_units)

    __table_args__ = (
        CheckConstraint(_in("status", WAVE_STATUSES), name="status"),
        CheckConstraint("starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on", name="dates"),
    )

    def __repr__(self) -> str:
        return f"<Wave {self.code}>"

    def is_open(self, today: dt.date | None = None) -> bool:
        """Return whether the wave takes answers on ``today`` (default: today in Vietnam)."""
        if self.status != "open":
            return False
        today = today or local_today()
        if self.starts_on is not None and today < self.starts_on:
            return False
        return self.ends_on is None or today <= self.ends_on

    def scope_unit_ids(self) -> set[int]:
        """Return the ids of every unit in scope (the wave's units and all below them)."""
        roots = select(wave_units.c.unit_id).where(wave_units.c.wave_id == self.id)
        tree = select(Unit.id).where(Unit.id.in_(roots)).cte("scope", recursive=True)
        child = aliased(Unit)
        tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
        return set(db.session.scalars(select(tree.c.id)))

    def covers(self, unit: Unit) -> bool:
        """Return whether ``unit`` is one of the wave's units or below one of them."""
        roots = {u.id for u in self.units}
        if unit.id in roots:
            return True
        return any(a.id in roots for a in unit.ancestors())


class Population(db.Model):
    """Dossiers resolved in a wave's period by one unit in one service field (a stratum)."""

    __tablename__ = "populations"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    service_field_id: Mapped[int] = mapped_column(ForeignKey("service_fields.id"), primary_key=True)
    dossiers: Mapped[int] = mapped_column(Integer)

    wave: Mapped[Wave] = relationship()
    unit: Mapped[Unit] = relationship()
    service_field: Mapped[ServiceField] = relationship()

    __table_args__ = (CheckConstraint("dossiers >= 0", name="dossiers_not_negative"),)


FLAGGED_POSTGRESQL = ("CASE WHEN jsonb_typeof(flags) = 'array' THEN jsonb_array_length(flags) "
                      "ELSE 0 END > 0")
FLAGGED_SQLITE = "CASE WHEN json_valid(flags) = 1 THEN json_array_length(flags) ELSE 0 END > 0"


class Response(db.Model):
    """One submitted questionnaire.  Nothing personal: no IP address, name or phone number."""

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    service_field_id: Mapped[int | None] = mapped_column(ForeignKey("service_fields.id"))
    channel: Mapped[str] = mapped_column(String(16), default="in_person")
    mode: Mapped[str] = mapped_column(String(16), default="web")
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Anonymity: exact times joined with a small desk identify people, so the submission is
    # kept to the hour and the start only as the seconds the answering took (0..MAX_DURATION,
    # null when unknown).
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=submitted_hour)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    # Paradata: seconds spent on each page ({"pages": {page: seconds}}), durations only,
    # each bounded to 0..MAX_DURATION; never clock times (survey/services/quality.py).
    paradata: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Client-generated UUID: a resubmission after a network drop is accepted once.
    submission_id: Mapped[str] = mapped_column(String(36), unique=True)
    flags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The kiosk tablet that sent it (``Authorization: Device``), null for every other
    # channel: an internal key of a desk's tablet, not of a person, used by the per-device
    # burst rule (survey/services/quality.py) and never exported.
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)

    wave: Mapped[Wave] = relationship()
    unit: Mapped[Unit] = relationship()
    service_point: Mapped[ServicePoint] = relationship()
    service_field: Mapped[ServiceField | None] = relationship()
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()

    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("mode", MODES), name="mode"),
        CheckConstraint(f"duration_seconds >= 0 AND duration_seconds <= {MAX_DURATION}",
                        name="duration_seconds"),
        # Analysis reads a wave's responses unit by unit.
        Index("ix_responses_wave_id_unit_id", "wave_id", "unit_id"),
        # The columnar cache checks each id range of a wave (survey/models_wave_segments.py).
        Index("ix_responses_wave_id_id", "wave_id", "id"),
        # The burst check counts a point's responses of the current hour.
        Index("ix_responses_service_point_id_submitted_at", "service_point_id", "submitted_at"),
        # Dashboards count a unit's flagged responses: few, found without reading the rest
        # (the predicate is survey.services.flags.flagged_clause, written out).
        Index("ix_responses_flagged", "wave_id", "unit_id",
              postgresql_where=text(FLAGGED_POSTGRESQL), sqlite_where=text(FLAGGED_SQLITE)),
    )

    def __repr__(self) -> str:
        return f"<Response {self.submission_id}>"


# Accounts and the audit log live in their own module; importing them here puts their
# tables in the metadata wherever the models are imported.
from .models_accounts import (AuditEvent, PasswordResetToken, User, UserSession,  # noqa: E402,F401
                              user_units)
from .models_devices import Device, EnrolmentCode  # noqa: E402,F401
from .models_quality import FLAG_DECISIONS, FlagReview  # noqa: E402,F401
from .models_invitations import ApiToken, InvitationCode  # noqa: E402,F401
from .models_results import ResponseTally, ResultsCacheEntry, ResultsVersion  # noqa: E402,F401
# Background jobs (survey/jobs) keep their state in tables of their own.
from .models_jobs import Job, JobPart  # noqa: E402,F401
from .models_setup import SetupVersion  # noqa: E402,F401
# The columnar cache of a wave's responses (survey/services/wave_segments.py).
from .models_wave_segments import WaveSegment  # noqa: E402,F401
