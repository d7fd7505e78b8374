"""Storing a submitted questionnaire exactly once."""

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import begin_write
from ..extensions import db
from ..models import (CHANNELS, MAX_DURATION, MODES, Response, ServiceField, ServicePoint,
                      Wave, answering_duration, coarse_time, utcnow)
from .flags import BURST_FLAG, flag_hour, is_burst
from .invitations import InvitationError, redeem
from .links import check_open

# Clocks of tablets drift; times that far off still count as consistent.
CLOCK_SKEW = dt.timedelta(minutes=15)


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


def store_response(
    *,
    wave: Wave,
    service_point: ServicePoint,
    answers: Mapping[str, object],
    submission_id: str | uuid.UUID,
    started_at: dt.datetime | None,
    service_field: ServiceField | None = None,
    channel: str = "in_person",
    mode: str = "web",
    flags: Iterable[str] = (),
    is_demo: bool = False,
    submitted_at: dt.datetime | None = None,
    paradata: Mapping[str, object] | None = None,
    invitation=None,
) -> tuple[Response, bool]:
    """Store checked answers once per ``submission_id`` and commit.

    Times are kept coarse for anonymity: ``submitted_at`` is the current hour and
    ``started_at`` (naive UTC or aware) only yields ``duration_seconds``.  A client that
    queued the answers offline passes the moment they were given as ``submitted_at``
    (naive UTC or aware; a future one counts as now), which then stands for the current
    time in both.  An unusual burst
    at the service point flags the response (``survey.services.bursts``).

    ``answers`` must already be clean (``questionnaires.check_answers(...).values``), and
    ``paradata`` too (``survey.services.quality.clean_paradata``).  A
    second call with the same ``submission_id`` — a retry after a network drop, or the same
    form sent twice at once — stores nothing and returns the first row.

    Returns
    -------
    (Response, bool)
        The stored row and whether this call created it.

    Raises
    ------
    ValueError
        ``submission_id`` is not a UUID, or ``channel``/``mode`` is unknown.
    survey.services.links.SurveyLinkError
        ``closed`` or ``out_of_scope``: the wave does not take answers at this point.
    survey.services.invitations.InvitationError
        ``used``: the ``invitation`` (an ``InvitationCode``, consumed in the same
        transaction as the insert) was used meanwhile; nothing is stored.
    """
    submission_id = normalize_submission_id(submission_id)
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    # A retry of something already stored succeeds even if the wave closed since.
    existing = _find(submission_id)
    if existing is not None:
        return existing, False
    check_open(wave, service_point)

    if started_at is not None and started_at.tzinfo is not None:
        started_at = started_at.astimezone(dt.UTC).replace(tzinfo=None)
    now = utcnow()
    if submitted_at is not None:
        if submitted_at.tzinfo is not None:
            submitted_at = submitted_at.astimezone(dt.UTC).replace(tzinfo=None)
        now = min(submitted_at, now)
    hour = coarse_time(now)
    row = Response(
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
        is_demo=is_demo,
        paradata=dict(paradata) if paradata else None,
    )
    # On SQLite: take the write lock now (waiting for it if need be), before the insert.
    begin_write(db.session)
    if invitation is not None:
        try:
            redeem(invitation)
        except InvitationError:
            db.session.rollback()
            raise
    if is_burst(service_point.id, hour):
        flag_hour(service_point.id, hour)
        if BURST_FLAG not in row.flags:
            row.flags = [*row.flags, BURST_FLAG]
    # The unique submission_id decides between concurrent twins: the loser's INSERT fails
    # (on PostgreSQL only after the winner commits), and the SAVEPOINT keeps the caller's
    # session usable so we can return the winner's row.
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        existing = _find(submission_id)
        if existing is None:
            raise
        db.session.commit()
        return existing, False
    db.session.commit()
    return row, True


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
