"""The burst flag: an unusual burst of responses at one service point is flagged, cheaply,
and counted for the dashboard — on both databases."""

import datetime as dt
import uuid

import pytest
from sqlalchemy import event, select, text

from survey.extensions import db
from survey.models import Response, ServicePoint, Wave, coarse_time, utcnow
from survey.services import responses as responses_service
from survey.services.flags import flag_counts, is_burst
from tests.factories import enrol_device
from tests.survey.public.helpers import mini_questionnaire

API = "/api/v1/responses"
ANSWERS = {"channel": "in_person", "visits": 2, "late": False, "seats": 4, "overall": 5}
MINIMUM = 5
FACTOR = 3


@pytest.fixture
def app_config():
    return {"BURST_MIN_PER_HOUR": MINIMUM, "BURST_FACTOR": FACTOR, "BURST_HISTORY_DAYS": 7,
            # These tests send more than one address may; the limits have their own tests.
            "RATELIMIT_SUBMIT_PER_ADDRESS": "1000 per minute",
            "RATELIMIT_SUBMIT_PER_POINT": "1000 per minute",
            "RATELIMIT_SUBMIT_PER_DEVICE": "1000 per minute"}


@pytest.fixture
def now(monkeypatch):
    """Submissions happen at a fixed moment, half past the current hour."""
    moment = coarse_time(utcnow()) + dt.timedelta(minutes=30)
    monkeypatch.setattr(responses_service, "utcnow", lambda: moment)
    return moment


@pytest.fixture
def site(make_wave, make_point):
    wave = make_wave(questionnaire=mini_questionnaire())
    return wave, make_point(wave.units[0]), make_point(wave.units[0])


_tokens: dict[int, str] = {}


def post(client, wave, point):
    body = {"wave": wave.code, "point": point.code, "submission_id": str(uuid.uuid4()),
            "answers": dict(ANSWERS)}
    if point.id not in _tokens or _tokens[point.id][0] is not client.application:
        _tokens[point.id] = (client.application, enrol_device(client.application, point))
    response = client.post(API, json=body,
                           headers={"Authorization": f"Device {_tokens[point.id][1]}"})
    assert response.status_code == 201, response.get_json()


def flags_of(app, point):
    with app.app_context():
        return list(db.session.scalars(select(Response.flags)
                                       .where(Response.service_point_id == point.id)
                                       .order_by(Response.id)))


def test_burst_without_history_is_flagged_beyond_the_minimum(app, client, site, now):
    wave, point, other = site
    for _ in range(MINIMUM):
        post(client, wave, point)
    assert flags_of(app, point) == [[]] * MINIMUM
    post(client, wave, point)
    # The whole hour of that point is flagged, earlier responses included.
    assert flags_of(app, point) == [["burst"]] * (MINIMUM + 1)
    post(client, wave, other)
    assert flags_of(app, other) == [[]]


def test_burst_is_measured_against_the_usual_rate(app, client, site, now, create_response):
    """A point used to 4 answers an hour is flagged above 3 x 4 = 12, not at 6."""
    wave, point, _ = site
    hour = coarse_time(now)
    for back in range(1, 11):
        for _ in range(4):
            create_response(wave, point, answers=dict(ANSWERS),
                            submitted_at=hour - dt.timedelta(hours=back))
    # Outside the 7 days of history: not part of the usual rate.
    for _ in range(30):
        create_response(wave, point, answers=dict(ANSWERS), submitted_at=hour - dt.timedelta(days=8))
    for _ in range(3 * 4):
        post(client, wave, point)
    current = flags_of(app, point)[-12:]
    assert current == [[]] * 12
    post(client, wave, point)
    assert flags_of(app, point)[-13:] == [["burst"]] * 13
    # Earlier hours stay unflagged.
    assert flags_of(app, point)[:70] == [[]] * 70


def test_check_costs_one_query_below_the_minimum(app, site, now, db_backend):
    wave, point, _ = site
    statements = []
    with app.app_context():
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert is_burst(point.id, coarse_time(now)) is False
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    queries = [s for s in statements if s.strip().upper() != "BEGIN"]
    assert len(queries) == 1 and "count" in queries[0].lower()
    if db_backend == "sqlite":
        with app.app_context():
            plan = db.session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + queries[0], (point.id, str(coarse_time(now)))).all()
        assert "ix_responses_service_point_id_submitted_at" in str(plan)


def test_flag_counts(app, site, create_response):
    wave, point, other = site
    create_response(wave, point, flags=["burst"])
    create_response(wave, point, flags=["burst", "fast"])
    create_response(wave, other, flags=["fast"])
    create_response(wave, other, flags=[])
    created = create_response(wave, other)
    with app.app_context():
        # A row written by hand with something that is not a list is not counted as flagged.
        db.session.execute(text("UPDATE responses SET flags = :f WHERE id = :id"),
                           {"f": '"burst"', "id": created.id})
        db.session.commit()
        row_wave = db.session.get(Wave, wave.id)
        assert flag_counts(row_wave) == (3, {"burst": 2, "fast": 2})
        point_unit = db.session.get(ServicePoint, point.id).unit_id
        assert flag_counts(row_wave, [point_unit])[0] == 3     # both points share the unit
        assert flag_counts(row_wave, [-1]) == (0, {})
        assert flag_counts(row_wave, channel="online") == (0, {})


def test_the_row_that_starts_a_burst_is_returned_flagged(app, site, now):
    """``store_response`` hands back the row as stored: the response that tips the hour
    into a burst is flagged with the rest of the hour, in the database and in the row."""
    wave, point, _ = site
    with app.app_context():
        wave_row, point_row = db.session.get(Wave, wave.id), db.session.get(ServicePoint, point.id)
        rows = [responses_service.store_response(
                    wave=wave_row, service_point=point_row, answers=dict(ANSWERS),
                    submission_id=uuid.uuid4(), started_at=None)[0]
                for _ in range(MINIMUM + 2)]
        assert [row.flags for row in rows] == [[]] * MINIMUM + [["burst"]] * 2
        stored = dict(db.session.execute(select(Response.id, Response.flags)
                                         .where(Response.service_point_id == point.id)).all())
        assert all(stored[row.id] == ["burst"] for row in rows)


def test_flagging_an_hour_is_one_statement_that_keeps_other_flags(app, site, now,
                                                                 create_response):
    """``flag_hour`` appends "burst" where it is missing, keeps the other flags, leaves
    other hours and points alone, and turns a value that is not an array into ["burst"]."""
    from survey.services.flags import flag_hour

    wave, point, other = site
    hour = coarse_time(now)
    given = [[], ["speeding"], ["burst"], ["speeding", "burst"], {"not": "an array"}]
    ids = [create_response(wave, point, answers=dict(ANSWERS), submitted_at=hour,
                           flags=flags).id for flags in given]
    earlier = create_response(wave, point, answers=dict(ANSWERS),
                              submitted_at=hour - dt.timedelta(hours=1), flags=[]).id
    elsewhere = create_response(wave, other, answers=dict(ANSWERS), submitted_at=hour,
                                flags=[]).id
    with app.app_context():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        changed = flag_hour(point.id, hour)
        db.session.commit()
        event.remove(db.engine, "before_cursor_execute", listener)
        stored = dict(db.session.execute(select(Response.id, Response.flags)).all())
    assert changed == 3
    assert [s.split()[0] for s in statements if s.split()[0] != "BEGIN"] == ["UPDATE"]
    assert [stored[i] for i in ids] == [["burst"], ["speeding", "burst"], ["burst"],
                                        ["speeding", "burst"], ["burst"]]
    assert stored[earlier] == [] and stored[elsewhere] == []
