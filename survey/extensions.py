"""The Flask extensions, created unbound here and bound in ``create_app`` via ``init_app``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from . import ratelimit_storage  # noqa: F401 (memory:// without a timer thread)
from .database import (DEFAULT_PING_AFTER_IDLE, DEFAULT_SQLITE_BUSY_TIMEOUT, prepare_options,
                       tune_postgresql_engine, tune_sqlite_engine)

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


class _SQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy with SQLite connections made to behave like a real database, and
    PostgreSQL connections checked on checkout when they may be dead."""

    def _make_engine(self, bind_key, options, app):
        is_sqlite = str(options.get("url", "")).startswith("sqlite")
        busy_timeout = float(app.config.get("SQLITE_BUSY_TIMEOUT", DEFAULT_SQLITE_BUSY_TIMEOUT))
        if is_sqlite:
            prepare_options(options, busy_timeout)
        engine = super()._make_engine(bind_key, options, app)
        if engine.dialect.name == "sqlite":
            tune_sqlite_engine(engine, busy_timeout)
        elif engine.dialect.name == "postgresql" and not options.get("pool_pre_ping"):
            tune_postgresql_engine(engine, float(app.config.get("DATABASE_PING_AFTER_IDLE",
                                                                DEFAULT_PING_AFTER_IDLE)))
        return engine


db = _SQLAlchemy(model_class=Base)
babel = Babel()
csrf = CSRFProtect()
# Storage, key prefix and switches come from the RATELIMIT_* settings (survey/config.py);
# which requests are limited, and by what key, is decided in survey/ratelimits.py.
limiter = Limiter(key_func=lambda: "-")
login_manager = LoginManager()
