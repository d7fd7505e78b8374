"""Alembic environment: migrates the database of the Flask app (its URL, its metadata)."""

from alembic import context
from flask import has_app_context

from survey import models  # noqa: F401  (fills the metadata)
from survey.extensions import db

config = context.config


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=db.metadata,
        compare_type=True,
        # SQLite alters tables only by rebuilding them; batch mode does that for us.
        render_as_batch=kwargs.get("connection") is not None
        and kwargs["connection"].dialect.name == "sqlite",
        **kwargs,
    )


def run_offline() -> None:
    """Write the SQL to stdout instead of running it."""
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True,
               dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the app's engine (or on a connection handed in by a caller)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    with db.engine.connect() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


def main() -> None:
    """Run with the current app, or build one when called from the ``alembic`` command line."""
    if context.is_offline_mode():
        run_offline()
    elif has_app_context():
        run_online()
    else:
        from survey import create_app

        with create_app().app_context():
            run_online()


main()
