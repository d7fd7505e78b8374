"""The administrators' pages: setting up a province (units, fields, points, waves and their
populations) by uploading the same CSV/XLSX files the commands read.

Every page is behind ``access.admin_required``.  Views are thin: the work is done by
``survey.services.setup_*``, exactly as for the ``flask --app wsgi units import ...`` commands.
"""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/quan-ly/quan-tri/thiet-lap")

from . import views  # noqa: E402,F401  (routes attach to bp)
