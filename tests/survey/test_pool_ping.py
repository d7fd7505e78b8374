"""A database restart costs no request: pooled connections the server closed are replaced.

Without a round trip per checkout: a pooled connection is pinged only when it was idle
``DATABASE_PING_AFTER_IDLE`` seconds or the server sent it something (survey/database.py).
"""

import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from survey.database import _CHECKED_IN
from survey.extensions import db
from survey.models import Response, ServicePoint
from tests import factories
from tests.conftest import _pg_admin_engine
from tests.survey.api.test_api_responses import GOOD_ANSWERS, URL

pytestmark = pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)


def terminate_app_connections(database_url: str) -> int:
    """Kill every server process connected to the app's database, as a restart does, and
    wait until they are gone; return how many."""
    name = make_url(database_url).database
    engine = _pg_admin_engine()
    try:
        with engine.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name}).all())
    finally:
        engine.dispose()


def kiosk_headers(app, point_code: str) -> dict:
    """Headers of a tablet enrolled at the point: submissions come from an enrolled kiosk
    (or with a code)."""
    with app.app_context():
        service_point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == point_code))
    return {"Authorization": f"Device {factories.enrol_device(app, service_point, questionnaire='full')}"}


def backend_pid(app) -> int:
    with app.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.remove()
    return pid


def age_pooled_connections(app, seconds: float) -> None:
    """Make every pooled connection look returned ``seconds`` ago."""
    with app.app_context():
        for record in list(db.engine.pool._pool.queue):
            record.info[_CHECKED_IN] -= seconds


def test_no_round_trip_for_a_connection_just_returned(app, pings):
    assert not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping")
    first = backend_pid(app)
    assert [backend_pid(app) for _ in range(5)] == [first] * 5
    assert pings == []


def test_an_idle_connection_is_pinged_and_kept_when_alive(app, pings):
    first = backend_pid(app)
    age_pooled_connections(app, app.config["DATABASE_PING_AFTER_IDLE"] + 1)
    assert backend_pid(app) == first
    assert len(pings) == 1
    assert backend_pid(app) == first            # returned a moment ago: no ping again
    assert len(pings) == 1


def test_an_idle_connection_silently_dropped_is_replaced(app, pings, monkeypatch):
    """A firewall that dropped the connection sends nothing: only the idle ping finds it."""
    first = backend_pid(app)
    with app.app_context():
        monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: pings.append(conn) or False)
    age_pooled_connections(app, app.config["DATABASE_PING_AFTER_IDLE"] + 1)
    assert backend_pid(app) != first
    assert len(pings) == 1


def test_a_connection_the_server_ended_is_replaced_without_waiting(app, database_url, pings):
    first = backend_pid(app)
    assert terminate_app_connections(database_url) >= 1
    assert backend_pid(app) != first
    assert len(pings) == 1              # the dead one, seen readable; the new one not pinged


def test_page_and_submission_survive_terminated_connections(app, client, mini_link,
                                                            database_url):
    wave, point = mini_link
    page = f"/s/{wave}/{point}"
    assert client.get(page).status_code == 200
    assert terminate_app_connections(database_url) >= 1
    assert client.get(page).status_code == 200

    body = {"wave": wave, "point": point, "submission_id": str(uuid.uuid4()),
            "answers": dict(GOOD_ANSWERS)}
    kiosk = kiosk_headers(app, point)
    assert terminate_app_connections(database_url) >= 1
    assert client.post(URL, json=body, headers=kiosk).status_code == 201
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 1
