"""Units' parts of cached results (survey/services/unit_parts.py) and the response tallies
behind the data version: a dashboard built from one unit's part shows exactly what it
shows from the whole result; parts are stored with their entry (database and Redis),
read by another app instance without computing, and made stale with the rest."""

import math

import pytest
from sqlalchemy import delete, func, select, update

from survey import create_app
from survey.extensions import db
from survey.models import Response, ResponseTally, Unit, Wave
from survey.officials.filters import waves_of
from survey.services import dashboard, results_cache, unit_parts
from survey.services.modes import mode_counts
from tests.survey.officials.conftest import PER_COMMUNE, province  # noqa: F401
from tests.survey.test_results_cache import (app_config, cache_backend,  # noqa: F401
                                             computations)

UNITS = ("TINH", "XA-A", "XA-B", "XA-C")


def _wave(code):
    return db.session.scalar(select(Wave).where(Wave.code == code))


def _unit(code):
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _plain(value):
    """Comparable form: NaN equal to NaN, ORM objects by id."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, Wave):
        return ("wave", value.id)
    return value


def _dashboard(code, wave_code, **filters):
    unit = _unit(code)
    return _plain(dashboard.unit_dashboard(unit, waves_of(unit), _wave(wave_code), **filters))


@pytest.mark.parametrize("filters", [{}, {"channel": "online"}, {"lang": "en"}])
def test_a_units_part_gives_the_figures_of_the_whole_result(app, province, monkeypatch, filters):
    with app.test_request_context():
        from_parts = {(c, w): _dashboard(c, w, **filters) for c in UNITS for w in ("2025", "2026")}
    # The same dashboards from the whole results (the cache ignores the unit).
    original = results_cache.get_or_compute
    monkeypatch.setattr(results_cache, "get_or_compute",
                        lambda *a, unit=None, **k: original(*a, **k))
    with app.test_request_context():
        from_whole = {(c, w): _dashboard(c, w, **filters) for c in UNITS for w in ("2025", "2026")}
    assert from_parts == from_whole
    assert from_parts[("TINH", "2026")]["has_data"] and from_parts[("TINH", "2026")]["children"]
    assert from_parts[("TINH", "2026")]["overall"]["change"] is not None


def test_a_unit_the_result_does_not_know_reads_the_common_part(app, province):
    with app.test_request_context():
        computed = results_cache.sipas(_wave("2026"), unit="NO-SUCH-UNIT")
        whole = results_cache.sipas(_wave("2026"))
    assert computed.n_responses == whole.n_responses
    assert len(computed.result.indices) == 0 and len(computed.result.units) == 0
    assert computed.result.meta["wave"] == whole.result.meta["wave"]


def test_split_keeps_each_units_rows_and_its_childrens_overall_rows(app, province):
    with app.test_request_context():
        result = results_cache.sipas(_wave("2026")).result
    parts = unit_parts.split_result(result)
    assert set(UNITS) <= set(parts) and unit_parts.COMMON in parts
    tinh = parts["TINH"]
    own = result.indices[result.indices["unit_code"] == "TINH"]
    assert tinh.indices[tinh.indices["unit_code"] == "TINH"].equals(own)
    kids = tinh.indices[tinh.indices["unit_code"] != "TINH"]
    assert set(kids["kind"]) == {"overall"} and set(kids["unit_code"]) <= {"XA-A", "XA-B", "XA-C"}
    assert list(tinh.units["code"]) == [c for c in result.units["code"] if c in UNITS]
    xa = parts["XA-A"]
    assert set(xa.indices["unit_code"]) == {"XA-A"} and list(xa.units["code"]) == ["XA-A"]


def test_parts_are_stored_with_the_entry_and_read_by_another_instance(
        app, province, computations, database_url, app_config, monkeypatch):  # noqa: F811
    with app.test_request_context():
        mine = results_cache.sipas(_wave("2026"), unit="XA-A")
        results_cache.breakdowns(_wave("2026"), unit="XA-B", wait=True)
    assert computations == ["2026"]              # compute_sipas; the breakdowns are counted apart
    other = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": database_url,
                        "RESULTS_CACHE_FRESHNESS": 0, **app_config})
    reads = []
    for store in (results_cache._DatabaseStore, results_cache._RedisStore):
        original = store.get
        monkeypatch.setattr(store, "get", lambda self, key, _o=original: reads.append(key) or _o(self, key))
    with other.test_request_context():
        theirs = results_cache.sipas(_wave("2026"), unit="XA-A")
        breakdowns = results_cache.breakdowns(_wave("2026"), unit="XA-B", wait=True)
        db.engine.dispose()
    assert reads == []                          # no whole entry read, nothing computed
    assert computations == ["2026"]
    assert theirs.n_responses == mine.n_responses == 2 * PER_COMMUNE
    assert theirs.result.indices.equals(mine.result.indices)
    assert len(breakdowns["by_field"]) and set(breakdowns["by_field"]["unit_code"]) == {"XA-B"}


def test_a_new_response_makes_new_parts(app, province, computations, create_response):
    with app.test_request_context():
        before = dashboard.estimate(results_cache.sipas(_wave("2026"), unit="XA-A").result.indices,
                                    "XA-A", "overall")
    create_response(province.waves[1], province.points[0], service_field_id=province.fields[0].id)
    with app.test_request_context():
        after_part = results_cache.sipas(_wave("2026"), unit="XA-A")
        after = dashboard.estimate(after_part.result.indices, "XA-A", "overall")
    assert computations == ["2026", "2026"]
    assert after_part.n_responses == 2 * PER_COMMUNE + 1
    assert after["n"] == before["n"] + 1


def test_tallies_follow_inserts_deletes_and_moves(app, province, create_response):
    def counted():
        rows = db.session.execute(select(Response.wave_id, Response.unit_id, Response.mode,
                                         func.count()).group_by(Response.wave_id, Response.unit_id,
                                                                Response.mode)).all()
        return {(w, u, m): n for w, u, m, n in rows}

    def tallied():
        rows = db.session.execute(select(ResponseTally.wave_id, ResponseTally.unit_id,
                                         ResponseTally.mode, ResponseTally.responses)).all()
        return {(w, u, m): int(n) for w, u, m, n in rows if n}

    with app.app_context():
        wave = _wave("2026")
        assert tallied() == counted()
        version, n = results_cache.data_version(wave.id, fresh=True)
        assert n == 2 * PER_COMMUNE
        # A response that is not the newest is deleted: the version changes.
        oldest = db.session.scalar(select(func.min(Response.id)).where(Response.wave_id == wave.id))
        db.session.execute(delete(Response).where(Response.id == oldest))
        db.session.commit()
        assert tallied() == counted()
        deleted, n = results_cache.data_version(wave.id, fresh=True)
        assert deleted != version and n == 2 * PER_COMMUNE - 1
        # Moved to another unit, and to another mode.
        some = db.session.scalar(select(func.max(Response.id)).where(Response.wave_id == wave.id))
        db.session.execute(update(Response).where(Response.id == some)
                           .values(unit_id=province.empty.id, mode="kiosk"))
        db.session.commit()
        assert tallied() == counted()
        assert results_cache.data_version(wave.id, fresh=True)[0] != deleted
        assert mode_counts(wave, [province.empty.id])["kiosk"] == 1
        # An update that moves nothing leaves the tallies alone.
        db.session.execute(update(Response).where(Response.wave_id == wave.id).values(flags=["x"]))
        db.session.commit()
        assert tallied() == counted()
