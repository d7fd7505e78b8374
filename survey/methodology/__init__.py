"""The methodologists' pages (``/quan-ly/bang-hoi``): upload a questionnaire (YAML or
XLSForm), see its problems or a preview as citizens see it and the changes against the
version it replaces, publish it; download a version; choose the version of a draft wave.

Views are thin: the work is done by ``survey.services.questionnaire_publish``, exactly as
for the ``flask --app wsgi questionnaire check|publish|export`` commands.
"""

from flask import Blueprint

bp = Blueprint("methodology", __name__, url_prefix="/quan-ly/bang-hoi")

from . import preview, views  # noqa: E402,F401  (routes attach to bp)
