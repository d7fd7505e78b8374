"""The kiosk blueprint (``/kiosk``): a tablet at a desk, enrolled with a one-time code,
showing its service point's questionnaire to one person after another."""

from flask import Blueprint

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")

from . import views  # noqa: E402,F401  (routes attach themselves to bp)
