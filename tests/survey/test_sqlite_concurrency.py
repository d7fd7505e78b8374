"""Concurrent citizens on a real threaded server: every distinct answer stored, twins once.

The issue saw 26 of 30 concurrent submissions refused with ``database is locked`` on
SQLite; these run on both databases, through werkzeug's threaded server on 127.0.0.1.
"""

import http.client
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Response
from tests.factories import enrol_device
from tests.survey.api.test_api_responses import GOOD_ANSWERS, URL


# Fifty citizens behind one address at one point in a second: far beyond the real limits,
# which have their own tests (tests/survey/test_rate_limits.py).
HIGH_LIMITS = {"RATELIMIT_SUBMIT_PER_ADDRESS": "1000 per minute",
               "RATELIMIT_SUBMIT_PER_POINT": "1000 per minute",
               "RATELIMIT_SUBMIT_PER_DEVICE": "1000 per minute"}


@pytest.fixture
def app_config():
    return dict(HIGH_LIMITS)


@pytest.fixture
def kiosk(app, mini_link):
    """The request headers of a kiosk enrolled at ``mini_link``'s point."""
    from survey.models import ServicePoint

    with app.app_context():
        point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == mini_link[1]))
    return {"Content-Type": "application/json",
            "Authorization": f"Device {enrol_device(app, point)}"}


def post_all(port: int, bodies: list[dict], headers: dict) -> list[int]:
    """POST every body at once from its own thread; return the status codes."""
    barrier = threading.Barrier(len(bodies))

    def post(body):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        payload = json.dumps(body)
        barrier.wait()
        conn.request("POST", URL, payload, headers)
        status = conn.getresponse().status
        conn.close()
        return status

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def count(app, **where):
    with app.app_context():
        query = select(func.count(Response.id))
        for column, value in where.items():
            query = query.where(getattr(Response, column) == value)
        return db.session.scalar(query)


def test_fifty_concurrent_distinct_submissions_are_all_stored(app, server, mini_link, kiosk):
    wave, point = mini_link
    bodies = [{"wave": wave, "point": point, "submission_id": str(uuid.uuid4()),
               "answers": dict(GOOD_ANSWERS)} for _ in range(50)]
    statuses = post_all(server, bodies, kiosk)
    assert statuses == [201] * 50
    assert count(app) == 50


def test_thirty_concurrent_twins_are_stored_once(app, server, mini_link, kiosk):
    wave, point = mini_link
    body = {"wave": wave, "point": point, "submission_id": str(uuid.uuid4()),
            "answers": dict(GOOD_ANSWERS)}
    statuses = post_all(server, [body] * 30, kiosk)
    assert sorted(statuses) == [200] * 29 + [201]
    assert count(app) == 1
    assert count(app, submission_id=body["submission_id"]) == 1


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("app_config", [{"SQLITE_BUSY_TIMEOUT": 0.2, **HIGH_LIMITS}])
def test_write_lock_held_too_long_is_503_and_stores_nothing(app, client, mini_link,
                                                            database_url, kiosk):
    import sqlite3

    from sqlalchemy.engine import make_url

    wave, point = mini_link
    holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")            # another writer keeps the lock
    try:
        response = client.post(URL, json={"wave": wave, "point": point,
                                          "submission_id": str(uuid.uuid4()),
                                          "answers": dict(GOOD_ANSWERS)},
                               headers={"Authorization": kiosk["Authorization"]})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["error"] == "busy"
    assert "thử lại" in response.get_json()["message"]
    assert count(app) == 0
