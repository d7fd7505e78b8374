"""Storing a submitted questionnaire exactly once, in one statement.

A valid new submission costs one ``INSERT … SELECT … WHERE <setup version unchanged>
ON CONFLICT (submission_id) DO NOTHING RETURNING id, <this hour's count at the point>``
(plus ``BEGIN IMMEDIATE`` on SQLite): the link was checked on the cached look-up
(``survey.services.lookup``), the ``WHERE`` makes that check exact (a set-up change since
the look-up inserts nothing, and the look-up is read again), the conflict clause makes
retries idempotent, and the count feeds the burst rule (``survey.services.flags``).
"""

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import make_transient_to_detached

from ..database import begin_write, single_statement
from ..extensions import db
from ..models import (CHANNELS, MAX_DURATION, MODES, Response, SetupVersion, answering_duration,
                      coarse_time, local_today, utcnow)
from ..models_devices import Device
from .devices import DeviceRevokedError, is_active_device
from .flags import BURST_FLAG, flag_hour, is_burst_count, known_burst, remember_burst
from .invitations import InvitationError, redeem
from .links import SurveyLinkError
from .lookup import link_cache

# Clocks of tablets drift; times that far off still count as consistent.
CLOCK_SKEW = dt.timedelta(minutes=15)
# Set-up changes racing one submission: look again this many times, then give up.
LOOKUP_ATTEMPTS = 3


def response_channel(answer) -> str:
    """Map an answer of a questionnaire's ``channel`` question to ``Response.channel``.

    ``online_full`` and ``online_partial`` (any ``online*``) become ``online``; ``post``
    stays; anything else, including no answer, is ``in_person``.
    """
    if isinstance(answer, str):
        if answer.startswith("online"):
            return "online"
        if answer == "post":
            return "post"
    return "in_person"


def normalize_submission_id(submission_id: str | uuid.UUID) -> str:
    """Return the canonical text of a UUID; raise ``ValueError`` for anything else."""
    return str(submission_id if isinstance(submission_id, uuid.UUID) else uuid.UUID(str(submission_id)))


def _find(submission_id: str) -> Response | None:
    return db.session.scalar(select(Response).where(Response.submission_id == submission_id))


def is_stored(submission_id: str | uuid.UUID) -> bool:
    """Return whether a response with this ``submission_id`` is stored."""
    return _find(normalize_submission_id(submission_id)) is not None


COLUMNS = ("wave_id", "unit_id", "service_point_id", "service_field_id", "channel", "mode",
           "questionnaire_version_id", "answers", "duration_seconds", "submitted_at",
           "submission_id", "flags", "is_demo", "paradata", "device_id")
_statements: dict[tuple[str, bool, bool], object] = {}


def _insert(dialect: str, from_device: bool, counted: bool = True):
    """The one statement storing a response unless a twin exists or the set-up changed,
    nor (``from_device``) when the device was revoked.

    ``counted``: RETURNING also counts the point's responses of the hour (the burst
    check).  That count reads every response of the hour at the point, so it grows with a
    burst; once this process knows the hour is a burst (the row goes in already flagged)
    the count is not needed and is left out.

    Built once per dialect and kind, with bound parameters (``COLUMNS`` and
    ``setup_version``), so that SQLAlchemy's compiled cache serves every later submission.
    The device's check makes the API's cached device authentication
    (``devices.authenticate_device_cached``) exact for what it stores.
    """
    statement = _statements.get((dialect, from_device, counted))
    if statement is not None:
        return statement
    table = Response.__table__
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    unchanged = func.coalesce(select(SetupVersion.version).where(SetupVersion.id == 1)
                              .scalar_subquery(), 0) == bindparam("setup_version")
    source = select(*(bindparam(name, type_=table.c[name].type).label(name)
                      for name in COLUMNS)).where(unchanged)
    if from_device:
        source = source.where(exists().where(Device.id == bindparam("device_id"),
                                             Device.revoked_at.is_(None)))
    same_hour = table.alias("same_hour")
    count = (select(func.count(same_hour.c.id))
             .where(same_hour.c.service_point_id == bindparam("service_point_id"),
                    same_hour.c.submitted_at == bindparam("submitted_at")).scalar_subquery())
    returned = (table.c.id, count.label("same_hour")) if counted else (table.c.id,)
    statement = (insert(table).from_select(list(COLUMNS), source)
                 .on_conflict_do_nothing(index_elements=["submission_id"])
                 .returning(*returned))
    _statements[(dialect, from_device, counted)] = statement
    return statement


def store_response(
    *,
    wave,
    service_point,
    answers: Mapping[str, object],
    submission_id: str | uuid.UUID,
    started_at: dt.datetime | None,
    service_field=None,
    channel: str = "in_person",
    mode: str = "web",
    flags: Iterable[str] = (),
    is_demo: bool = False,
    submitted_at: dt.datetime | None = None,
    paradata: Mapping[str, object] | None = None,
    invitation=None,
    device_id: int | None = None,
) -> tuple[Response, bool]:
    """Store checked answers once per ``submission_id`` and commit.

    ``wave``, ``service_point`` and ``service_field`` are model rows or the snapshots of
    ``survey.services.lookup`` (``id``, ``code``, ``unit_id``, ``questionnaire_version_id``
    are read).  The row records ``wave.questionnaire_version_id``: the version the answers
    were checked against.

    Times are kept coarse for anonymity: ``submitted_at`` is the current hour and
    ``started_at`` (naive UTC or aware) only yields ``duration_seconds``.  A client that
    queued the answers offline passes the moment they were given as ``submitted_at``
    (naive UTC or aware; a future one counts as now), which then stands for the current
    time in both.  An unusual burst at the service point flags the response
    (``survey.services.flags``).  ``device_id`` is the kiosk tablet that sent the answers
    (``Authorization: Device``), None for every other channel; the per-device burst rule
    of the batch reads it (``survey.services.quality``).

    ``answers`` must already be clean (``questionnaires.check_answers(...).values``), and
    ``paradata`` too (``survey.services.quality.clean_paradata``).  A
    second call with the same ``submission_id`` — a retry after a network drop, or the same
    form sent twice at once — stores nothing and returns the first row, even if the wave
    closed since.

    Returns
    -------
    (Response, bool)
        The stored row and whether this call created it.  A created row is detached
        (its columns loaded, no query); an existing one is the session's.

    Raises
    ------
    ValueError
        ``submission_id`` is not a UUID, or ``channel``/``mode`` is unknown.
    survey.services.links.SurveyLinkError
        ``closed`` or ``out_of_scope`` (or ``unknown_*``): the link takes no answers.
    survey.services.invitations.InvitationError
        ``used``: the ``invitation`` (an ``InvitationCode``, consumed in the same
        transaction as the insert) was used meanwhile; nothing is stored.
    survey.services.devices.DeviceRevokedError
        the device ``device_id`` was revoked (or does not exist); nothing is stored.
    """
    submission_id = normalize_submission_id(submission_id)
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    if started_at is not None and started_at.tzinfo is not None:
        started_at = started_at.astimezone(dt.UTC).replace(tzinfo=None)
    now = utcnow()
    if submitted_at is not None:
        if submitted_at.tzinfo is not None:
            submitted_at = submitted_at.astimezone(dt.UTC).replace(tzinfo=None)
        now = min(submitted_at, now)
    hour = coarse_time(now)
    values = dict(
        wave_id=wave.id,
        unit_id=service_point.unit_id,
        service_point_id=service_point.id,
        service_field_id=service_field.id if service_field is not None else None,
        channel=channel,
        mode=mode,
        questionnaire_version_id=wave.questionnaire_version_id,
        answers=dict(answers),
        duration_seconds=answering_duration(started_at, now),
        submitted_at=hour,
        submission_id=submission_id,
        flags=list(flags),
        is_demo=bool(is_demo),
        paradata=dict(paradata) if paradata else None,
        device_id=device_id,
    )
    # An hour already found a burst at this point stays one: flag the row as it goes in.
    if known_burst(service_point.id, hour) and BURST_FLAG not in values["flags"]:
        values["flags"].append(BURST_FLAG)
    cache = link_cache()
    wave_code, point_code = wave.code, service_point.code
    for _ in range(LOOKUP_ATTEMPTS):
        # No periodic version read: the INSERT below checks the version itself.
        link = cache.resolve(wave_code, point_code, recheck=False)
        reason = link.refusal(local_today())
        if reason is None and (link.wave.id, link.point.id) != (wave.id, service_point.id):
            reason = "unknown_wave" if link.wave.id != wave.id else "unknown_point"
        if reason is not None:
            # A retry of something already stored succeeds even if the wave closed since.
            existing = _find(submission_id)
            if existing is not None:
                return existing, False
            raise SurveyLinkError(reason)
        values["unit_id"] = link.point.unit_id
        params = {**values, "setup_version": link.version}
        counted = BURST_FLAG not in values["flags"]
        # No session made for the request yet (the warm path read nothing): none is made.
        alone = invitation is None and not (db.session.registry.has()
                                            and db.session().in_transaction())
        engine = db.engine
        statement = _insert(engine.dialect.name, device_id is not None, counted=counted)
        if alone:
            inserted = _insert_alone(engine, statement, params)
        else:
            # On SQLite: take the write lock now (waiting for it if need be), before the insert.
            begin_write(db.session)
            if invitation is not None:
                # The code is consumed in the transaction of the insert: both or neither.
                try:
                    redeem(invitation)
                except InvitationError:
                    db.session.rollback()
                    raise
            inserted = db.session.connection().execute(statement, params).first()
            if inserted is not None:
                db.session.commit()
        if inserted is not None:
            return _created(engine.dialect.name, values, inserted), True
        # Nothing inserted: a twin holds the submission_id (on PostgreSQL we waited for it
        # to commit), the set-up changed since the look-up, or the device was revoked.
        existing = _find(submission_id)
        if invitation is not None:
            db.session.rollback()   # nothing stored by this call: the code stays unused
        else:
            db.session.commit()
        if existing is not None:
            return existing, False
        if device_id is not None and not is_active_device(device_id):
            raise DeviceRevokedError(device_id)
        cache.clear()
    raise RuntimeError("the survey set-up kept changing during one submission")


def _insert_alone(engine, statement, params):
    """Run the INSERT that is the whole write on a connection of its own; return its row.

    Used when the request's session has no transaction open (the warm path: nothing was
    read), so no Session bookkeeping — its transaction, commit and snapshot — is paid.
    The connection is ``survey.database.single_statement``'s:

    - PostgreSQL: autocommit — the one statement is atomic alone, and ``BEGIN`` and
      ``COMMIT`` would be two more round trips — on the connection a sync worker keeps;
    - SQLite: a plain ``BEGIN`` whose first statement is the INSERT, then ``COMMIT``.
      Nothing was read before it, so the INSERT takes the write lock itself, waiting for
      it up to the busy timeout like ``BEGIN IMMEDIATE`` (the upgrade that fails at once,
      which ``begin_write`` avoids, needs a read first), and the lock is held from the
      statement — its parameters already encoded — to the ``COMMIT`` just after it, not
      while they are prepared: the other worker waits less, and sleeps less in SQLite's
      busy handler.

    A connection lost under the statement is retried once on a new one: the INSERT is
    idempotent (a row that did go in is then found by its ``submission_id``).
    """
    for attempt in (1, 2):
        try:
            with single_statement(engine) as connection:
                return connection.execute(statement, params).first()
        except DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise


def _as_loaded(row_id: int, values: dict) -> Response:
    """The stored row as a detached ``Response``, as if loaded from the database: no query.

    Made the way SQLAlchemy's loading makes objects (an instance without ``__init__``, its
    column values written to its state's dictionary) rather than through the mapped
    constructor, whose instrumented assignment records each of the 15 values as a change
    only for ``make_transient_to_detached`` to discard it.  It is not added to the session
    either (every caller reads its columns only): together a tenth of a submission's work.
    Its relationships are not loadable; ``db.session.merge(row, load=False)`` attaches it.
    """
    row = Response.__mapper__.class_manager.new_instance()
    row.__dict__.update(values, id=row_id)
    make_transient_to_detached(row)
    return row


def _created(dialect: str, values: dict, inserted) -> Response:
    """Flag a burst after the row just inserted (committed); return the row (detached,
    columns loaded)."""
    # A row that went in flagged "burst" was inserted without the hour's count.
    count = inserted._mapping.get("same_hour")
    # PostgreSQL evaluates RETURNING's subquery on the statement's snapshot, before the row
    # existed; SQLite after it was written.
    if count is not None and dialect == "postgresql":
        count += 1
    point_id, hour = values["service_point_id"], values["submitted_at"]
    if BURST_FLAG not in values["flags"] and is_burst_count(point_id, hour, count):
        begin_write(db.session)
        flag_hour(point_id, hour)
        db.session.commit()
        remember_burst(point_id, hour)
        values["flags"] = [*values["flags"], BURST_FLAG]    # this row is of that hour too
    return _as_loaded(inserted.id, values)


def same_timing(started_at: dt.datetime | None, row: Response) -> bool:
    """Return whether a submission started at ``started_at`` may be the one ``row`` stored.

    Only the hour of submission and the bounded duration are stored, so the test is whether
    some moment in that hour (give or take ``CLOCK_SKEW``) turns ``started_at`` into the
    stored duration; a missing start must match a missing duration.
    """
    if started_at is None or row.duration_seconds is None:
        return started_at is None and row.duration_seconds is None
    earliest, latest = row.submitted_at - CLOCK_SKEW, row.submitted_at + dt.timedelta(hours=1) + CLOCK_SKEW
    duration = dt.timedelta(seconds=row.duration_seconds)
    if row.duration_seconds == 0:          # submitted at or before the (skewed) start
        return started_at >= earliest
    if row.duration_seconds == MAX_DURATION:   # submitted a day or more after the start
        return started_at + duration <= latest
    return earliest <= started_at + duration <= latest
