"""The migrations build exactly the schema the models describe, on both backends."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from survey import create_app
from survey.extensions import db
from survey.migrate import current_revision, upgrade


def head_revision() -> str:
    """The newest revision of the migration scripts."""
    from alembic.script import ScriptDirectory

    from survey.migrate import alembic_config

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
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
    assert current_revision(empty_app) == head_revision()
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
    assert current_revision(empty_app) == head_revision()
    from alembic import command

    from survey.migrate import alembic_config

    with empty_app.app_context():
        command.downgrade(alembic_config(empty_app), "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_db_upgrade_command(fresh_database):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": fresh_database()})
    result = app.test_cli_runner().invoke(args=["db-upgrade"])
    assert result.exit_code == 0, result.output
    assert current_revision(app) == head_revision()
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
