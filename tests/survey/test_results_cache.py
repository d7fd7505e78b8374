"""The shared results cache: computed once, seen by every app instance, made stale by a new
response, a population change and an option change — on both databases, with the cache
in the database and in a real Redis (unique key prefixes; never FLUSHDB)."""

import os
import threading
import time
import uuid

import pytest
from sqlalchemy import select, update

from survey import create_app
from survey.extensions import db
from survey.models import Population, ResultsCacheEntry, Wave
from survey.services import reports, results_cache
from survey.services.setup_waves import set_wave_status
from tests.concurrency import run_in_threads
from tests.survey.officials.conftest import PER_COMMUNE, official, province  # noqa: F401

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


@pytest.fixture(params=["database", "redis"])
def cache_backend(request):
    if request.param == "database":
        yield {}
        return
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {error}", pytrace=False)
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    prefix = f"test-results-{uuid.uuid4().hex}"
    yield {"RESULTS_CACHE_URL": REDIS_URL, "RESULTS_CACHE_PREFIX": prefix}
    keys = list(connection.scan_iter(match=f"{prefix}:*"))
    if keys:
        connection.delete(*keys)


@pytest.fixture
def app_config(cache_backend):
    return dict(cache_backend)


@pytest.fixture
def computations(monkeypatch):
    """The waves ``compute_sipas`` is called for, in order."""
    calls = []
    original = reports.compute_sipas

    def counting(*args, **kwargs):
        calls.append(kwargs.get("wave"))
        return original(*args, **kwargs)

    monkeypatch.setattr(reports, "compute_sipas", counting)
    return calls


def _wave(code):
    return db.session.scalar(select(Wave).where(Wave.code == code))


def _overall(computed, code="TINH"):
    table = computed.result.indices
    row = table[(table["unit_code"] == code) & (table["kind"] == "overall")].iloc[0]
    return int(row["n"]), float(row["value"])


def _fresh_request(app):
    """A new app context: the per-request memo is gone, the shared cache is not."""
    return app.app_context()


def test_computed_once_then_read_from_the_cache(app, province, computations):
    with _fresh_request(app):
        first = results_cache.sipas(_wave("2026"))
    with _fresh_request(app):
        again = results_cache.sipas(_wave("2026"))
    assert computations == ["2026"]
    assert first.n_responses == again.n_responses == 2 * PER_COMMUNE
    assert _overall(first) == _overall(again)


def test_a_new_response_makes_a_new_result(app, province, computations, create_response):
    with _fresh_request(app):
        before = results_cache.sipas(_wave("2026"))
    create_response(province.waves[1], province.points[0], service_field_id=province.fields[0].id)
    with _fresh_request(app):
        after = results_cache.sipas(_wave("2026"))
    assert computations == ["2026", "2026"]
    assert after.n_responses == before.n_responses + 1
    assert _overall(after)[0] == _overall(before)[0] + 1


def test_a_population_change_makes_a_new_result(app, province, computations):
    with _fresh_request(app):
        wave = _wave("2026")
        before = results_cache.sipas(wave)
        db.session.execute(update(Population).where(Population.wave_id == wave.id,
                                                    Population.unit_id == province.communes[0].id)
                           .values(dossiers=9000))
        db.session.commit()
    with _fresh_request(app):
        after = results_cache.sipas(_wave("2026"))
    assert computations == ["2026", "2026"]
    # The first commune now weighs far more in the province's index.
    assert _overall(after)[1] != _overall(before)[1]


def test_an_option_change_makes_a_new_result(app, province, computations):
    with _fresh_request(app):
        before = results_cache.sipas(_wave("2026"))
    app.config["SIPAS_OPTIONS"] = {"confidence": 0.80}
    with _fresh_request(app):
        after = results_cache.sipas(_wave("2026"))
        options_of_call = after.result.meta["options"]["confidence"]
    assert computations == ["2026", "2026"]
    assert options_of_call == 0.80
    t = before.result.indices
    u = after.result.indices
    width = lambda x: float((x["ci_high"] - x["ci_low"]).iloc[0])  # noqa: E731
    pick = lambda x: x[(x["unit_code"] == "TINH") & (x["kind"] == "overall")]  # noqa: E731
    assert width(pick(u)) < width(pick(t))


def test_a_setting_named_in_the_key_makes_a_new_result(app, province, computations):
    app.config["RESULTS_CACHE_KEY_SETTINGS"] = ("ANALYSIS_EXCLUDE_FLAGGED",)
    app.config["ANALYSIS_EXCLUDE_FLAGGED"] = False
    with _fresh_request(app):
        results_cache.sipas(_wave("2026"))
    app.config["ANALYSIS_EXCLUDE_FLAGGED"] = True
    with _fresh_request(app):
        results_cache.sipas(_wave("2026"))
    assert computations == ["2026", "2026"]


def test_two_app_instances_share_one_cache(app, province, computations, database_url, app_config):
    # A second server (another app on the same database and cache settings).
    other = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": database_url,
                        "RESULTS_CACHE_FRESHNESS": 0, **app_config})
    with _fresh_request(app):
        mine = results_cache.sipas(_wave("2026"))
    with other.app_context():
        theirs = results_cache.sipas(_wave("2026"))
        db.engine.dispose()
    assert computations == ["2026"]
    assert _overall(theirs) == _overall(mine)


def test_concurrent_first_views_compute_once(app, province, computations):
    def view():
        with _fresh_request(app):
            n = results_cache.sipas(_wave("2026")).n_responses
            db.session.remove()
        return n

    got, errors = run_in_threads(view, 3)
    assert not errors
    assert got == [2 * PER_COMMUNE] * 3
    assert computations == ["2026"]


def test_the_lock_is_taken_once(app, province):
    with _fresh_request(app):
        store = results_cache._store()
        key = f"k{uuid.uuid4().hex[:20]}"
        assert store.claim(key, 1) is True
        assert store.claim(key, 1) is False
        store.fail(key, "boom")
        assert store.get(key)["problem"] == "boom"
        assert store.claim(key, 1) is True      # a failure may be retried


def test_a_dead_workers_lock_is_taken_over_and_a_live_one_is_kept(app, province):
    """A worker killed while computing leaves its "computing" lock: another takes it over
    once it has not been refreshed for RESULTS_CACHE_LOCK_SECONDS; a computation still
    running refreshes it (its heartbeat), however long it takes."""
    app.config["RESULTS_CACHE_LOCK_SECONDS"] = 2
    with _fresh_request(app):
        store = results_cache._store()
        dead, live = (f"k{uuid.uuid4().hex[:20]}" for _ in range(2))
        assert store.claim(dead, 1) is True and store.claim(live, 1) is True
        with results_cache._Heartbeat(store, live) as heartbeat:
            heartbeat.report(40)
            assert store.claim(dead, 1) is False and store.claim(live, 1) is False
            time.sleep(3.0)                 # longer than the lock, four beats of the live one
            assert store.claim(live, 1) is False
            assert store.get(live)["progress"] == 40
            assert store.claim(dead, 1) is True
        assert not heartbeat.thread.is_alive()


def test_closing_a_wave_computes_its_results(app, province, computations):
    with _fresh_request(app):
        set_wave_status("2026", "closed")
    assert "2026" in computations
    computations.clear()
    with _fresh_request(app):
        assert results_cache.compute_and_store(_wave("2026").id) == "cached"
        results_cache.sipas(_wave("2026"))
        results_cache.breakdowns(_wave("2026"))
    assert computations == []


def test_dashboard_and_report_read_the_cache(app, official, province, computations):  # noqa: F811
    assert official.get("/quan-ly/don-vi/TINH?wave=2026").status_code == 200
    assert official.get("/quan-ly/don-vi/XA-A?wave=2026").status_code == 200
    assert official.get("/quan-ly/don-vi/TINH/bao-cao.pdf?wave=2026").status_code == 200
    # 2026 with rank changes against 2025, and 2025: once each, for every page.
    assert sorted(computations) == ["2025", "2026"]


@pytest.mark.parametrize("lang, text", [("vi", "Đang tính kết quả"), ("en", "Results are being computed")])
def test_a_big_wave_shows_a_page_that_refreshes_itself(app, official, province, lang, text):  # noqa: F811
    app.config["RESULTS_CACHE_SYNC_LIMIT"] = 0        # every wave counts as big
    official.set_cookie("lang", lang)
    response = official.get("/quan-ly/don-vi/TINH?wave=2026")
    assert response.status_code == 202
    assert response.headers["Refresh"] == "5"
    page = response.get_data(as_text=True)
    assert text in page and "<progress" in page and "<script" not in page
    # The computation runs in the background; once stored, the page is the dashboard.
    for thread in threading.enumerate():
        if thread.name.startswith("results-"):
            thread.join(120)
    for _ in range(5):
        response = official.get("/quan-ly/don-vi/TINH?wave=2026")
        if response.status_code == 200:
            break
        for thread in threading.enumerate():
            if thread.name.startswith("results-"):
                thread.join(120)
    assert response.status_code == 200
