"""The citizens' blueprint: survey links, the page-by-page form, the thank-you page."""

from flask import Blueprint

bp = Blueprint("public", __name__)


from . import codes, views  # noqa: E402,F401  (routes attach themselves to bp)
