"""The Flask extensions, created unbound here and bound in ``create_app`` via ``init_app``."""

import sqlite3

from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Explicit constraint names: Alembic can only alter or drop what it can name, and SQLite
# batch migrations need the names to rebuild a table.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model, sharing one metadata with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_on_connect(dbapi_connection, connection_record):
    # SQLite ignores foreign keys unless asked per connection.  pysqlite's own implicit
    # transaction handling breaks SAVEPOINT (used for exactly-once inserts), so we switch it
    # off and emit BEGIN ourselves (the recipe from SQLAlchemy's SQLite dialect docs).
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()


def _sqlite_on_begin(connection):
    connection.exec_driver_sql("BEGIN")


class _SQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy with SQLite connections made to behave like a real database."""

    def _make_engine(self, bind_key, options, app):
        engine = super()._make_engine(bind_key, options, app)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_on_connect)
            event.listen(engine, "begin", _sqlite_on_begin)
        return engine


db = _SQLAlchemy(model_class=Base)
babel = Babel()
csrf = CSRFProtect()
