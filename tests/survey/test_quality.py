"""Data quality: paradata on both submission paths, each flag rule (positive and negative),
the idempotent batch ``flask quality flag WAVE`` — on both databases."""

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import MAX_DURATION, Response, coarse_time, utcnow
from survey.public import state as state_module
from survey.services import quality
from survey.services.quality import (DEVICE_BURST, NEAR_DUPLICATE, STRAIGHTLINE, TOO_FAST, ParadataError,
                                     clean_paradata, flag_wave)
from tests.factories import enrol_device
from tests.survey.public.helpers import answer_survey, mini_questionnaire

API = "/api/v1/responses"
# Five answers; two of them (seats, overall) on the 1-5 scale.
ANSWERS = {"channel": "in_person", "visits": 2, "late": False, "seats": 4, "overall": 5}


@pytest.fixture
def app_config():
    return {"QUALITY_FAST_SECONDS_PER_ANSWER": 2, "QUALITY_STRAIGHTLINE_MIN": 2,
            "QUALITY_DUPLICATE_MIN": 5, "QUALITY_DUPLICATE_SHARE": 0.95,
            "QUALITY_DUPLICATE_HOURS": 1, "BURST_MIN_PER_HOUR": 5, "BURST_FACTOR": 3,
            "RATELIMIT_SUBMIT_PER_ADDRESS": "1000 per minute",
            "RATELIMIT_SUBMIT_PER_POINT": "1000 per minute"}


@pytest.fixture
def site(make_wave, make_point):
    wave = make_wave(questionnaire=mini_questionnaire())
    return wave, make_point(wave.units[0]), make_point(wave.units[0])


def kiosk_auth(client, point) -> dict:
    """The ``Authorization`` header of a kiosk enrolled at ``point`` (once per client and
    point): the API refuses anonymous submissions."""
    kiosks = client.__dict__.setdefault("kiosks", {})
    if point.id not in kiosks:
        token = enrol_device(client.application, point, questionnaire="full")
        kiosks[point.id] = {"Authorization": f"Device {token}"}
    return kiosks[point.id]


def submit(client, wave, point, answers=ANSWERS, *, seconds_ago=None, paradata=None):
    body = {"wave": wave.code, "point": point.code, "submission_id": str(uuid.uuid4()),
            "answers": dict(answers)}
    if seconds_ago is not None:
        body["started_at"] = (utcnow() - dt.timedelta(seconds=seconds_ago)).isoformat()
    if paradata is not None:
        body["paradata"] = paradata
    return client.post(API, json=body, headers=kiosk_auth(client, point))


def stored(app, submission=None):
    with app.app_context():
        rows = db.session.scalars(select(Response).order_by(Response.id)).all()
        return [(r.flags, r.paradata, r.duration_seconds) for r in rows]


# --- paradata -------------------------------------------------------------------------

def test_api_stores_page_durations(app, client, site):
    wave, point, _ = site
    pages = {"first": 40, "premises": 12, "last": 30}
    response = submit(client, wave, point, seconds_ago=90, paradata={"pages": pages})
    assert response.status_code == 201, response.get_json()
    [(flags, paradata, duration)] = stored(app)
    assert paradata == {"pages": pages} and 85 <= duration <= 95 and flags == []


@pytest.mark.parametrize("paradata", [
    {"pages": {"first": -1}}, {"pages": {"first": MAX_DURATION + 1}}, {"pages": {"first": 1.5}},
    {"pages": {"first": "10"}}, {"pages": ["first"]}, {"started": "2026-01-01T10:00"},
    {"pages": {"x" * 65: 3}}, {"pages": {f"p{i}": 1 for i in range(101)}}, "fast",
    {"pages": {"first": True}}])
def test_api_refuses_bad_paradata_and_stores_nothing(app, client, site, paradata):
    wave, point, _ = site
    response = submit(client, wave, point, seconds_ago=90, paradata=paradata)
    if isinstance(paradata, dict):
        assert response.status_code == 422
        assert [e["code"] for e in response.get_json()["errors"]] == ["paradata"]
    else:   # not an object at all: the request schema refuses the body (400, JSON message)
        assert response.status_code == 400 and "paradata" in response.get_json()["message"]
    assert stored(app) == []


def test_clean_paradata_keeps_only_bounded_whole_seconds():
    assert clean_paradata(None) is None
    assert clean_paradata({"pages": {"a": 0, "b": MAX_DURATION}}) == {"pages": {"a": 0, "b": MAX_DURATION}}
    with pytest.raises(ParadataError):
        clean_paradata({"pages": {"a": 3}, "clock": "10:00"})


def test_web_survey_stores_seconds_per_page_never_clock_times(app, client, mini_link, monkeypatch):
    wave_code, point_code = mini_link
    clock = [dt.datetime(2026, 5, 4, 9, 0, 0)]

    def now():
        clock[0] += dt.timedelta(seconds=7)      # every page view and post: 7 s later
        return clock[0]

    monkeypatch.setattr(state_module, "_now", now)
    first = client.get(f"/s/{wave_code}/{point_code}")
    last, visited = answer_survey(client, first, mini_questionnaire())
    assert last.status_code == 303
    [(flags, paradata, _duration)] = stored(app)
    pages = paradata["pages"]
    assert set(pages) == {"first", "premises", "last"}
    assert all(isinstance(v, int) and v == 7 for v in pages.values()), pages
    assert not any(isinstance(v, str) for v in pages.values())


# --- too fast ---------------------------------------------------------------------------

def test_too_fast_is_relative_to_the_answers(app, client, site):
    wave, point, _ = site
    assert submit(client, wave, point, seconds_ago=4).status_code == 201       # 4 s < 5 x 2 s
    assert submit(client, wave, point, seconds_ago=30).status_code == 201      # 30 s >= 10 s
    short = {"channel": "online_full", "visits": 1, "late": False, "overall": 5}
    assert submit(client, wave, point, short, seconds_ago=9).status_code == 201   # 9 s > 4 x 2 s
    assert submit(client, wave, point).status_code == 201                      # no start: unknown
    flags = [f for f, _, _ in stored(app)]
    assert flags == [[TOO_FAST], [], [], []]


def test_is_too_fast_threshold():
    assert quality.is_too_fast(19, 10, 2) and not quality.is_too_fast(20, 10, 2)
    assert not quality.is_too_fast(None, 10, 2) and not quality.is_too_fast(0, 0, 2)


# --- straight-lining -------------------------------------------------------------------

def test_straightlining_needs_the_same_value_on_enough_scale_answers(app, client, site):
    wave, point, _ = site
    same = {**ANSWERS, "seats": 5, "overall": 5}
    varied = {**ANSWERS, "seats": 4, "overall": 5}
    one_scale = {**ANSWERS, "seats": "na", "overall": 5}      # "na" is not a scale answer
    for answers in (same, varied, one_scale):
        assert submit(client, wave, point, answers, seconds_ago=60).status_code == 201
    assert [f for f, _, _ in stored(app)] == [[STRAIGHTLINE], [], []]


# --- near-duplicates and bursts (batch) -----------------------------------------------

def _all_flags(app) -> dict:
    """Every stored response's flags, by id."""
    with app.app_context():
        return {r.id: r.flags for r in db.session.scalars(select(Response))}


def _a_second_run_changes_nothing(app, runner, wave, flags: dict) -> None:
    """The batch is idempotent: a second run adds no flag and changes none."""
    again = runner.invoke(args=["quality", "flag", wave.code])
    assert "0 flag(s) added" in again.output
    assert _all_flags(app) == flags


def _insert(app, create_response, wave, point, answers, hour, **columns):
    return create_response(wave, point, answers=dict(answers), submitted_at=hour, **columns)


def test_near_duplicates_at_one_point_within_the_window(app, site, create_response, runner):
    wave, point, other = site
    hour = coarse_time(utcnow()) - dt.timedelta(hours=10)
    twins = [_insert(app, create_response, wave, point, ANSWERS, hour) for _ in range(2)]
    later = _insert(app, create_response, wave, point, ANSWERS, hour + dt.timedelta(hours=3))
    elsewhere = _insert(app, create_response, wave, other, ANSWERS, hour)
    different = _insert(app, create_response, wave, point,
                        {**ANSWERS, "visits": 5, "overall": 1, "late": True}, hour)
    result = runner.invoke(args=["quality", "flag", wave.code])
    assert result.exit_code == 0, result.output
    assert "near_duplicate: 2" in result.output
    flags = _all_flags(app)
    assert flags[twins[0].id] == flags[twins[1].id] == [NEAR_DUPLICATE]
    assert flags[later.id] == flags[elsewhere.id] == flags[different.id] == []
    _a_second_run_changes_nothing(app, runner, wave, flags)


def test_batch_flags_bursts_far_above_the_usual_rate_only(app, site, create_response):
    wave, point, other = site
    hour = coarse_time(utcnow()) - dt.timedelta(hours=5)
    # The other point has 3 responses an hour on 3 earlier days: 7 now is not above 3 x 3.
    for day in (1, 2, 3):
        for i in range(3):
            _insert(app, create_response, wave, other, {**ANSWERS, "visits": i + 1},
                    hour - dt.timedelta(days=day))
    burst = [_insert(app, create_response, wave, point, {**ANSWERS, "visits": i + 1}, hour)
             for i in range(7)]
    calm = [_insert(app, create_response, wave, other, {**ANSWERS, "visits": i + 1}, hour)
            for i in range(7)]
    with app.app_context():
        added = flag_wave(db.session.get(type(wave), wave.id))
        flags = {r.id: r.flags for r in db.session.scalars(select(Response))}
    assert added["burst"] == 7
    assert all(flags[r.id] == ["burst"] for r in burst)
    assert all(flags[r.id] == [] for r in calm)


def _device_id(app, point, name) -> int:
    """Enrol a kiosk tablet called ``name`` at ``point``; return its id."""
    from survey.models_devices import Device
    from survey.services.devices import token_hash

    token = enrol_device(app, point, name=name, questionnaire="full")
    with app.app_context():
        return db.session.scalar(select(Device.id).where(Device.token_hash == token_hash(token)))


def test_batch_flags_a_device_far_above_its_own_usual_rate(app, site, create_response, runner):
    wave, point, _ = site
    busy, steady = _device_id(app, point, "Quầy 1"), _device_id(app, point, "Quầy 2")
    hour = coarse_time(utcnow()) - dt.timedelta(hours=5)
    # Three earlier days: the busy tablet sends 2 an hour, the steady one 3, the point 5.
    for day in (1, 2, 3):
        earlier = hour - dt.timedelta(days=day)
        for i in range(2):
            _insert(app, create_response, wave, point, {**ANSWERS, "visits": 100 + i}, earlier,
                    device_id=busy, mode="kiosk")
        for i in range(3):
            _insert(app, create_response, wave, point, {**ANSWERS, "visits": 200 + i}, earlier,
                    device_id=steady, mode="kiosk")
    # Now 7 from each: 7 > 3 x 2 for the busy one; 7 is not above 3 x 3 for the steady one,
    # and the point's 14 (15 with a public-link answer) is not above 3 x 5.
    burst = [_insert(app, create_response, wave, point, {**ANSWERS, "visits": 300 + i}, hour,
                     device_id=busy, mode="kiosk") for i in range(7)]
    calm = [_insert(app, create_response, wave, point, {**ANSWERS, "visits": 400 + i}, hour,
                    device_id=steady, mode="kiosk") for i in range(7)]
    public = _insert(app, create_response, wave, point, {**ANSWERS, "visits": 500}, hour)
    result = runner.invoke(args=["quality", "flag", wave.code])
    assert result.exit_code == 0, result.output
    assert "burst_device: 7" in result.output and "burst: 0" in result.output
    flags = _all_flags(app)
    assert all(flags[r.id] == [DEVICE_BURST] for r in burst)
    assert all(flags[r.id] == [] for r in calm) and flags[public.id] == []
    assert sum(1 for f in flags.values() if f) == 7       # the history is not flagged
    _a_second_run_changes_nothing(app, runner, wave, flags)


def test_a_device_without_history_needs_more_than_the_minimum(app, site, create_response):
    wave, point, _ = site
    device = _device_id(app, point, "Quầy 1")
    hour = coarse_time(utcnow()) - dt.timedelta(hours=5)
    # BURST_MIN_PER_HOUR is 5: five in an hour from a new tablet are not a burst, six are.
    five = [_insert(app, create_response, wave, point, {**ANSWERS, "visits": 10 + i}, hour,
                    device_id=device, mode="kiosk") for i in range(5)]
    later = hour + dt.timedelta(hours=2)
    six = [_insert(app, create_response, wave, point, {**ANSWERS, "visits": 20 + i}, later,
                   device_id=device, mode="kiosk") for i in range(6)]
    with app.app_context():
        added = flag_wave(db.session.get(type(wave), wave.id))
        flags = {r.id: r.flags for r in db.session.scalars(select(Response))}
    # The earlier hour is the device's history now: median 5, and 6 is not above 3 x 5 …
    assert added[DEVICE_BURST] == 0 and all(flags[r.id] == [] for r in five + six)
    # … while six in the same hour from a tablet with no history are (6 > 5 and 6 > 3 x 0);
    # the point's 12 then are not above 3 x 5, so only the device's rule flags them.
    other = _device_id(app, point, "Quầy 2")
    fresh = [_insert(app, create_response, wave, point, {**ANSWERS, "visits": 40 + i},
                     later, device_id=other, mode="kiosk") for i in range(6)]
    with app.app_context():
        added = flag_wave(db.session.get(type(wave), wave.id))
        flags = {r.id: r.flags for r in db.session.scalars(select(Response))}
    assert added[DEVICE_BURST] == 6 and all(flags[r.id] == [DEVICE_BURST] for r in fresh)
    assert all(flags[r.id] == [] for r in five + six)


def test_only_a_kiosk_submission_records_its_device(app, client, site):
    wave, point, _ = site
    assert submit(client, wave, point).status_code == 201           # as the kiosk
    last, _visited = answer_survey(client, client.get(f"/s/{wave.code}/{point.code}"),
                                   mini_questionnaire())
    assert last.status_code == 303                                  # the public link
    with app.app_context():
        rows = db.session.scalars(select(Response).order_by(Response.id)).all()
        from survey.models_devices import Device
        [device] = db.session.scalars(select(Device)).all()
    assert [(r.mode, r.device_id) for r in rows] == [("kiosk", device.id), ("web", None)]


def test_the_device_is_not_exported(app, site, create_response):
    from survey.services.exports import iter_wave_csv

    wave, point, _ = site
    device = _device_id(app, point, "Quầy 1")
    _insert(app, create_response, wave, point, ANSWERS, coarse_time(utcnow()), device_id=device,
            mode="kiosk")
    for lang, words in (("en", ("device", "tablet")), ("vi", ("thiết bị", "máy tính bảng"))):
        with app.app_context():
            text = b"".join(iter_wave_csv(db.session.get(type(wave), wave.id), lang=lang))
        lines = text.decode("utf-8-sig").lower().splitlines()
        assert len(lines) == 2                                  # the row is there …
        assert not any(word in lines[0] for word in words)      # … not its tablet


def test_batch_applies_the_answer_rules_to_stored_rows(app, site, create_response):
    wave, point, _ = site
    hour = coarse_time(utcnow()) - dt.timedelta(hours=30)
    fast = _insert(app, create_response, wave, point, ANSWERS, hour, duration_seconds=3)
    slow = _insert(app, create_response, wave, point, {**ANSWERS, "visits": 9}, hour + dt.timedelta(hours=5),
                   duration_seconds=300)
    line = _insert(app, create_response, wave, point, {**ANSWERS, "seats": 2, "overall": 2},
                   hour + dt.timedelta(hours=10), duration_seconds=300, flags=["burst"])
    with app.app_context():
        flag_wave(db.session.get(type(wave), wave.id))
        flags = {r.id: r.flags for r in db.session.scalars(select(Response))}
    assert flags[fast.id] == [TOO_FAST] and flags[slow.id] == []
    # Flags are added to what is there, never replaced.
    assert flags[line.id] == ["burst", STRAIGHTLINE]


def test_cli_refuses_an_unknown_wave(runner):
    result = runner.invoke(args=["quality", "flag", "NO-SUCH-WAVE"])
    assert result.exit_code != 0 and "NO-SUCH-WAVE" in result.output
