"""The demo command builds a marked, believable province with three waves of history,
through the set-up services."""

import re

import numpy as np
import pytest
from sqlalchemy import func, select

from survey import create_app
from survey.extensions import db
from survey.models import Population, Response, ServicePoint, Unit, Wave
from survey.services.links import find_survey


@pytest.fixture
def demo_app(tmp_path):
    """An app on an empty SQLite file: the demo must create the schema itself."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'new' / 'demo.sqlite3'}"})
    yield app
    with app.app_context():
        db.engine.dispose()


def _counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Unit, ServicePoint, Wave, Population, Response)}


def test_demo_command_builds_the_province(demo_app, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    result = demo_app.test_cli_runner().invoke(args=["demo", "--responses", "400", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5000/s/2026/" in result.output
    link_point = re.search(r"/s/2026/(\S+)", result.output).group(1)
    with demo_app.app_context():
        counts = _counts()
        assert counts["Response"] == 3 * 400 and counts["Wave"] == 3
        assert counts["Unit"] >= 20 and counts["ServicePoint"] >= counts["Unit"]
        root = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)))
        assert "mẫu" in root.name and root.kind == "province"
        kinds = db.session.scalars(select(Unit.kind)).all()
        assert kinds.count("department") >= 8 and kinds.count("commune") + kinds.count("ward") >= 12
        waves = {w.code: w for w in db.session.scalars(select(Wave))}
        assert {code: w.status for code, w in waves.items()} == {
            "2024": "closed", "2025": "closed", "2026": "open"}
        assert all(w.is_demo and [u.code for u in w.units] == ["MH"] for w in waves.values())
        wave = waves["2026"]
        assert all(db.session.scalars(select(Response.is_demo)))
        # The printed link works and its point is in the wave's scope.
        assert find_survey("2026", link_point)[0].id == wave.id
        assert {m for m in db.session.scalars(select(Response.mode).distinct())} == {"web", "kiosk"}
        total = db.session.scalar(select(func.sum(Population.dossiers)))
        assert total > 400 * 10
        for w in waves.values():
            # Every (unit, field) cell with answers has a population to weight them by...
            cells = db.session.execute(select(Response.unit_id, Response.service_field_id)
                                       .where(Response.wave_id == w.id).distinct()).all()
            populated = set(db.session.execute(select(Population.unit_id, Population.service_field_id)
                                               .where(Population.wave_id == w.id)).all())
            assert set(cells) <= populated
            # ...and every answer falls within its wave's period.
            first, last = db.session.execute(select(func.min(Response.submitted_at), func.max(Response.submitted_at))
                                             .where(Response.wave_id == w.id)).one()
            assert w.starts_on <= first.date() and last.date() <= w.ends_on


def test_the_demo_link_uses_the_port_it_is_served_on(demo_app, monkeypatch):
    monkeypatch.setenv("PORT", "5077")
    result = demo_app.test_cli_runner().invoke(args=["demo", "--responses", "30"])
    assert result.exit_code == 0, result.output
    assert "Survey link: http://127.0.0.1:5077/s/2026/MH-P01-1" in result.output


def test_demo_is_built_through_the_setup_services(demo_app, tmp_path):
    """Its tables export as set-up files that import back without a change."""
    runner = demo_app.test_cli_runner()
    assert runner.invoke(args=["demo", "--responses", "60"]).exit_code == 0
    for table, extra in (("units", []), ("fields", []), ("points", []), ("waves", []),
                         ("populations", ["--wave", "2025"])):
        out = tmp_path / f"{table}.csv"
        assert runner.invoke(args=[table, "export", *extra, "-o", str(out)]).exit_code == 0
        result = runner.invoke(args=[table, "import", *extra, str(out), "--lang", "en"])
        assert "Nothing changes" in result.output, result.output


def test_demo_history_has_trends_and_rank_changes(demo_app):
    """Quality differs per unit across the waves: the trend and rank changes show it."""
    from survey.demo import build_demo
    from survey.services.reports import wave_result

    build_demo(demo_app, responses=1500, seed=7)
    with demo_app.test_request_context():
        waves = {w.code: w for w in db.session.scalars(select(Wave))}
        first = wave_result(waves["2024"])
        last = wave_result(waves["2026"], wave_result(waves["2025"], first))
        overall = [r.indices[r.indices["kind"] == "overall"].set_index("unit_code") for r in (first, last)]
        change = overall[1]["value"] - overall[0]["value"]
        z = change / np.sqrt(overall[0]["se"] ** 2 + overall[1]["se"] ** 2)
        units = [c for c in change.index if c.startswith("MH-")]
        # Several units changed by more than their sampling error, some did not.
        assert 3 <= int((z[units].abs() > 1.96).sum()) < len(units)
        ranks = last.rankings[(last.rankings["kind"] == "overall") & (last.rankings["depth"] == 1)]
        assert (ranks["rank_change"].fillna(0) != 0).sum() >= 3
        assert ranks["previous_rank"].notna().all()


def test_demo_runs_again_replacing_only_demo_rows(demo_app):
    runner = demo_app.test_cli_runner()
    assert runner.invoke(args=["demo", "--responses", "200"]).exit_code == 0
    with demo_app.app_context():
        db.session.add(Unit(code="REAL", name="Tỉnh thật", kind="province"))
        db.session.commit()
        before = _counts()
    result = runner.invoke(args=["demo", "--responses", "150"])
    assert result.exit_code == 0, result.output
    with demo_app.app_context():
        after = _counts()
        assert after["Response"] == 3 * 150
        assert after["Unit"] == before["Unit"]
        assert db.session.scalar(select(Unit).where(Unit.code == "REAL")) is not None
    assert runner.invoke(args=["demo", "--reset", "--responses", "100"]).exit_code == 0
    with demo_app.app_context():
        assert db.session.scalar(select(Unit).where(Unit.code == "REAL")) is None
        assert _counts()["Response"] == 3 * 100


def test_demo_is_reproducible(demo_app):
    from survey.demo import build_demo

    build_demo(demo_app, responses=100, seed=11)
    with demo_app.app_context():
        first = db.session.scalars(select(Response.answers).order_by(Response.submitted_at, Response.submission_id)).all()
    build_demo(demo_app, responses=100, seed=11)
    with demo_app.app_context():
        assert db.session.scalars(select(Response.answers).order_by(Response.submitted_at, Response.submission_id)).all() == first
