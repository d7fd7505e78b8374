"""Rate limits on submissions: per address and per service point, memory and Redis.

Each test runs on both databases and both limiter storages: ``memory://`` and the real
Redis at 127.0.0.1:6379 (a random key prefix per test, its keys deleted afterwards).  An
unreachable Redis skips its tests, except under ``CI=true`` where it fails them.
"""

import os
import uuid

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Response
from tests.factories import enrol_device
from tests.survey.public.helpers import (default_answer, mini_questionnaire, post_page,
                                         visible_questions)

API = "/api/v1/responses"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ANSWERS = {"channel": "in_person", "visits": 2, "late": False, "seats": 4, "overall": 5}
PER_ADDRESS = 5
PER_POINT = 8
ENROL_PER_ADDRESS = 3


@pytest.fixture(params=["memory", "redis"])
def storage(request):
    """``(storage URI, key prefix)``; for Redis, the test's keys are deleted afterwards."""
    prefix = f"sipas-test-{uuid.uuid4().hex[:12]}"
    if request.param == "memory":
        yield "memory://", prefix
        return
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.RedisError as error:
        message = f"Redis is not reachable at {REDIS_URL}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI must run the Redis tests", pytrace=False)
        pytest.skip(message)
    yield REDIS_URL, prefix
    keys = list(connection.scan_iter(match=f"*{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


@pytest.fixture
def app_config(storage):
    uri, prefix = storage
    return {"RATELIMIT_STORAGE_URI": uri, "RATELIMIT_SUBMIT_KEY_PREFIX": prefix,
            # The fallback would hide a broken Redis from these tests.
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": False,
            "RATELIMIT_SUBMIT_PER_ADDRESS": f"{PER_ADDRESS} per minute",
            "RATELIMIT_SUBMIT_PER_POINT": f"{PER_POINT} per hour",
            "RATELIMIT_SUBMIT_PER_DEVICE": "1000 per minute",
            "RATELIMIT_KIOSK_ENROL": f"{ENROL_PER_ADDRESS} per minute"}


@pytest.fixture
def site(app, make_wave, make_point):
    """``(wave code, [point codes], {point code: kiosk credential})``."""
    wave = make_wave(questionnaire=mini_questionnaire())
    points = [make_point(wave.units[0]) for _ in range(2)]
    return wave.code, [p.code for p in points], {p.code: enrol_device(app, p) for p in points}


def stored(app, point_code=None) -> int:
    from survey.models import ServicePoint

    with app.app_context():
        query = select(func.count(Response.id))
        if point_code is not None:
            query = query.join(ServicePoint).where(ServicePoint.code == point_code)
        return db.session.scalar(query)


def post(client, site, point, address, lang="vi"):
    body = {"wave": site[0], "point": point, "submission_id": str(uuid.uuid4()),
            "answers": dict(ANSWERS)}
    return client.post(API, json=body, headers={"Accept-Language": lang,
                                                "Authorization": f"Device {site[2][point]}"},
                       environ_base={"REMOTE_ADDR": address})


def submit_web(client, site, point):
    """Answer the mini survey in the browser's way; return the final response."""
    questionnaire = mini_questionnaire()
    response = client.get(f"/s/{site[0]}/{point}")
    while response.status_code in (200, 422):
        answers = {qid: default_answer(questionnaire.questions[qid])
                   for qid in visible_questions(response)}
        response = post_page(client, response, {k: v for k, v in answers.items() if v})
    return response


def test_api_address_limit(app, client, site, storage):
    point = site[1][0]
    responses = [post(client, site, point, "203.0.113.7") for _ in range(PER_ADDRESS + 3)]
    assert [r.status_code for r in responses] == [201] * PER_ADDRESS + [429] * 3
    # Only a refusal says when to come back.
    assert all("Retry-After" not in r.headers for r in responses[:PER_ADDRESS])
    assert stored(app) == PER_ADDRESS
    refused = post(client, site, point, "203.0.113.7", lang="en")
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "too_many_requests"
    assert "Too many answers were sent" in refused.get_json()["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    vi = post(client, site, point, "203.0.113.7")
    assert "Có quá nhiều phiếu" in vi.get_json()["message"]
    # Another address is unaffected.
    assert post(client, site, point, "198.51.100.9").status_code == 201
    assert stored(app) == PER_ADDRESS + 1


def test_api_point_limit_holds_across_addresses(app, client, site, storage):
    first, second = site[1]
    statuses = [post(client, site, first, f"192.0.2.{i}").status_code for i in range(PER_POINT + 4)]
    assert statuses == [201] * PER_POINT + [429] * 4
    assert stored(app, first) == PER_POINT
    refused = post(client, site, first, "192.0.2.250")
    assert 60 < int(refused.headers["Retry-After"]) <= 3600        # the hour's window
    # The other point of the same wave still takes answers.
    assert post(client, site, second, "192.0.2.200").status_code == 201
    assert stored(app) == PER_POINT + 1


def test_web_submission_limited(app, client, site, storage):
    """The citizen survey's final submission counts against the same address budget."""
    point = site[1][0]
    for _ in range(PER_ADDRESS - 1):
        assert post(client, site, point, "203.0.113.50").status_code == 201
    client.environ_base["REMOTE_ADDR"] = "203.0.113.50"
    done = submit_web(client, site, point)
    assert done.status_code == 303
    assert stored(app) == PER_ADDRESS
    refused = submit_web(client, site, point)
    assert refused.status_code == 429
    assert "Có quá nhiều phiếu" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    assert stored(app) == PER_ADDRESS


def test_limiter_keeps_no_address(app, client, site, storage):
    """The counters are keyed on an HMAC of the address, never on the address itself."""
    uri, prefix = storage
    post(client, site, site[1][0], "203.0.113.77")
    if uri.startswith("redis"):
        import redis

        keys = [k.decode() for k in redis.Redis.from_url(REDIS_URL).scan_iter(match=f"*{prefix}*")]
    else:
        from survey.extensions import limiter

        keys = list(limiter.storage.storage.keys())
    assert keys and not any("203.0.113.77" in k for k in keys)


def test_memory_counters_start_no_thread_and_still_expire(app, monkeypatch):
    """memory:// counts as limits' MemoryStorage does, but starts no timer thread per few
    increments: expired counters are swept inline (survey.ratelimit_storage)."""
    import threading
    import time

    from limits import parse
    from limits.storage import storage_from_string

    from survey import ratelimit_storage

    storage = storage_from_string("memory://")
    assert isinstance(storage, ratelimit_storage.SweepingMemoryStorage)
    storage.timer.join()                  # the one timer limits starts at construction
    before = threading.active_count()
    item = parse("3 per second")
    from limits.strategies import FixedWindowRateLimiter

    strategy = FixedWindowRateLimiter(storage)
    assert [strategy.hit(item, "k") for _ in range(5)] == [True, True, True, False, False]
    assert threading.active_count() == before
    monkeypatch.setattr(ratelimit_storage, "SWEEP_SECONDS", 0.0)
    time.sleep(1.05)                      # the window ends: the key is counted afresh
    assert strategy.hit(item, "k") is True
    strategy.hit(parse("1 per second"), "other")
    assert threading.active_count() == before


def test_a_routes_own_limit_counts_without_the_per_request_hook(app, client, storage):
    """The kiosk enrolment's ``@limiter.limit`` is applied by its decorator: with the
    limiter's per-request hook dropped (nothing request-wide is configured), the
    address's fourth wrong code in a minute is refused, in Vietnamese."""
    from survey.extensions import limiter

    assert limiter._check_request_limit not in app.before_request_funcs[None]
    answers = [client.post("/kiosk/dang-ky", data={"code": "SAI-MA-0000"},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"})
               for _ in range(ENROL_PER_ADDRESS + 1)]
    assert [r.status_code for r in answers] == [422] * ENROL_PER_ADDRESS + [429]
    assert "Retry-After" in answers[-1].headers
    # Another address has its own budget.
    other = client.post("/kiosk/dang-ky", data={"code": "SAI-MA-0000"},
                        environ_base={"REMOTE_ADDR": "203.0.113.10"})
    assert other.status_code == 422


def test_request_wide_limits_keep_the_per_request_hook(app, monkeypatch):
    """Limits only the hook applies (here, for the whole application) keep it."""
    from flask import Flask

    from survey.extensions import limiter
    from survey.ratelimits import drop_idle_request_check

    bare = Flask("bare")
    bare.before_request(limiter._check_request_limit)
    drop_idle_request_check(bare)
    assert bare.before_request_funcs[None] == []

    monkeypatch.setattr(limiter.limit_manager, "_application_limits", [["anything"]])
    kept = Flask("kept")
    kept.before_request(limiter._check_request_limit)
    drop_idle_request_check(kept)
    assert kept.before_request_funcs[None] == [limiter._check_request_limit]
