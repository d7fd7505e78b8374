"""Survey links resolved from a per-process cache: the wave, the point and the scope.

A submission must know that the wave is open and that the point is active and inside the
wave's scope.  Reading that (wave, point, unit tree) costs a query with a recursive walk,
so each process keeps the answers in a bounded cache (``SURVEY_LOOKUP_SIZE`` links, least
recently used dropped first), keyed by the link's codes, beside the service fields.

Staleness.  Every entry carries the *setup version* it was read at (``setup_versions``,
raised by database triggers on any change to units, points, waves, their scopes or
service fields, whoever makes it: ``survey/models_setup.py``).  Then:

- a submission inserts only ``WHERE`` the setup version is still the one its look-up was
  read at (``survey.services.responses``), so a closed wave, a retired point or a unit
  moved out of scope refuses the very next submission, in every process, at no cost;
- a change committed through this process's session clears the cache at once (session
  events below), so pages shown by this process see it at the next request;
- other look-ups (the survey pages) re-read the version at most every
  ``SURVEY_LOOKUP_RECHECK_SECONDS`` (default 5): that is the bound after which another
  process's change shows on a page that stores nothing;
- a cached link that refuses (closed, out of scope...) is confirmed on the current
  version before it refuses anything, so reopening a wave takes effect at once too.

Only links that exist are cached, so unknown codes cannot crowd out the real ones.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

from flask import current_app, has_app_context
from sqlalchemy import event, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from ..extensions import db
from ..models import (QuestionnaireVersion, ServiceField, ServicePoint, SetupVersion, Unit, Wave,
                      local_today, wave_units)
from ..models_setup import SETUP_TABLES

EXTENSION_KEY = "survey_lookup"
SETUP_MODELS = (Unit, ServicePoint, Wave, ServiceField)


@dataclass(frozen=True)
class WaveInfo:
    """What a submission needs of a wave (a snapshot, not an ORM object)."""

    id: int
    code: str
    status: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    is_demo: bool
    questionnaire_version_id: int
    content_hash: str

    def is_open(self, today: dt.date | None = None) -> bool:
        """Return whether the wave takes answers on ``today`` (default: today in Vietnam)."""
        return Wave.is_open(self, today)     # the same rule as the model's, on the snapshot


@dataclass(frozen=True)
class PointInfo:
    """What a submission needs of a service point."""

    id: int
    code: str
    unit_id: int
    active: bool


@dataclass(frozen=True)
class FieldInfo:
    """A service field (lĩnh vực) by code."""

    id: int
    code: str
    name: str
    name_en: str | None


@dataclass(frozen=True)
class SurveyLink:
    """A survey link resolved at setup ``version``; ``wave``/``point`` None when unknown."""

    wave: WaveInfo | None
    point: PointInfo | None
    in_scope: bool
    version: int

    def refusal(self, today: dt.date | None = None) -> str | None:
        """Return why the link takes no answers (``links.REASONS``), or None when it does."""
        if self.wave is None:
            return "unknown_wave"
        if self.point is None or not self.point.active:
            return "unknown_point"
        if not self.wave.is_open(today):
            return "closed"
        if not self.in_scope:
            return "out_of_scope"
        return None


def _version_expression():
    return func.coalesce(select(SetupVersion.version).where(SetupVersion.id == 1)
                         .scalar_subquery(), 0)


def _link_query(wave_code: str, point_code: str):
    """One statement: the wave, the point, whether the point is in scope, the version."""
    # The point's unit and every unit above it.
    start = select(ServicePoint.unit_id.label("id")).where(ServicePoint.code == point_code)
    up = start.cte("up", recursive=True)
    parent = aliased(Unit)
    up = up.union_all(select(parent.parent_id).join(up, parent.id == up.c.id)
                      .where(parent.parent_id.is_not(None)))
    in_scope = exists().where(wave_units.c.wave_id == Wave.id,
                              wave_units.c.unit_id.in_(select(up.c.id)))
    one = select(literal(1).label("one")).subquery()
    return (select(_version_expression().label("version"),
                   Wave.id, Wave.code, Wave.status, Wave.starts_on, Wave.ends_on, Wave.is_demo,
                   Wave.questionnaire_version_id, QuestionnaireVersion.content_hash,
                   ServicePoint.id.label("point_id"), ServicePoint.code.label("point_code"),
                   ServicePoint.unit_id, ServicePoint.active, in_scope.label("in_scope"))
            .select_from(one)
            .outerjoin(Wave, Wave.code == wave_code)
            .outerjoin(QuestionnaireVersion, QuestionnaireVersion.id == Wave.questionnaire_version_id)
            .outerjoin(ServicePoint, ServicePoint.code == point_code))


class LinkCache:
    """The look-ups of one app in one process (see the module docstring)."""

    def __init__(self, size: int, recheck_seconds: float):
        self.size = size
        self.recheck_seconds = recheck_seconds
        self._links: OrderedDict[tuple[str, str], SurveyLink] = OrderedDict()
        self._fields: dict[str, FieldInfo] | None = None
        self._version: int | None = None
        self._checked_at = float("-inf")
        self._lock = Lock()

    def clear(self) -> None:
        """Forget everything: the next look-up reads the database again."""
        with self._lock:
            self._links.clear()
            self._fields = None
            self._version = None
            self._checked_at = float("-inf")

    def _adopt(self, version: int) -> None:
        # Called with the lock held: a new version makes every entry stale.
        if version != self._version:
            self._links.clear()
            self._fields = None
            self._version = version
        self._checked_at = time.monotonic()

    def _recheck(self, force: bool = False) -> None:
        with self._lock:
            due = force or time.monotonic() - self._checked_at >= self.recheck_seconds
        if due:
            version = db.session.scalar(select(_version_expression()))
            with self._lock:
                self._adopt(version)

    def resolve(self, wave_code: str, point_code: str, *, recheck: bool = True) -> SurveyLink:
        """Return the link ``/s/<wave_code>/<point_code>``, from the cache when fresh.

        ``recheck=False`` skips the periodic version read: for a caller whose write is
        guarded by the version anyway (``store_response``).
        """
        key = (wave_code, point_code)
        with self._lock:
            cached = self._links.get(key)
        if cached is not None:
            # A refusal is confirmed on the current version: a wave opened again, or a
            # point reactivated, by another process takes answers at once too.
            refused = cached.refusal() is not None
            if recheck or refused:
                self._recheck(force=refused)
            with self._lock:
                cached = self._links.get(key)
                if cached is not None and cached.version == self._version:
                    self._links.move_to_end(key)
                    return cached
        row = db.session.execute(_link_query(wave_code, point_code)).one()
        wave = point = None
        if row.id is not None:
            wave = WaveInfo(row.id, row.code, row.status, row.starts_on, row.ends_on,
                            bool(row.is_demo), row.questionnaire_version_id, row.content_hash)
        if row.point_id is not None:
            point = PointInfo(row.point_id, row.point_code, row.unit_id, bool(row.active))
        link = SurveyLink(wave, point, bool(row.in_scope) if wave and point else False,
                          int(row.version))
        with self._lock:
            self._adopt(link.version)
            if wave is not None and point is not None:
                self._links[key] = link
                while len(self._links) > self.size:
                    self._links.popitem(last=False)
        return link

    def field(self, code: str | None) -> FieldInfo | None:
        """Return the service field with this code, or None (all fields cached at once).

        No version read of its own: the link's look-up in the same request refreshes it.
        """
        if not code:
            return None
        with self._lock:
            fields = self._fields
        if fields is None:
            # One statement: the version rides on every row (and alone when there is none).
            one = select(literal(1).label("one")).subquery()
            rows = db.session.execute(
                select(_version_expression().label("version"), ServiceField.id,
                       ServiceField.code, ServiceField.name, ServiceField.name_en)
                .select_from(one).outerjoin(ServiceField, literal(True))).all()
            version = int(rows[0].version)
            fields = {f.code: FieldInfo(f.id, f.code, f.name, f.name_en)
                      for f in rows if f.id is not None}
            with self._lock:
                self._adopt(version)
                self._fields = fields
        return fields.get(code)


def link_cache() -> LinkCache:
    """Return the current app's cache (made on first use)."""
    app = current_app._get_current_object()
    cache = app.extensions.get(EXTENSION_KEY)
    if cache is None:
        cache = app.extensions.setdefault(EXTENSION_KEY, LinkCache(
            int(app.config.get("SURVEY_LOOKUP_SIZE", 4096)),
            float(app.config.get("SURVEY_LOOKUP_RECHECK_SECONDS", 5))))
        _listen()
    return cache


def resolve(wave_code: str, point_code: str, *, recheck: bool = True) -> SurveyLink:
    """Return the survey link of these codes (see ``LinkCache.resolve``)."""
    return link_cache().resolve(wave_code, point_code, recheck=recheck)


def service_field(code: str | None) -> FieldInfo | None:
    """Return the service field with this code, or None."""
    return link_cache().field(code)


# Changes committed through this process's sessions clear the cache at once; the triggers
# and the version make everything else (other processes, raw SQL) visible too.
_CHANGED = "survey_lookup_setup_changed"


def _note_flush(session, flush_context) -> None:
    if any(isinstance(o, SETUP_MODELS) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


def _note_statement(state) -> None:
    table = getattr(state.statement, "table", None)
    if (state.is_insert or state.is_update or state.is_delete) and getattr(table, "name", None) in SETUP_TABLES:
        state.session.info[_CHANGED] = True


def _after_commit(session) -> None:
    if session.info.pop(_CHANGED, False) and has_app_context():
        cache = current_app.extensions.get(EXTENSION_KEY)
        if cache is not None:
            cache.clear()


def _after_rollback(session) -> None:
    session.info.pop(_CHANGED, None)


def _listen() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_flush", _note_flush)
        event.listen(Session, "do_orm_execute", _note_statement)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
