"""Schema migrations with Alembic, configured from the app rather than from a file."""

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(app: Flask) -> Config:
    """Return an Alembic configuration for ``app``'s database (the URL comes from the app)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # Kept for offline (SQL script) mode; online runs use the app's own engine.
    cfg.set_main_option("sqlalchemy.url", app.config["SQLALCHEMY_DATABASE_URI"].replace("%", "%%"))
    return cfg


def ensure_sqlite_directory(app: Flask) -> None:
    """Create the folder of a SQLite database file, which SQLite will not do itself."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        os.makedirs(os.path.dirname(os.path.abspath(url.database)), exist_ok=True)


def upgrade(app: Flask, revision: str = "head") -> None:
    """Bring ``app``'s database to ``revision`` (creating the schema in an empty database)."""
    ensure_sqlite_directory(app)
    with app.app_context():
        command.upgrade(alembic_config(app), revision)


def current_revision(app: Flask) -> str | None:
    """Return the revision the database is at, or None for a database never migrated."""
    from alembic.runtime.migration import MigrationContext

    from .extensions import db

    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
