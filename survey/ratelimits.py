"""Rate limits on submissions (Flask-Limiter): per client address and per service point.

The address is never a key: the limiter stores an HMAC of it made with the app's secret
key, so the counters (in memory, or in Redis in production) hold no IP address.  Limits
come from settings (``RATELIMIT_SUBMIT_PER_ADDRESS``, ``RATELIMIT_SUBMIT_PER_POINT``, in
the ``limits`` notation "30 per minute; 300 per hour") and are read per request.  A
refused request is a 429 with ``Retry-After`` and a localized message
(``survey.errors``), raised before anything is stored.  ``Retry-After`` is set here, on
the 429 only: Flask-Limiter's own headers (off) would put one on every answer, a 201 or
a 503 included.

The key prefix is ours (``RATELIMIT_SUBMIT_KEY_PREFIX``), put into the keys here, because
Flask-Limiter keeps the ``RATELIMIT_KEY_PREFIX`` of the first app its one ``Limiter``
object was bound to.

Counting is done by :func:`_count`: the same storage keys, the same order (shortest window
first), the same "stop at the first limit breached" and the same 429 as Flask-Limiter's
``shared_limit``, but as a direct ``hit`` on the limiter's strategy and storage.  Entering
``shared_limit`` as a context manager costs about a millisecond of Flask-Limiter
bookkeeping per use (a stack extraction that reads source files, limit resolution,
exemption scopes), paid three times by every API submission.  Anything unusual — the
limiter switched off, the storage found dead (Redis down: the in-memory fallback and its
recovery checks) or failing now — goes through ``shared_limit`` itself.
"""

import hashlib
import hmac
import time

from flask import current_app, request
from flask_limiter import RateLimitExceeded, RequestLimit
from flask_limiter._limits import RuntimeLimit
from limits import parse_many

from .errors import error_response
from .extensions import limiter

ADDRESS_SCOPE = "submit-address"
POINT_SCOPE = "submit-point"
# Per credential (survey.api): a device's token, a one-time code; and looking codes up by
# address (guessing codes is what this limit stops).
CREDENTIAL_SETTINGS = {"device": "RATELIMIT_SUBMIT_PER_DEVICE",
                       "code": "RATELIMIT_SUBMIT_PER_CODE",
                       "code-lookup": "RATELIMIT_CODE_LOOKUP_PER_ADDRESS",
                       "token": "RATELIMIT_API_PER_TOKEN"}


def _prefixed(digest: str) -> str:
    return f"{current_app.config['RATELIMIT_SUBMIT_KEY_PREFIX']}:{digest}"


def address_key() -> str:
    """Return the limiter key of the client: an HMAC of its address, never the address."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    address = (request.remote_addr or "-").encode()
    return _prefixed(hmac.new(secret, b"address:" + address, hashlib.sha256).hexdigest()[:32])


# Parsed limit strings ("30 per minute; 300 per hour"), shortest window first.
_parsed: dict[str, tuple] = {}


def _items(value: str) -> tuple:
    items = _parsed.get(value)
    if items is None:
        # Sorted as Flask-Limiter sorts the limits of a request (stable, by window).
        items = _parsed[value] = tuple(sorted(parse_many(value))) if value else ()
    return items


def _count(setting: str, scope: str, key: str) -> None:
    """Count one request of ``key`` in ``scope`` against the limits of ``setting``; 429 past one.

    What ``with limiter.shared_limit(<setting>, scope=scope, key_func=lambda: key)`` does
    (see the module docstring), without its per-call bookkeeping.
    """
    def slow_path():
        with limiter.shared_limit(lambda: current_app.config[setting], scope=scope,
                                  key_func=lambda: key):
            pass

    # Flask-Limiter's own state: whether it limits at all, and whether its storage was
    # found unreachable (then it counts in memory and checks for the storage's return).
    if not limiter.enabled or limiter._storage_dead:
        return slow_path()
    prefix = limiter._key_prefix
    args = [prefix, key, scope] if prefix else [key, scope]
    strategy = limiter.limiter
    try:
        for item in _items(current_app.config[setting]):
            if not strategy.hit(item, *args):
                _refuse(item, key, scope, args)
    except RateLimitExceeded:
        raise
    except Exception:   # the storage failed: Flask-Limiter falls back (or raises) its way
        return slow_path()
    return None


def _refuse(item, key: str, scope: str, args: list) -> None:
    """Raise the 429 Flask-Limiter raises for a breached shared limit ``item``."""
    limiter.logger.info("ratelimit %s (%s) exceeded at endpoint: %s", item, key, scope)
    breached = RequestLimit(limiter, item, args, True, True)
    # What limiter.current_limit answers (handle_rate_limited reads its reset time).
    limiter.context.view_rate_limit = breached
    limiter.context.view_rate_limits = [breached]
    raise RateLimitExceeded(RuntimeLimit(item, lambda: key, scope=scope, shared=True))


def limit_address() -> None:
    """Count one submission from the client's address; raise 429 past the address's limit.

    Shared by the API and the web survey: one budget per address, whichever way it sends.
    """
    _count("RATELIMIT_SUBMIT_PER_ADDRESS", ADDRESS_SCOPE, address_key())


def limit_point(point_code: str) -> None:
    """Count one submission at ``point_code``; raise 429 when the point's limit is reached."""
    key = _prefixed(hashlib.sha256(b"point:" + point_code.encode()).hexdigest()[:32])
    _count("RATELIMIT_SUBMIT_PER_POINT", POINT_SCOPE, key)


def limit_credential(kind: str, value: str) -> None:
    """Count one request of ``kind`` (``CREDENTIAL_SETTINGS``) for ``value``; 429 past its limit.

    ``value`` (a token, a code, an address) is never a key: an HMAC of it is.
    """
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]
    _count(CREDENTIAL_SETTINGS[kind], f"submit-{kind}", _prefixed(digest))


def limit_web_submission(point_code: str) -> None:
    """Count the web survey's final submission against the address and the point."""
    limit_address()
    limit_point(point_code)


def handle_rate_limited(error: RateLimitExceeded):
    """Answer 429 with ``Retry-After``: the seconds until the breached limit's window resets."""
    breached = limiter.current_limit
    # reset_at is already rounded up to the next whole second.
    wait = int(breached.reset_at - time.time()) if breached is not None else 60
    error.retry_after = max(1, wait)
    return error_response(error)


def has_request_wide_limits() -> bool:
    """Whether the limiter holds limits that only its per-request check applies: limits
    for the whole application, defaults for every route, meta limits, or limits on a
    blueprint (``RATELIMIT_APPLICATION``, ``RATELIMIT_DEFAULT``, ``RATELIMIT_META``, or
    ``limiter.limit(...)(blueprint)``)."""
    # Flask-Limiter's own attributes; one it no longer has counts as a limit (the hook stays).
    manager = limiter.limit_manager
    return any(getattr(owner, name, True) for owner, name in (
        (manager, "_application_limits"), (manager, "_default_limits"),
        (manager, "_blueprint_limits"), (limiter, "_meta_limits")))


def drop_idle_request_check(app) -> None:
    """Remove Flask-Limiter's ``before_request`` check from ``app`` when it has nothing to
    check.

    That hook resolves the limits of every request (endpoint, blueprint, exemptions,
    defaults): about a tenth of a submission's work, for nothing here, because every
    limit of this app is counted where it applies — the submission limits directly
    (``_count``), a route's ``@limiter.limit`` by the wrapper the decorator puts around
    the view (Flask-Limiter's own code, which checks the route's limits when the view is
    called, hook or not).  Limits that only the hook applies (``has_request_wide_limits``)
    keep it.  Call after every blueprint is registered.
    """
    if has_request_wide_limits():
        return
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if hook != limiter._check_request_limit]


def init_app(app) -> None:
    """Register the 429 handler on ``app``; drop the limiter's idle per-request check."""
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    drop_idle_request_check(app)
