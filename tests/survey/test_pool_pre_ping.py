"""A database restart costs no request: pooled connections the server closed are replaced."""

import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from survey.extensions import db
from survey.models import Response, ServicePoint
from tests import factories
from tests.conftest import _pg_admin_engine
from tests.survey.api.test_api_responses import GOOD_ANSWERS, URL

pytestmark = pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)


def terminate_app_connections(database_url: str) -> int:
    """Kill every server process connected to the app's database; return how many."""
    name = make_url(database_url).database
    engine = _pg_admin_engine()
    try:
        with engine.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name}).all())
    finally:
        engine.dispose()


def test_pre_ping_is_on(app):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    with app.app_context():
        assert db.engine.pool._pre_ping


def test_page_and_submission_survive_terminated_connections(app, client, mini_link,
                                                            database_url):
    wave, point = mini_link
    page = f"/s/{wave}/{point}"
    assert client.get(page).status_code == 200
    assert terminate_app_connections(database_url) >= 1
    assert client.get(page).status_code == 200

    body = {"wave": wave, "point": point, "submission_id": str(uuid.uuid4()),
            "answers": dict(GOOD_ANSWERS)}
    with app.app_context():     # submissions come from an enrolled kiosk (or with a code)
        service_point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == point))
    kiosk = {"Authorization": f"Device {factories.enrol_device(app, service_point, questionnaire='full')}"}
    assert terminate_app_connections(database_url) >= 1
    assert client.post(URL, json=body, headers=kiosk).status_code == 201
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 1
