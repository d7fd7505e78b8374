"""Locale selection: Vietnamese unless the visitor chose English (cookie ``lang``)."""

from flask import has_request_context, request
from flask_babel import get_locale

LANGUAGES = ("vi", "en")
DEFAULT_LOCALE = "vi"


def select_locale() -> str:
    """Return the locale from the ``lang`` cookie when it is supported, else Vietnamese."""
    # Outside a request (CLI, PDF rendering in a worker) there is no visitor to ask.
    if not has_request_context():
        return DEFAULT_LOCALE
    lang = request.cookies.get("lang")
    return lang if lang in LANGUAGES else DEFAULT_LOCALE


def current_lang() -> str:
    """Return the language of the current page ("vi" or "en")."""
    locale = get_locale()
    if locale is not None and locale.language in LANGUAGES:
        return locale.language
    return DEFAULT_LOCALE
