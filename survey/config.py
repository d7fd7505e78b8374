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
        # A pooled PostgreSQL connection idle this many seconds is pinged before use
        # (survey/database.py); one the server closed is replaced whatever its idle time.
        "DATABASE_PING_AFTER_IDLE": float(os.environ.get("DATABASE_PING_AFTER_IDLE", 30)),
        # The columnar cache of big waves (survey/services/wave_segments.py): responses per
        # segment (0 turns the cache off), and how many of a wave's newest responses stay
        # out of segments (a transaction may still commit an id among them).
        "WAVE_SEGMENT_ROWS": int(os.environ.get("WAVE_SEGMENT_ROWS", 50_000)),
        "WAVE_SEGMENT_MARGIN": int(os.environ.get("WAVE_SEGMENT_MARGIN", 1_000)),
        # The cached survey-link look-up (survey/services/lookup.py): how many links each
        # process keeps, and how often a page re-reads the setup version (a submission's
        # INSERT checks it every time).
        "SURVEY_LOOKUP_SIZE": int(os.environ.get("SURVEY_LOOKUP_SIZE", 4096)),
        "SURVEY_LOOKUP_RECHECK_SECONDS": float(os.environ.get("SURVEY_LOOKUP_RECHECK_SECONDS", 5)),
        # Kiosk credentials authenticated this hour, kept per process (the API's warm path
        # reads no device; a revocation is still refused at once: survey.api.views).
        "DEVICE_CACHE_SIZE": int(os.environ.get("DEVICE_CACHE_SIZE", 4096)),
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
        # The shared results cache (survey/services/results_cache.py): the database by
        # default, Redis when set (redis://127.0.0.1:6379/1); keys under the prefix.
        "RESULTS_CACHE_URL": os.environ.get("RESULTS_CACHE_URL") or None,
        "RESULTS_CACHE_PREFIX": os.environ.get("RESULTS_CACHE_PREFIX", "sipas:results"),
        # Seconds a server trusts a wave's data version: a new response shows within this.
        "RESULTS_CACHE_FRESHNESS": float(os.environ.get("RESULTS_CACHE_FRESHNESS", "60")),
        # Above this many responses a first view shows "being computed" instead of waiting.
        "RESULTS_CACHE_SYNC_LIMIT": int(os.environ.get("RESULTS_CACHE_SYNC_LIMIT", "200000")),
        # Settings besides SIPAS_OPTIONS that change the results (part of the cache key).
        "RESULTS_CACHE_KEY_SETTINGS": ("QUALITY_EXCLUDE",),
        # Off: survey/ratelimits.py sets Retry-After on the 429 alone.
        "RATELIMIT_HEADERS_ENABLED": False,
        # A Redis outage falls back to per-process counters instead of refusing citizens.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SUBMIT_PER_ADDRESS": os.environ.get(
            "RATELIMIT_SUBMIT_PER_ADDRESS", "30 per minute; 300 per hour"),
        # A busy desk takes a few answers an hour; a script takes thousands.
        "RATELIMIT_SUBMIT_PER_POINT": os.environ.get(
            "RATELIMIT_SUBMIT_PER_POINT", "60 per 10 minutes; 200 per hour; 1000 per day"),
        # A kiosk tablet sends one citizen's answers at a time (its offline queue a few
        # more); a code is used once, so a handful of tries is plenty; looking codes up is
        # limited per address so that nobody can try codes by the thousand.
        "RATELIMIT_SUBMIT_PER_DEVICE": os.environ.get(
            "RATELIMIT_SUBMIT_PER_DEVICE", "30 per minute; 300 per hour"),
        "RATELIMIT_SUBMIT_PER_CODE": os.environ.get("RATELIMIT_SUBMIT_PER_CODE", "5 per hour"),
        "RATELIMIT_CODE_LOOKUP_PER_ADDRESS": os.environ.get(
            "RATELIMIT_CODE_LOOKUP_PER_ADDRESS", "20 per minute; 100 per hour"),
        "RATELIMIT_API_PER_TOKEN": os.environ.get("RATELIMIT_API_PER_TOKEN", "60 per minute"),
        # A point's responses of one hour are flagged "burst" when there are more than
        # BURST_MIN_PER_HOUR of them and more than BURST_FACTOR x its median hourly count
        # of the previous BURST_HISTORY_DAYS days (survey/services/flags.py); the batch
        # applies the same settings per kiosk device, flag "burst_device" (quality.py).
        "BURST_MIN_PER_HOUR": int(os.environ.get("BURST_MIN_PER_HOUR", 30)),
        "BURST_FACTOR": float(os.environ.get("BURST_FACTOR", 5)),
        "BURST_HISTORY_DAYS": int(os.environ.get("BURST_HISTORY_DAYS", 7)),
        # Data-quality rules (survey/services/quality.py): "too_fast" under
        # QUALITY_FAST_SECONDS_PER_ANSWER seconds per answered question; "straightline"
        # for the same value on every scale question, with at least
        # QUALITY_STRAIGHTLINE_MIN scale answers; "near_duplicate" for two responses at one
        # point within QUALITY_DUPLICATE_HOURS that agree on at least
        # QUALITY_DUPLICATE_SHARE of at least QUALITY_DUPLICATE_MIN answers.
        "QUALITY_FAST_SECONDS_PER_ANSWER": float(
            os.environ.get("QUALITY_FAST_SECONDS_PER_ANSWER", 2)),
        "QUALITY_STRAIGHTLINE_MIN": int(os.environ.get("QUALITY_STRAIGHTLINE_MIN", 8)),
        "QUALITY_DUPLICATE_HOURS": int(os.environ.get("QUALITY_DUPLICATE_HOURS", 1)),
        "QUALITY_DUPLICATE_SHARE": float(os.environ.get("QUALITY_DUPLICATE_SHARE", 0.95)),
        "QUALITY_DUPLICATE_MIN": int(os.environ.get("QUALITY_DUPLICATE_MIN", 10)),
        # Which flagged responses the analysis leaves out: "confirmed" (those a
        # methodologist confirmed; the default), "flagged" (every flag not cleared) or
        # "none". Reports and dashboards say how many were left out and for which flags.
        "QUALITY_EXCLUDE": os.environ.get("QUALITY_EXCLUDE", "confirmed"),
        # How many reverse proxies add X-Forwarded-For in front of the app (0: none).
        "PROXY_FIX_X_FOR": int(os.environ.get("PROXY_FIX_X_FOR") or 0),
        # Background jobs (survey/jobs): empty runs them in threads of each web process
        # (no server needed); redis://127.0.0.1:6379/0 sends them to `flask worker`s.
        "JOBS_BROKER_URL": os.environ.get("JOBS_BROKER_URL", ""),
        # Prefix of the queue's Redis keys (a shared Redis may serve other apps).
        "JOBS_NAMESPACE": os.environ.get("JOBS_NAMESPACE", "sipas-jobs"),
        # Where finished files are kept: shared by every worker and web server.
        "JOBS_DIR": os.environ.get("JOBS_DIR", os.path.join(instance_path, "jobs")),
        # Milliseconds without a heartbeat after which a worker counts as dead and its
        # messages go back on the queue; and the chance (per million fetches) of looking.
        "JOBS_HEARTBEAT_TIMEOUT": int(os.environ.get("JOBS_HEARTBEAT_TIMEOUT", 60_000)),
        "JOBS_MAINTENANCE_CHANCE": int(os.environ.get("JOBS_MAINTENANCE_CHANCE", 1000)),
        # Worker threads of the embedded queue (PDF layout holds the GIL: 1 is enough).
        "JOBS_EMBEDDED_THREADS": int(os.environ.get("JOBS_EMBEDDED_THREADS", 1)),
        # The address printed in links made outside a request (password-reset links).
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
    }
