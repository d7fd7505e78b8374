"""The questionnaire layer's problems in the user's language.

``questionnaires/`` knows no Flask: its problems are :class:`questionnaires.messages.Text`
objects (English as a string, plus the template and parameters). Here each is translated
with Flask-Babel in the current locale (the page's, or the one a command forces); outside
an application context gettext leaves the English as it is.
"""

from __future__ import annotations

from flask_babel import gettext

from questionnaires import Problem
from questionnaires.messages import Text


def _template(template: str) -> str:
    # No parameters here: Text.translate fills them in after translating nested texts.
    return gettext(template)


def localize(problem: object) -> str:
    """One problem (a loader Problem, a Text or plain text) in the current language."""
    if isinstance(problem, (Problem, Text)):
        return problem.translate(_template)
    return str(problem)


def localize_all(problems) -> list[str]:
    """Every problem of ``problems`` in the current language."""
    return [localize(p) for p in problems]
