"""Configuration defaults, read from the environment where deployment decides."""

import os

DEV_SECRET_KEY = "dev-not-secret"

SECRET_KEY_HELP = (
    "SECRET_KEY is not set: the app refuses to start with the published development key, "
    "because anyone could then forge sessions and survey progress. Set a long random value "
    "in the environment (export SECRET_KEY=$(python3 -c 'import secrets; "
    "print(secrets.token_hex(32))')) or as SECRET_KEY in instance/config.py. Debug and "
    "testing runs may go without one."
)


def database_url(url: str) -> str:
    """Return ``url`` with a bare ``postgresql://`` scheme pointed at psycopg 3."""
    # Hosting platforms hand out postgres:// or postgresql:// URLs; SQLAlchemy would pick
    # psycopg2 for those, which is not installed.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def check_secret_key(app) -> None:
    """Raise ``RuntimeError`` when an app outside debug and testing has no real secret key."""
    if app.debug or app.testing:
        return
    key = app.config.get("SECRET_KEY")
    if not key or key == DEV_SECRET_KEY:
        raise RuntimeError(SECRET_KEY_HELP)


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
        # The cached survey-link look-up (survey/services/lookup.py): how many links each
        # process keeps, and how often a page re-reads the setup version (a submission's
        # INSERT checks it every time).
        "SURVEY_LOOKUP_SIZE": int(os.environ.get("SURVEY_LOOKUP_SIZE", 4096)),
        "SURVEY_LOOKUP_RECHECK_SECONDS": float(os.environ.get("SURVEY_LOOKUP_RECHECK_SECONDS", 5)),
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Behind HTTPS (production) cookies must never travel over plain HTTP.
        "PREFERRED_URL_SCHEME": os.environ.get("PREFERRED_URL_SCHEME", "http"),
        "SESSION_COOKIE_SECURE": _flag(os.environ.get("SESSION_COOKIE_SECURE"),
                                       os.environ.get("PREFERRED_URL_SCHEME") == "https"),
        "SESSION_COOKIE_HTTPONLY": True,
        # Rate limits of submissions (survey/ratelimits.py). memory:// counts per process;
        # production shares the counters through Redis: redis://127.0.0.1:6379/0.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Prefix of the submission counters' keys (a shared Redis may serve other apps).
        "RATELIMIT_SUBMIT_KEY_PREFIX": os.environ.get("RATELIMIT_SUBMIT_KEY_PREFIX", "sipas"),
        # Off: survey/ratelimits.py sets Retry-After on the 429 alone.
        "RATELIMIT_HEADERS_ENABLED": False,
        # A Redis outage falls back to per-process counters instead of refusing citizens.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SUBMIT_PER_ADDRESS": os.environ.get(
            "RATELIMIT_SUBMIT_PER_ADDRESS", "30 per minute; 300 per hour"),
        # A busy desk takes a few answers an hour; a script takes thousands.
        "RATELIMIT_SUBMIT_PER_POINT": os.environ.get(
            "RATELIMIT_SUBMIT_PER_POINT", "60 per 10 minutes; 200 per hour; 1000 per day"),
        # A point's responses of one hour are flagged "burst" when there are more than
        # BURST_MIN_PER_HOUR of them and more than BURST_FACTOR x its median hourly count
        # of the previous BURST_HISTORY_DAYS days (survey/services/bursts.py).
        "BURST_MIN_PER_HOUR": int(os.environ.get("BURST_MIN_PER_HOUR", 30)),
        "BURST_FACTOR": float(os.environ.get("BURST_FACTOR", 5)),
        "BURST_HISTORY_DAYS": int(os.environ.get("BURST_HISTORY_DAYS", 7)),
        # How many reverse proxies add X-Forwarded-For in front of the app (0: none).
        "PROXY_FIX_X_FOR": int(os.environ.get("PROXY_FIX_X_FOR") or 0),
        # The address printed in links made outside a request (password-reset links).
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
    }
