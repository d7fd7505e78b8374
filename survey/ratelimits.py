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
"""

import hashlib
import hmac
import time

from flask import current_app, request
from flask_limiter import RateLimitExceeded

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


def _address_limits() -> str:
    return current_app.config["RATELIMIT_SUBMIT_PER_ADDRESS"]


def _point_limits() -> str:
    return current_app.config["RATELIMIT_SUBMIT_PER_POINT"]


def address_limit():
    """Return the per-address limit of submissions, as a decorator or context manager.

    Shared by the API and the web survey: one budget per address, whichever way it sends.
    """
    return limiter.shared_limit(_address_limits, scope=ADDRESS_SCOPE, key_func=address_key)


def limit_point(point_code: str) -> None:
    """Count one submission at ``point_code``; raise 429 when the point's limit is reached."""
    key = _prefixed(hashlib.sha256(b"point:" + point_code.encode()).hexdigest()[:32])
    with limiter.shared_limit(_point_limits, scope=POINT_SCOPE, key_func=lambda: key):
        pass


def limit_credential(kind: str, value: str) -> None:
    """Count one request of ``kind`` (``CREDENTIAL_SETTINGS``) for ``value``; 429 past its limit.

    ``value`` (a token, a code, an address) is never a key: an HMAC of it is.
    """
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]
    key = _prefixed(digest)
    setting = CREDENTIAL_SETTINGS[kind]
    with limiter.shared_limit(lambda: current_app.config[setting], scope=f"submit-{kind}",
                              key_func=lambda: key):
        pass


def limit_web_submission(point_code: str) -> None:
    """Count the web survey's final submission against the address and the point."""
    with address_limit():
        pass
    limit_point(point_code)


def handle_rate_limited(error: RateLimitExceeded):
    """Answer 429 with ``Retry-After``: the seconds until the breached limit's window resets."""
    breached = limiter.current_limit
    # reset_at is already rounded up to the next whole second.
    wait = int(breached.reset_at - time.time()) if breached is not None else 60
    error.retry_after = max(1, wait)
    return error_response(error)


def init_app(app) -> None:
    """Register the 429 handler on ``app``."""
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
