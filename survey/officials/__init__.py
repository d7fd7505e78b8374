"""The management blueprint (``/quan-ly/``): sign-in, the index of units, each unit's
dashboard, report and exports, the desk operators' service points and the
administrators' pages of users and of the audit log.

Every page needs an account (``auth``); ``access.roles_required`` says which roles may
open it and ``scope.unit_or_404`` which units a user may see.
"""

from flask import Blueprint

bp = Blueprint("officials", __name__, url_prefix="/quan-ly")

from . import admin_audit, admin_users, api_tokens, auth, codes, desk, formatting, jobs, kiosks, quality, views  # noqa: E402,F401  (routes and helpers attach to bp)
