"""The migrations build exactly the schema the models describe, on both backends."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from survey import create_app
from survey.extensions import db
from survey.migrate import alembic_config, current_revision, upgrade


def head_revision(app) -> str:
    """The newest revision of the migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(app)).get_current_head()


@pytest.fixture
def empty_app(fresh_database):
    """An app on a brand-new empty database (not the shared test database)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": fresh_database()})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_upgraded_empty_database_matches_the_models(empty_app):
    assert current_revision(empty_app) is None
    upgrade(empty_app)
    assert current_revision(empty_app) == head_revision(empty_app)
    with empty_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
        tables = set(inspect(connection).get_table_names())
    assert tables == set(db.metadata.tables) | {"alembic_version"}


def test_check_constraints_exist_in_the_migrated_database(empty_app):
    # compare_metadata does not look at CHECK constraints, so look ourselves.
    upgrade(empty_app)
    with empty_app.app_context(), db.engine.connect() as connection:
        inspector = inspect(connection)
        for table in db.metadata.sorted_tables:
            expected = {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
            found = {c["name"] for c in inspector.get_check_constraints(table.name)}
            assert expected <= found, table.name


def test_upgrade_is_idempotent_and_downgrade_empties(empty_app):
    upgrade(empty_app)
    upgrade(empty_app)
    assert current_revision(empty_app) == head_revision(empty_app)
    from alembic import command

    from survey.migrate import alembic_config

    with empty_app.app_context():
        command.downgrade(alembic_config(empty_app), "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_db_upgrade_command(fresh_database):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": fresh_database()})
    result = app.test_cli_runner().invoke(args=["db-upgrade"])
    assert result.exit_code == 0, result.output
    assert current_revision(app) == head_revision(app)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()


def test_comparison_would_see_a_difference(empty_app):
    # Guards the test above against passing vacuously.
    from sqlalchemy import Column, Integer, MetaData

    upgrade(empty_app)
    changed = MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["units"].append_column(Column("population", Integer))
    with empty_app.app_context(), db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), changed)
    assert [(d[0], d[3].name) for d in diff] == [("add_column", "population")]


def test_0002_coarsens_existing_times(empty_app):
    """Upgrade turns started_at into a bounded duration and submitted_at into its hour."""
    import datetime as dt

    from alembic import command
    from sqlalchemy import text

    from survey.migrate import alembic_config

    upgrade(empty_app, "0001")
    with empty_app.app_context(), db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO units (id, code, name, kind) VALUES (1, 'U', 'Xã', 'commune');"))
        connection.execute(text(
            "INSERT INTO service_points (id, code, name, unit_id, active) "
            "VALUES (1, 'U-1', 'Một cửa', 1, true)"))
        connection.execute(text(
            "INSERT INTO questionnaire_versions (id, qid, version, title, definition, "
            "content_hash, created_at) VALUES (1, 'q', '1', 'Q', '{}', 'h', :now)"),
            {"now": dt.datetime(2026, 1, 1)})
        connection.execute(text(
            "INSERT INTO waves (id, code, name, status, questionnaire_version_id, is_demo) "
            "VALUES (1, 'W', 'Đợt', 'open', 1, false)"))
        rows = [  # (started_at, submitted_at)
            (dt.datetime(2026, 5, 1, 8, 10, 5), dt.datetime(2026, 5, 1, 8, 14, 35, 123456)),
            (None, dt.datetime(2026, 5, 1, 9, 59, 59)),
            (dt.datetime(2026, 5, 1, 10, 0, 30), dt.datetime(2026, 5, 1, 10, 0, 10)),  # clock
            (dt.datetime(2026, 4, 1, 8, 0), dt.datetime(2026, 5, 1, 11, 0)),  # weeks open
        ]
        for i, (started, submitted) in enumerate(rows, start=1):
            connection.execute(text(
                "INSERT INTO responses (id, wave_id, unit_id, service_point_id, channel, mode, "
                "questionnaire_version_id, answers, started_at, submitted_at, submission_id, "
                "flags, is_demo) VALUES (:id, 1, 1, 1, 'in_person', 'web', 1, '{}', :started, "
                ":submitted, :sid, '[]', false)"),
                {"id": i, "started": started, "submitted": submitted, "sid": f"s{i}"})
    upgrade(empty_app)
    with empty_app.app_context(), db.engine.connect() as connection:
        got = connection.execute(text(
            "SELECT duration_seconds, submitted_at FROM responses ORDER BY id")).all()
    as_time = [(d, s if isinstance(s, dt.datetime) else dt.datetime.fromisoformat(s))
               for d, s in got]
    assert as_time == [(270, dt.datetime(2026, 5, 1, 8)), (None, dt.datetime(2026, 5, 1, 9)),
                       (0, dt.datetime(2026, 5, 1, 10)), (86400, dt.datetime(2026, 5, 1, 11))]
    with empty_app.app_context():
        command.downgrade(alembic_config(empty_app), "0001")
        with db.engine.connect() as connection:
            started = connection.execute(text(
                "SELECT started_at FROM responses ORDER BY id")).scalars().all()
        db.engine.dispose()
    started = [s if not isinstance(s, str) else dt.datetime.fromisoformat(s) for s in started]
    assert started == [dt.datetime(2026, 5, 1, 7, 55, 30), None, dt.datetime(2026, 5, 1, 10),
                       dt.datetime(2026, 4, 30, 11)]
