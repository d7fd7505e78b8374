"""The submission path: few statements, a cached look-up that is never stale for a
submission, one idempotent INSERT — on both databases."""

import datetime as dt
import re
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, func, select, text

from survey import create_app
from survey.extensions import db
from survey.models import Response, ServicePoint, SetupVersion, Unit, Wave
from survey.services.links import SurveyLinkError
from survey.services.lookup import link_cache, resolve
from survey.services.questionnaire_versions import compiled_version
from survey.services.responses import store_response
from tests.survey.api.test_api_responses import GOOD_ANSWERS, URL
from tests.survey.public.helpers import (default_answer, mini_questionnaire, post_page,
                                         visible_questions)

TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


@pytest.fixture
def app_config():
    return {"RATELIMIT_SUBMIT_PER_ADDRESS": "1000 per minute",
            "RATELIMIT_SUBMIT_PER_POINT": "1000 per minute"}


@pytest.fixture
def site(make_unit, make_wave, make_point, make_field):
    """(wave code, point code, province id, commune id) of an open wave over a province,
    the point at a commune below it."""
    province = make_unit(kind="province")
    commune = make_unit(kind="commune", parent=province)
    wave = make_wave(questionnaire=mini_questionnaire(), units=[province])
    point = make_point(commune)
    make_field("land", name="Đất đai")
    return wave.code, point.code, province.id, commune.id


@pytest.fixture
def kiosk(app, site):
    """(device id, ``Authorization`` value) of a kiosk enrolled at the site's point for the
    wave's kind of questionnaire, already seen this hour (its hourly write is done)."""
    from survey.services import devices
    from tests.factories import enrol_device

    with app.app_context():
        point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == site[1]))
        token = enrol_device(app, point, questionnaire="full")
        device = devices.authenticate_device(token)
        return device.id, f"Device {token}"


@pytest.fixture
def client(app, kiosk):
    """A test client sending the answers as the enrolled kiosk: the API refuses anonymous
    submissions, and the kiosk is the one credential whose warm path needs no more than
    its own look-up."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = kiosk[1]
    return client


@contextmanager
def statements(app):
    """Collect the SQL statements the app sends, transaction control left out."""
    seen = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if not TRANSACTION_CONTROL.match(statement):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def api_body(site, **changes):
    return {"wave": site[0], "point": site[1], "field": "land",
            "submission_id": str(uuid.uuid4()), "answers": dict(GOOD_ANSWERS), **changes}


def stored(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Response.id)))


@pytest.mark.parametrize("recheck", [5, 0])
def test_a_valid_api_submission_costs_at_most_three_statements(app, client, site, recheck, kiosk):
    app.config["SURVEY_LOOKUP_RECHECK_SECONDS"] = recheck    # 0: the version read every time
    assert client.post(URL, json=api_body(site)).status_code == 201    # warms the process
    with statements(app) as seen:
        response = client.post(URL, json=api_body(site))
    assert response.status_code == 201, response.get_json()
    assert len(seen) <= 3, seen
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and "ON CONFLICT" in inserts[0].upper()
    # Neither the server-side session store nor the questionnaire's definition is read.
    assert not any("user_sessions" in s or "questionnaire_versions" in s for s in seen)
    assert "Set-Cookie" not in response.headers
    assert stored(app) == 2
    with app.app_context():
        # The kiosk is recorded on the row: the column rides in the one INSERT.
        assert set(db.session.scalars(select(Response.device_id))) == {kiosk[0]}


def test_a_cold_lookup_still_costs_at_most_three_statements(app, client, site):
    with app.app_context():
        wave = db.session.scalar(select(Wave).where(Wave.code == site[0]))
        compiled_version(wave.questionnaire_version_id)    # compiled once per version
    with statements(app) as seen:
        assert client.post(URL, json=api_body(site)).status_code == 201
    # The kiosk's own credential look-up (every API submission needs a credential) comes
    # on top of the cold link look-up and the INSERT, which stay at three.  (The INSERT
    # names the devices table too: it stores nothing for a revoked device.)
    device = [s for s in seen if "FROM devices" in s and s.lstrip().upper().startswith("SELECT")]
    assert len(device) == 1 and len(seen) - len(device) <= 3, seen


def answer_pages(client, response, questionnaire, app, max_pages=10):
    """Answer every page; return the final response and the statements of the last POST."""
    for _ in range(max_pages):
        assert response.status_code == 200, response.get_data(as_text=True)[:1000]
        if 'name="field"' in response.get_data(as_text=True):
            answers = {"field": "land"}
        else:
            answers = {qid: default_answer(questionnaire.questions[qid])
                       for qid in visible_questions(response)}
            answers = {k: v for k, v in answers.items() if v is not None}
        with statements(app) as seen:
            response = post_page(client, response, answers)
        if response.status_code == 303:
            return response, seen
    raise AssertionError("the survey did not end")


def test_the_web_survey_final_step_costs_at_most_three_statements(app, client, site):
    questionnaire = mini_questionnaire()
    final, seen = answer_pages(client, client.get(f"/s/{site[0]}/{site[1]}"), questionnaire, app)
    assert final.status_code == 303 and final.headers["Location"].endswith("/cam-on")
    assert len(seen) <= 3, seen
    assert not any("user_sessions" in s for s in seen)
    with app.app_context():
        row = db.session.scalar(select(Response))
        assert row.service_field.code == "land" and row.mode == "web"
        assert row.device_id is None          # the public link: no device


def test_closing_a_wave_is_seen_by_the_next_submission_in_the_process(app, client, site):
    assert client.post(URL, json=api_body(site)).status_code == 201
    with app.app_context():
        db.session.scalar(select(Wave).where(Wave.code == site[0])).status = "closed"
        db.session.commit()
    assert client.post(URL, json=api_body(site)).status_code == 410
    assert client.get(f"/s/{site[0]}/{site[1]}").status_code == 410
    assert stored(app) == 1


def test_retiring_a_point_is_seen_by_the_next_submission(app, client, site):
    assert client.post(URL, json=api_body(site)).status_code == 201
    with app.app_context():
        db.session.scalar(select(ServicePoint).where(ServicePoint.code == site[1])).active = False
        db.session.commit()
    assert client.post(URL, json=api_body(site)).status_code == 404
    assert stored(app) == 1


def test_moving_a_unit_out_of_scope_is_seen_by_the_next_submission(app, client, site, make_unit):
    assert client.post(URL, json=api_body(site)).status_code == 201
    elsewhere = make_unit(kind="province")
    with app.app_context():
        db.session.get(Unit, site[3]).parent_id = elsewhere.id
        db.session.commit()
    assert client.post(URL, json=api_body(site)).status_code == 404
    with app.app_context():
        db.session.get(Unit, site[3]).parent_id = site[2]
        db.session.commit()
    assert client.post(URL, json=api_body(site)).status_code == 201
    assert stored(app) == 2


@pytest.fixture
def other_writer(database_url):
    """Run SQL as another process would: its own engine, no app, no session events."""
    engine = create_engine(database_url)

    def run(sql, **params):
        with engine.begin() as conn:
            conn.execute(text(sql), params)

    yield run
    engine.dispose()


def test_a_change_by_another_process_refuses_the_next_submission(app, client, site,
                                                                 other_writer):
    # A look-up re-read only every hour: the pages may show the form that long, but a
    # submission is refused at once, because its INSERT checks the setup version.
    app.config["SURVEY_LOOKUP_RECHECK_SECONDS"] = 3600
    assert client.post(URL, json=api_body(site)).status_code == 201
    other_writer("UPDATE waves SET status = 'closed' WHERE code = :code", code=site[0])
    assert client.get(f"/s/{site[0]}/{site[1]}").status_code == 200   # within the bound
    assert client.post(URL, json=api_body(site)).status_code == 410
    assert client.get(f"/s/{site[0]}/{site[1]}").status_code == 410   # the look-up was read again
    other_writer("UPDATE waves SET status = 'open' WHERE code = :code", code=site[0])
    other_writer("UPDATE service_points SET active = false WHERE code = :code", code=site[1])
    assert client.post(URL, json=api_body(site)).status_code == 404
    assert stored(app) == 1


def test_pages_see_another_process_change_within_the_recheck_bound(app, client, site,
                                                                   other_writer):
    app.config["SURVEY_LOOKUP_RECHECK_SECONDS"] = 0      # the bound, made nil for the test
    assert client.get(f"/s/{site[0]}/{site[1]}").status_code == 200
    other_writer("DELETE FROM wave_units")               # nothing in scope any more
    assert client.get(f"/s/{site[0]}/{site[1]}").status_code == 404


def test_two_workers_share_nothing_but_see_each_others_changes(app, site, database_url, kiosk):
    """A second app (another worker) closes the wave: the first refuses at once."""
    other = create_app({"TESTING": True, "SECRET_KEY": "test",
                        "SQLALCHEMY_DATABASE_URI": database_url, **{
                            "RATELIMIT_SUBMIT_PER_ADDRESS": "1000 per minute",
                            "RATELIMIT_SUBMIT_PER_POINT": "1000 per minute"}})
    first = app.test_client()
    first.environ_base["HTTP_AUTHORIZATION"] = kiosk[1]
    assert first.post(URL, json=api_body(site)).status_code == 201
    with other.app_context():
        assert link_cache() is not None and resolve(site[0], site[1]).refusal() is None
        db.session.scalar(select(Wave).where(Wave.code == site[0])).status = "closed"
        db.session.commit()
    try:
        assert first.post(URL, json=api_body(site)).status_code == 410
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_every_setup_change_raises_the_version(app, site, other_writer):
    def version():
        with app.app_context():
            return db.session.scalar(select(SetupVersion.version))

    before = version()
    for sql in ("UPDATE units SET name = 'x' WHERE id = :id",
                "UPDATE service_fields SET name = 'y'",
                "UPDATE service_points SET name = 'z'",
                "UPDATE waves SET name = 'w'"):
        other_writer(sql, id=site[2])
        after = version()
        assert after > before, sql
        before = after


def test_a_setup_change_between_lookup_and_insert_is_caught_by_the_insert(app, site,
                                                                           other_writer):
    with app.app_context():
        link = resolve(site[0], site[1])          # cached, as a page shown earlier would
        other_writer("UPDATE waves SET status = 'closed' WHERE code = :code", code=site[0])
        with statements(app) as seen:
            with pytest.raises(SurveyLinkError) as caught:
                store_response(wave=link.wave, service_point=link.point,
                               answers=dict(GOOD_ANSWERS), submission_id=uuid.uuid4(),
                               started_at=None)
        assert caught.value.reason == "closed"
        # The guarded INSERT stored nothing, then the look-up was read again.
        assert seen[0].lstrip().upper().startswith("INSERT") and len(seen) <= 4
    assert stored(app) == 0


def test_retry_of_a_stored_submission_on_a_closed_wave_still_answers_200(app, client, site):
    body = api_body(site)
    assert client.post(URL, json=body).status_code == 201
    with app.app_context():
        db.session.scalar(select(Wave).where(Wave.code == site[0])).status = "closed"
        db.session.commit()
    assert client.post(URL, json=body).status_code == 200
    changed = {**body, "answers": {**GOOD_ANSWERS, "overall": 1}}
    assert client.post(URL, json=changed).status_code == 409
    assert stored(app) == 1


def test_unknown_codes_are_not_cached(app, site):
    with app.app_context():
        cache = link_cache()
        for n in range(50):
            assert resolve(f"NO-{n}", site[1]).refusal() == "unknown_wave"
        assert resolve(site[0], site[1]).refusal() is None
        assert len(cache._links) == 1


def test_the_cache_is_bounded(app, site, make_point):
    app.config["SURVEY_LOOKUP_SIZE"] = 2
    with app.app_context():
        commune = db.session.get(Unit, site[3])
        codes = [make_point(commune).code for _ in range(4)]
        app.extensions.pop("survey_lookup", None)
        cache = link_cache()
        for code in codes:
            assert resolve(site[0], code).refusal() is None
        assert list(cache._links) == [(site[0], codes[2]), (site[0], codes[3])]


def test_the_migrated_database_raises_the_version_too(fresh_database):
    """Migration 0010 installs the same triggers as the models' create_all."""
    from survey.migrate import upgrade

    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "SQLALCHEMY_DATABASE_URI": fresh_database()})
    upgrade(app)
    with app.app_context():
        try:
            def version():
                return db.session.scalar(select(SetupVersion.version))

            before = version()
            db.session.add(Unit(code="U1", name="Tỉnh", kind="province"))
            db.session.commit()
            assert version() > before
            before = version()
            db.session.execute(text("UPDATE units SET name = 'x'"))
            db.session.execute(text("DELETE FROM units"))
            db.session.commit()
            assert version() > before
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("app_config", [{"BURST_MIN_PER_HOUR": 3, "BURST_FACTOR": 2,
                                         "RATELIMIT_SUBMIT_PER_ADDRESS": "1000 per minute",
                                         "RATELIMIT_SUBMIT_PER_POINT": "1000 per minute"}])
def test_a_sustained_burst_costs_no_extra_statement(app, client, site):
    for _ in range(4):                      # the 4th exceeds 3 without history: a burst
        assert client.post(URL, json=api_body(site)).status_code == 201
    with statements(app) as seen:
        assert client.post(URL, json=api_body(site)).status_code == 201
    # The hour is known to be a burst in this process: the row goes in flagged, and its
    # INSERT no longer counts the hour's responses (a count that grows with the burst).
    assert len(seen) <= 3, seen
    inserts = [sql for sql in seen if sql.lstrip().upper().startswith("INSERT INTO RESPONSES")]
    assert len(inserts) == 1 and "count(" not in inserts[0].lower(), seen
    with app.app_context():
        assert list(db.session.scalars(select(Response.flags).order_by(Response.id))) == [
            ["burst"]] * 5


@pytest.mark.parametrize("app_config", [{"RATELIMIT_SUBMIT_PER_ADDRESS": "1000 per minute",
                                         "RATELIMIT_SUBMIT_PER_POINT": "2 per minute",
                                         "RATELIMIT_SUBMIT_KEY_PREFIX": f"h13s-{uuid.uuid4().hex}"}])
def test_a_retry_is_answered_when_the_points_limit_is_reached(app, client, site):
    first = api_body(site)
    assert client.post(URL, json=first).status_code == 201
    assert client.post(URL, json=api_body(site)).status_code == 201
    assert client.post(URL, json=first).status_code == 200          # not 429
    assert client.post(URL, json=api_body(site)).status_code == 429
    assert stored(app) == 2


def test_creating_the_tables_again_keeps_one_trigger_that_still_counts(app, site, other_writer):
    """create_all on an existing database (the benchmarks' --keep) must not fail on the
    triggers, nor add a second one that would raise the version twice."""
    with app.app_context():
        db.create_all()
        before = db.session.scalar(select(SetupVersion.version))
    other_writer("UPDATE units SET name = 'again' WHERE id = :id", id=site[2])
    with app.app_context():
        assert db.session.scalar(select(SetupVersion.version)) == before + 1


def test_a_warm_kiosk_submission_reads_no_device(app, client, site):
    """The device authenticated this hour by this process is not read again: its
    revocation is checked inside the INSERT."""
    assert client.post(URL, json=api_body(site)).status_code == 201
    with statements(app) as seen:
        assert client.post(URL, json=api_body(site)).status_code == 201
    assert not [s for s in seen if s.lstrip().upper().startswith("SELECT") and "devices" in s], seen
    assert len(seen) == 1, seen


@pytest.mark.parametrize("second", ["new", "retry", "invalid", "other_point"])
def test_a_revocation_by_another_process_refuses_a_cached_device(app, client, site, kiosk,
                                                                 other_writer, second,
                                                                 make_point):
    """Revoked elsewhere (no session event in this process): the next request of the
    cached device hears 401, whatever it sends, and nothing is stored."""
    first = api_body(site)
    assert client.post(URL, json=first).status_code == 201
    other_writer("UPDATE devices SET revoked_at = :now WHERE id = :id",
                 now=dt.datetime(2026, 1, 1), id=kiosk[0])
    if second == "new":
        body = api_body(site)
    elif second == "retry":
        body = first                      # would be 200 for an active device
    elif second == "invalid":
        body = api_body(site, answers={**GOOD_ANSWERS, "overall": 9})     # would be 422
    else:
        with app.app_context():
            commune = db.session.get(Unit, site[3])
        body = api_body(site, point=make_point(commune).code)              # would be 403
    refused = client.post(URL, json=body)
    assert refused.status_code == 401, refused.get_json()
    assert "revoked" in refused.get_json()["message"] or "thu hồi" in refused.get_json()["message"]
    assert stored(app) == 1
    # And it stays refused (the cache forgot it).
    assert client.post(URL, json=api_body(site)).status_code == 401
    assert stored(app) == 1
