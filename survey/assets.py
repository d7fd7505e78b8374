"""Static URLs versioned by content: ``?v=<sha256 prefix>``, cached long only when versioned.

A ``url_defaults`` hook adds the version to every ``url_for('static', filename=...)`` and
to the expression evaluator (``public.expressions_js``), so a changed file gets a new URL
and phones fetch it instead of keeping last year's copy.  A request carrying the current
version is served with a one-year ``immutable`` cache; any other (no ``v``, or an old one)
must be revalidated (``no-cache``), so nothing stale is pinned.
"""

import hashlib
import os

from flask import current_app, request
from werkzeug.security import safe_join

VERSION_ARG = "v"
VERSION_LENGTH = 12
ONE_YEAR = 365 * 24 * 3600

# path -> (mtime_ns, size, version): a file is hashed again only when it changed.
_versions: dict[str, tuple[int, int, str]] = {}


def content_version(path: str) -> str | None:
    """Return the first hex digits of the SHA-256 of the file at ``path``, or None if absent."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    cached = _versions.get(path)
    if cached is not None and cached[:2] == (stat.st_mtime_ns, stat.st_size):
        return cached[2]
    with open(path, "rb") as fh:
        version = hashlib.sha256(fh.read()).hexdigest()[:VERSION_LENGTH]
    _versions[path] = (stat.st_mtime_ns, stat.st_size, version)
    return version


def asset_path(endpoint: str | None, values: dict) -> str | None:
    """Return the file behind a versioned endpoint's URL, or None for other endpoints."""
    if endpoint == "static" and values.get("filename"):
        return safe_join(current_app.static_folder, str(values["filename"]))
    if endpoint == "public.expressions_js":
        from .public.views import QUESTIONNAIRES_STATIC

        return os.path.join(QUESTIONNAIRES_STATIC, "expressions.js")
    return None


def add_version(endpoint: str, values: dict) -> None:
    """``url_defaults`` hook: give a static file's URL its content version."""
    if VERSION_ARG in values:
        return
    path = asset_path(endpoint, values)
    version = content_version(path) if path else None
    if version:
        values[VERSION_ARG] = version


def cache_versioned(response):
    """Cache a static file for a year when asked for by its current version, else revalidate."""
    if request.endpoint not in ("static", "public.expressions_js") or response.status_code != 200:
        return response
    path = asset_path(request.endpoint, dict(request.view_args or {}))
    asked = request.args.get(VERSION_ARG)
    if asked and path and asked == content_version(path):
        # send_file marks files "no-cache" (revalidate) unless given a max age.
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.max_age = None
        response.cache_control.no_cache = True
    return response


def init_app(app) -> None:
    """Install the URL hook and the caching hook on ``app``."""
    app.url_defaults(add_version)
    app.after_request(cache_versioned)
