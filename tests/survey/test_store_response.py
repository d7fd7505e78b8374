"""Storing responses exactly once, also under concurrent submissions."""

import datetime as dt
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import (MAX_DURATION, Response, ServicePoint, Wave, answering_duration,
                           coarse_time, utcnow)
from survey.services.links import SurveyLinkError
from survey.services.responses import store_response

ANSWERS = {"channel": "in_person", "trips": 1, "late": False, "overall_satisfaction": 4}


@pytest.fixture
def survey(app, make_wave, make_point, make_field):
    """(wave id, point id, field id) of an open wave with one service point."""
    wave = make_wave()
    point = make_point(wave.units[0])
    return wave.id, point.id, make_field().id


def _store(survey, submission_id, answers=ANSWERS, **kwargs):
    wave_id, point_id, _ = survey
    return store_response(wave=db.session.get(Wave, wave_id), service_point=db.session.get(ServicePoint, point_id),
                          answers=answers, submission_id=submission_id,
                          started_at=dt.datetime(2026, 5, 1, 8, 0), **kwargs)


def _count():
    return db.session.scalar(select(func.count(Response.id)))


def test_stores_a_response_with_its_context(app, survey):
    from survey.models import ServiceField

    sid = uuid.uuid4()
    with app.app_context():
        field = db.session.get(ServiceField, survey[2])
        row, created = _store(survey, sid, service_field=field, channel="online", mode="kiosk",
                              flags=["fast"])
        assert created
        row_id = row.id
    with app.app_context():
        row = db.session.get(Response, row_id)
        wave = db.session.get(Wave, survey[0])
        assert row.submission_id == str(sid)
        assert row.answers == ANSWERS
        assert (row.wave_id, row.service_point_id, row.service_field_id) == survey
        assert row.unit_id == db.session.get(ServicePoint, survey[1]).unit_id
        assert row.questionnaire_version_id == wave.questionnaire_version_id
        assert (row.channel, row.mode, row.flags, row.is_demo) == ("online", "kiosk", ["fast"], False)
        # Times kept coarse: the hour of submission, the duration bounded to a day.
        assert row.duration_seconds == 24 * 3600
        assert (row.submitted_at.minute, row.submitted_at.second,
                row.submitted_at.microsecond) == (0, 0, 0)
        assert utcnow() - dt.timedelta(hours=1) < row.submitted_at <= utcnow()


def test_second_submission_returns_the_first_row(app, survey):
    sid = str(uuid.uuid4())
    with app.app_context():
        first, created = _store(survey, sid)
        again, created_again = _store(survey, sid.upper(), answers={"overall_satisfaction": 1})
        assert created and not created_again
        assert again.id == first.id
        assert again.answers == ANSWERS
        assert _count() == 1


def test_retry_after_the_wave_closed_still_answers_with_the_stored_row(app, survey):
    sid = str(uuid.uuid4())
    with app.app_context():
        first, _ = _store(survey, sid)
        db.session.get(Wave, survey[0]).status = "closed"
        db.session.commit()
        again, created = _store(survey, sid)
        assert (again.id, created) == (first.id, False)
        with pytest.raises(SurveyLinkError) as caught:
            _store(survey, uuid.uuid4())
        assert caught.value.reason == "closed"


def test_refuses_a_point_outside_the_wave(app, survey, make_point):
    other = make_point()
    with app.app_context():
        with pytest.raises(SurveyLinkError) as caught:
            store_response(wave=db.session.get(Wave, survey[0]), service_point=db.session.get(ServicePoint, other.id),
                           answers=ANSWERS, submission_id=uuid.uuid4(), started_at=None)
        assert caught.value.reason == "out_of_scope"
        assert _count() == 0


@pytest.mark.parametrize("kwargs", [{"submission_id": "not-a-uuid"}, {"channel": "fax"}, {"mode": "paper"}])
def test_refuses_bad_arguments(app, survey, kwargs):
    with app.app_context():
        arguments = {"submission_id": uuid.uuid4(), **kwargs}
        with pytest.raises(ValueError):
            _store(survey, **arguments)
        assert _count() == 0


@pytest.mark.parametrize("offset", [dt.timedelta(hours=7), dt.timedelta(0), None])
def test_start_time_becomes_a_duration(app, survey, offset):
    """An aware start (any zone) or a naive UTC one gives the seconds spent answering."""
    with app.app_context():
        wave_id, point_id, _ = survey
        started = utcnow() - dt.timedelta(minutes=5)
        if offset is not None:
            started = (started + offset).replace(tzinfo=dt.timezone(offset))
        before = utcnow()
        row, _ = store_response(wave=db.session.get(Wave, wave_id), service_point=db.session.get(ServicePoint, point_id),
                                answers=ANSWERS, submission_id=uuid.uuid4(), started_at=started)
        elapsed = (utcnow() - before).total_seconds()
        assert 300 <= row.duration_seconds <= 300 + elapsed + 1
        assert row.submitted_at == coarse_time(row.submitted_at)


def test_duration_bounds_and_unknown_start(app, survey):
    """A start after the submission (a fast clock) counts 0; no start gives null."""
    with app.app_context():
        wave_id, point_id, _ = survey
        ahead, _ = store_response(wave=db.session.get(Wave, wave_id), service_point=db.session.get(ServicePoint, point_id),
                                  answers=ANSWERS, submission_id=uuid.uuid4(),
                                  started_at=utcnow() + dt.timedelta(minutes=3))
        unknown, _ = store_response(wave=db.session.get(Wave, wave_id), service_point=db.session.get(ServicePoint, point_id),
                                    answers=ANSWERS, submission_id=uuid.uuid4(), started_at=None)
        assert ahead.duration_seconds == 0 and unknown.duration_seconds is None


def test_answering_duration_and_coarse_time():
    start = dt.datetime(2026, 5, 1, 8, 10, 5)
    assert answering_duration(start, dt.datetime(2026, 5, 1, 8, 14, 35, 900000)) == 270
    assert answering_duration(start, start - dt.timedelta(seconds=30)) == 0
    assert answering_duration(start, start + dt.timedelta(days=3)) == MAX_DURATION == 86400
    assert answering_duration(None, start) is None
    assert coarse_time(dt.datetime(2026, 5, 1, 8, 59, 59, 999999)) == dt.datetime(2026, 5, 1, 8)


def test_duplicate_caught_by_the_database_keeps_the_session_usable(app, survey):
    # No look-up precedes the INSERT: ON CONFLICT decides, and work pending in the caller's
    # session (here a set-up change, which also makes the INSERT's version guard look
    # again) is kept.
    sid = str(uuid.uuid4())
    with app.app_context():
        first, _ = _store(survey, sid)
        first_id = first.id
    with app.app_context():
        from survey.models import Unit

        db.session.add(Unit(code="PENDING", name="x", kind="commune"))
        row, created = _store(survey, sid)
        assert (row.id, created) == (first_id, False)
        fresh, created = _store(survey, uuid.uuid4())
        assert created and fresh.id != first_id
    with app.app_context():
        from survey.models import Unit

        assert db.session.scalar(select(Unit).where(Unit.code == "PENDING")) is not None
        assert _count() == 2


def _concurrently(app, survey, submission_ids):
    """Store one response per submission id, each from its own thread and app context."""
    barrier = threading.Barrier(len(submission_ids))

    def submit(sid):
        with app.app_context():
            barrier.wait(timeout=30)
            row, created = _store(survey, sid)
            return row.id, created

    with ThreadPoolExecutor(max_workers=len(submission_ids)) as pool:
        return list(pool.map(submit, submission_ids))


def test_twenty_concurrent_distinct_submissions_store_twenty_rows(app, survey):
    results = _concurrently(app, survey, [str(uuid.uuid4()) for _ in range(20)])
    assert all(created for _, created in results)
    assert len({row_id for row_id, _ in results}) == 20
    with app.app_context():
        assert _count() == 20


def test_same_submission_sent_concurrently_is_stored_once(app, survey):
    sid = str(uuid.uuid4())
    results = _concurrently(app, survey, [sid] * 8)
    assert sum(created for _, created in results) == 1
    assert len({row_id for row_id, _ in results}) == 1
    with app.app_context():
        assert _count() == 1


def test_a_created_row_is_the_stored_row_without_a_query_or_pending_changes(app, survey):
    """The row handed back is built as if loaded: every column equal to the database's,
    no change history (nothing to flush), not in the session, and read with no query."""
    from sqlalchemy import event, inspect

    with app.app_context():
        queries = []
        engine = db.engine
        wave, point = db.session.get(Wave, survey[0]), db.session.get(ServicePoint, survey[1])
        listener = lambda *args: queries.append(args[2])     # noqa: E731
        row, created = store_response(wave=wave, service_point=point, answers=ANSWERS,
                                      submission_id=uuid.uuid4(), started_at=None,
                                      paradata={"pages": {"p1": 12}})
        event.listen(engine, "before_cursor_execute", listener)
        try:
            columns = {c.key: getattr(row, c.key) for c in Response.__table__.columns}
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert created and queries == []
        state = inspect(row)
        assert state.detached and not state.modified and row not in db.session
        db.session.expire_all()
        stored = db.session.get(Response, row.id)
        assert columns == {c.key: getattr(stored, c.key) for c in Response.__table__.columns}
