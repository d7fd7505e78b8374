"""The officials' blueprint: sign-in, the index of units and the dashboard of each unit.

Until accounts and roles exist, every page sits behind one password from the
configuration (``OFFICIALS_PASSWORD``); see ``auth``.  What an official may see is decided
by ``scope.units_in_scope``, the seam where roles will plug in.
"""

from flask import Blueprint

bp = Blueprint("officials", __name__, url_prefix="/quan-ly")

from . import auth, formatting, views  # noqa: E402,F401  (routes and helpers attach to bp)
