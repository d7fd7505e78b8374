"""The demo command builds a marked, believable province with a wave and responses."""

import re

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


def test_demo_command_builds_the_province(demo_app):
    result = demo_app.test_cli_runner().invoke(args=["demo", "--responses", "400", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5000/s/2026/" in result.output
    link_point = re.search(r"/s/2026/(\S+)", result.output).group(1)
    with demo_app.app_context():
        counts = _counts()
        assert counts["Response"] == 400 and counts["Wave"] == 1
        assert counts["Unit"] >= 20 and counts["ServicePoint"] >= counts["Unit"]
        root = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)))
        assert "mẫu" in root.name and root.kind == "province"
        kinds = db.session.scalars(select(Unit.kind)).all()
        assert kinds.count("department") >= 8 and kinds.count("commune") + kinds.count("ward") >= 12
        wave = db.session.scalar(select(Wave))
        assert wave.is_demo and wave.status == "open" and wave.code == "2026"
        assert all(db.session.scalars(select(Response.is_demo)))
        # The printed link works and its point is in the wave's scope.
        assert find_survey("2026", link_point)[0].id == wave.id
        assert {m for m in db.session.scalars(select(Response.mode).distinct())} == {"web", "kiosk"}
        total = db.session.scalar(select(func.sum(Population.dossiers)))
        assert total > 400 * 10
        # Every (unit, field) cell with answers has a population to weight them by.
        cells = db.session.execute(select(Response.unit_id, Response.service_field_id).distinct()).all()
        populated = set(db.session.execute(select(Population.unit_id, Population.service_field_id)).all())
        assert set(cells) <= populated


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
        assert after["Response"] == 150
        assert after["Unit"] == before["Unit"]
        assert db.session.scalar(select(Unit).where(Unit.code == "REAL")) is not None
    assert runner.invoke(args=["demo", "--reset", "--responses", "100"]).exit_code == 0
    with demo_app.app_context():
        assert db.session.scalar(select(Unit).where(Unit.code == "REAL")) is None
        assert _counts()["Response"] == 100


def test_demo_is_reproducible(demo_app):
    from survey.demo import build_demo

    build_demo(demo_app, responses=100, seed=11)
    with demo_app.app_context():
        first = db.session.scalars(select(Response.answers).order_by(Response.submitted_at, Response.submission_id)).all()
    build_demo(demo_app, responses=100, seed=11)
    with demo_app.app_context():
        assert db.session.scalars(select(Response.answers).order_by(Response.submitted_at, Response.submission_id)).all() == first
