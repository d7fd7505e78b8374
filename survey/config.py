"""Configuration defaults, read from the environment where deployment decides."""

import os

DEV_SECRET_KEY = "dev-not-secret"


def database_url(url: str) -> str:
    """Return ``url`` with a bare ``postgresql://`` scheme pointed at psycopg 3."""
    # Hosting platforms hand out postgres:// or postgresql:// URLs; SQLAlchemy would pick
    # psycopg2 for those, which is not installed.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def defaults(instance_path: str) -> dict:
    """Return the default configuration for an app whose instance folder is ``instance_path``."""
    sqlite_url = "sqlite:///" + os.path.join(instance_path, "sipas.sqlite3")
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL", sqlite_url)),
        # Answers are small; anything bigger is a mistake or an attack.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        # Relative to the package (Flask-Babel joins it with app.root_path).
        "BABEL_TRANSLATION_DIRECTORIES": os.path.join(os.pardir, "translations"),
        # Seconds a SQLite writer waits for the write lock (see survey/database.py).
        "SQLITE_BUSY_TIMEOUT": float(os.environ.get("SQLITE_BUSY_TIMEOUT", 15)),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        # The single password of the officials' pages until accounts exist; unset means
        # those pages are closed (503), never open.
        "OFFICIALS_PASSWORD": os.environ.get("OFFICIALS_PASSWORD"),
    }
