"""The JSON API (``/api/v1``): kiosks and other clients send queued answers here."""

from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Kiosks post JSON without a browser session; they cannot carry a CSRF token, and a
# cross-site form cannot send application/json without a CORS preflight we never allow.
csrf.exempt(bp)


from . import read, views  # noqa: E402,F401  (routes attach themselves to bp)
