"""Localized error responses: an HTML page for people, JSON for the ``/api`` clients.

Every message is produced with gettext in the visitor's language (the ``lang`` cookie for
pages, ``Accept-Language`` for the API, Vietnamese by default), so a citizen never reads
Werkzeug's English defaults.
"""

from flask import jsonify, render_template, request
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from .database import is_database_locked

API_PREFIX = "/api/"
API_LANGUAGES = ("vi", "en")

# Titles and default explanations per status; lazy because they are read per request.
PAGE_TEXTS = {
    400: (_l("The request could not be understood"),
          _l("The form sent to us was incomplete or not valid. Please start again.")),
    401: (_l("Please sign in"),
          _l("This page is for signed-in users only.")),
    403: (_l("Access denied"),
          _l("You do not have permission to see this page.")),
    404: (_l("Page not found"),
          _l("This address does not exist. Please check the link or the QR code.")),
    405: (_l("Action not allowed"),
          _l("This address cannot be used this way.")),
    409: (_l("Already received"),
          _l("This was already sent with different content.")),
    410: (_l("This survey has ended"),
          _l("The survey period is over and no more answers are accepted. Thank you for "
             "your interest.")),
    413: (_l("Too much data"),
          _l("The data sent is larger than 1 MB and was refused. Please shorten your "
             "answers.")),
    415: (_l("Unsupported data format"),
          _l("The data was sent in a format this address does not accept.")),
    422: (_l("Some answers need attention"),
          _l("Please correct the answers marked below.")),
    429: (_l("Too many answers sent"),
          _l("Too many answers were sent from here in a short time. This one was not "
             "saved: please try again later.")),
    500: (_l("Something went wrong"),
          _l("An unexpected error occurred on our side. Please try again in a few "
             "minutes.")),
    503: (_l("The service is busy"),
          _l("Too many people are answering at this moment. Your answers were not "
             "saved yet: please try again in a moment.")),
}

# AnswerError codes of ``questionnaires.check_answers`` that need no parameters.
ANSWER_MESSAGES = {
    "required": _l("Please answer this question."),
    "not_relevant": _l("This question does not apply given your other answers, so it "
                       "must be left unanswered."),
    "not_a_choice": _l("Please choose one of the options shown."),
    "not_an_integer": _l("Please enter a whole number."),
    "not_text": _l("Please answer in words."),
    "not_answerable": _l("This item is information only and takes no answer."),
}

# Machine-readable codes in API error bodies, stable whatever the language.
API_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "too_large",
             415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
             500: "server_error", 503: "busy"}


def is_api_request() -> bool:
    """Return True when the current request is addressed to the JSON API."""
    return request.path.startswith(API_PREFIX)


def api_locale() -> str:
    """Return the API's language from ``Accept-Language``; Vietnamese by default."""
    return request.accept_languages.best_match(API_LANGUAGES, default="vi")


def custom_description(error: HTTPException) -> str | None:
    """Return the description our code gave the error, or None for Werkzeug's default."""
    if isinstance(error, RateLimitExceeded):
        # Its description is the limit ("30 per 1 minute"), in English: say it our way.
        return None
    default = type(error).description
    if error.description and error.description != default:
        return str(error.description)
    return None


def error_response(error: HTTPException):
    """Render ``error`` as a localized HTML page or JSON body with its status code."""
    code = error.code or 500
    fallback = PAGE_TEXTS[400] if 400 <= code < 500 else PAGE_TEXTS[500]
    # Keep what the error says besides its body, e.g. "Allow" on a 405.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if is_api_request():
        with force_locale(api_locale()):
            title, text = PAGE_TEXTS.get(code, fallback)
            body = {"error": API_CODES.get(code, "error"),
                    "message": custom_description(error) or str(text)}
            return jsonify(body), code, headers
    title, text = PAGE_TEXTS.get(code, fallback)
    message = custom_description(error) or str(text)
    return render_template("errors/error.html", code=code, title=str(title),
                           message=message), code, headers


def handle_http_error(error: HTTPException):
    """Turn any HTTP error into the localized response."""
    return error_response(error)


def handle_csrf_error(error: CSRFError):
    """Refuse a form without a valid CSRF token, explaining it in the visitor's language."""
    error.description = _("The form has expired or was not sent from this site. "
                          "Please reload the page and try again.")
    return error_response(error)


def handle_database_locked(error: OperationalError):
    """Answer 503 with ``Retry-After`` when SQLite's write lock stayed taken too long."""
    if not is_database_locked(error):
        raise error
    return error_response(ServiceUnavailable(retry_after=5))


def answer_error_message(error, questionnaire, lang: str) -> str:
    """Return the sentence explaining an ``AnswerError`` in the current gettext language."""
    params = error.params or {}
    code = error.code
    if code == "constraint":
        custom = params.get("message")
        if custom:
            return questionnaire.text(custom, lang)
        return _("This answer is not consistent with your other answers.")
    if code == "unknown_question":
        return _("There is no question “%(id)s” in this questionnaire.",
                 id=error.question_id)
    if code == "out_of_range":
        return _("Please enter a whole number from %(min)s to %(max)s.",
                 min=params.get("min"), max=params.get("max"))
    if code == "too_long":
        return _("Please shorten your answer to at most %(n)s characters.",
                 n=params.get("max_length"))
    if code == "too_few_choices":
        return _("Please choose at least %(n)s options.", n=params.get("min"))
    if code == "too_many_choices":
        return _("Please choose at most %(n)s options.", n=params.get("max"))
    simple = ANSWER_MESSAGES.get(code)
    return str(simple) if simple else _("This answer is not valid.")


def init_app(app):
    """Register the handlers on ``app`` (idempotent: later registrations overwrite)."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    # Every HTTP error (Flask passes routing redirects through untouched); an unhandled
    # exception reaches the InternalServerError handler after Flask has logged it.
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_http_error)
    app.register_error_handler(OperationalError, handle_database_locked)
