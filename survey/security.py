"""The one rule on text that reaches the app: no NUL, no control characters, valid Unicode.

Every route parameter, query argument and form value (names and values) is checked by a
request hook before any view runs, so no view has to remember it; the JSON API applies the
same :func:`is_clean_text` to the strings of its body that reach a query.  A request that
breaks the rule is refused with 400 and a message in the visitor's language — nothing of
it is read further or stored.  Line breaks and tabs are allowed (text answers have them).
"""

import re

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

# C0 controls except tab, LF and CR; DEL; lone UTF-16 surrogates (not Unicode scalar
# values: neither PostgreSQL nor SQLite's UTF-8 can store them).
_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

INVALID_TEXT_MESSAGE = _l("The address or the form contains characters that are not "
                          "allowed (for example a NUL byte or a control character). "
                          "Nothing was saved; please check the link or retype the text.")


def is_clean_text(text: str) -> bool:
    """Return True when ``text`` holds no NUL, control character or lone surrogate."""
    return _INVALID.search(text) is None


def _strings():
    yield from (v for v in (request.view_args or {}).values() if isinstance(v, str))
    for source in (request.args, request.form if _is_form() else None):
        if source:
            for key, values in source.lists():
                yield key
                yield from values


def _is_form() -> bool:
    return request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_invalid_text() -> None:
    """Refuse (400) a request whose parameters or form values break the text rule."""
    if not all(is_clean_text(text) for text in _strings()):
        raise BadRequest(INVALID_TEXT_MESSAGE)


def init_app(app) -> None:
    """Install the request hook on ``app``."""
    app.before_request(refuse_invalid_text)
