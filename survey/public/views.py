"""The citizen's web survey: open a link, answer one element per page, submit once.

Views stay thin: the page sequence lives in ``flow``, the signed progress in ``state``,
the forms in ``forms``, the rendering of a page in ``pages``, answer checking in
``questionnaires.check_answers`` and storing in ``survey.services.responses``.
"""

from importlib.resources import files

from flask import (abort, current_app, g, make_response, redirect, render_template,
                   request, send_from_directory, url_for)
from flask_babel import force_locale, gettext as _
from questionnaires import check_answers
from werkzeug.exceptions import BadRequest

from ..extensions import csrf
from ..i18n import LANGUAGES, current_lang
from ..ratelimits import limit_web_submission
from ..redirects import safe_next
from ..services.links import SurveyLinkError
from ..models import answering_duration, utcnow
from ..services.invitations import InvitationError
from ..services.quality import answer_flags
from ..services.responses import is_stored, store_response
from . import bp
from .codes import invitation_of, refused_page
from .flow import (FIELD_PAGE, NAV_FIELD, STATE_FIELD, UNKNOWN_FIELD, build_pages,
                   channel_of, elements_up_to, first_page, form_answers, next_page,
                   previous_page, unknown_fields)
from .pages import (SurveyContext, open_survey, render_page,
                    service_field_by_code, service_fields)
from .state import SurveyState, load_state

LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
# The browser evaluator ships with the expression language it mirrors, not with the app.
QUESTIONNAIRES_STATIC = str(files("questionnaires") / "static")


@bp.get("/s/<wave_code>/<point_code>")
def start(wave_code: str, point_code: str):
    """Open a survey link: a fresh submission id, then the first page."""
    ctx = open_survey(wave_code, point_code)
    field_code = request.args.get("field")
    if field_code is not None and service_field_by_code(field_code) is None:
        # A mistyped field in a printed QR code must not lock citizens out: ask instead.
        field_code = None
    if field_code is None and not service_fields():
        field_code = UNKNOWN_FIELD
    state = SurveyState.start(wave_code, point_code, field_code)
    pages = build_pages(ctx.questionnaire, state.field_page)
    first = first_page(ctx.questionnaire, pages, state.answers)
    if first is None:
        abort(404)
    return render_page(ctx, state, pages, first, first_visit=True)


@bp.route("/s/<wave_code>/<point_code>/p/<int:number>", methods=["GET", "POST"])
def page(wave_code: str, point_code: str, number: int):
    """Take one page's answers, then show the next (or previous) page or submit."""
    if request.method == "GET":
        # The progress lives in the posted form; a bare GET (bookmark) starts over.
        return redirect(url_for(".start", wave_code=wave_code, point_code=point_code))
    _ensure_csrf()
    ctx = open_survey(wave_code, point_code)
    state = load_state(request.form.get(STATE_FIELD), wave_code, point_code)
    pages = build_pages(ctx.questionnaire, state.field_page)
    if not 1 <= number <= len(pages):
        raise BadRequest(_("This page does not exist in the survey."))
    current = pages[number - 1]
    state.count_page(current.key)
    nav = request.form.get(NAV_FIELD, "next")
    switch_to = nav[len("lang_"):] if nav.startswith("lang_") else None
    if nav not in ("next", "back") and switch_to not in LANGUAGES:
        raise BadRequest(_("Unknown button."))
    take = _take_field_page if current.key == FIELD_PAGE else _take_element_page
    if switch_to is None:
        return take(ctx, state, pages, current, nav)
    # The language buttons re-send the page: answers are kept, and it is shown again in
    # the chosen language.
    ctx.lang = switch_to
    with force_locale(switch_to):
        response = make_response(take(ctx, state, pages, current, "stay"))
    _set_lang_cookie(response, switch_to)
    return response


def _ensure_csrf():
    # CSRFProtect checks every POST before the view; this covers an app that forgot to
    # install it, because the survey must never accept a cross-site post.
    if current_app.config.get("WTF_CSRF_ENABLED", True) and not g.get("csrf_valid"):
        csrf.protect()


def _take_field_page(ctx: SurveyContext, state: SurveyState, pages, current, nav):
    unknown = unknown_fields(request.form, {"field"})
    if unknown:
        _refuse_unknown(unknown)
    code = request.form.get("field", "").strip()
    if nav in ("back", "stay"):
        # Nothing comes before this page; show it again with the choice kept.
        return render_page(ctx, state, pages, current, field_value=code)
    valid = code == UNKNOWN_FIELD or service_field_by_code(code) is not None
    if not valid:
        error = "required" if not code else "not_a_choice"
        return render_page(ctx, state, pages, current, field_value=code,
                           field_error=error, status=422)
    state.field = code
    return _advance(ctx, state, pages, current)


def _take_element_page(ctx: SurveyContext, state: SurveyState, pages, current, nav):
    q = ctx.questionnaire
    element = current.element
    own_ids = {question.id for question in element.questions}
    answerable = {question.id for question in element.questions if question.kind.answerable}
    unknown = unknown_fields(request.form, answerable)
    if unknown:
        _refuse_unknown(unknown)
    posted = form_answers(element, request.form)
    merged = {k: v for k, v in state.answers.items() if k not in own_ids}
    merged.update(posted)
    partial = elements_up_to(pages, current) if nav == "next" else set()
    result = check_answers(q, merged, partial_elements=partial)
    # Only this page's problems are shown; later pages are checked when they are reached,
    # and answers made irrelevant by a change here are simply dropped (not in .values).
    errors = [e for e in result.errors if e.question_id in own_ids]
    if nav in ("back", "stay"):
        # Leaving a page without "Next" keeps what is valid and checks nothing else.
        state.answers = dict(result.values)
        target = current
        if nav == "back":
            target = previous_page(q, pages, current, state.answers) or current
        return render_page(ctx, state, pages, target)
    if errors:
        return render_page(ctx, state, pages, current, shown_answers=merged,
                           errors=errors, status=422)
    state.answers = dict(result.values)
    return _advance(ctx, state, pages, current)


def _advance(ctx: SurveyContext, state: SurveyState, pages, current):
    following = next_page(ctx.questionnaire, pages, current, state.answers)
    if following is not None:
        return render_page(ctx, state, pages, following)
    return _submit(ctx, state, pages)


def _submit(ctx: SurveyContext, state: SurveyState, pages):
    """Check everything once more, store exactly once, then redirect to the thanks."""
    q = ctx.questionnaire
    # Answers kept from pages that a later change made irrelevant are dropped, not refused:
    # the respondent did nothing wrong.
    answers = q.relevance(state.answers)[1]
    result = check_answers(q, answers)
    if not result.ok:
        # Possible only when an earlier page's answer changed what a later one needs:
        # show the first page with a problem instead of storing an incomplete form.
        wrong = {e.question_id for e in result.errors}
        target = next((p for p in pages if p.element is not None
                       and wrong & {qq.id for qq in p.element.questions}), pages[-1])
        own = {qq.id for qq in target.element.questions}
        return render_page(ctx, state, pages, target, shown_answers=answers,
                           errors=[e for e in result.errors if e.question_id in own],
                           status=422)
    field = None if state.field in (None, UNKNOWN_FIELD) else service_field_by_code(state.field)
    limit_web_submission(ctx.point.code)
    started = state.started_datetime()
    try:
        invitation = invitation_of(state, ctx)
        store_response(wave=ctx.wave, service_point=ctx.point, answers=dict(result.values),
                       submission_id=state.submission_id,
                       started_at=started, service_field=field,
                       channel=channel_of(result.values),
                       mode="code" if invitation is not None else "web",
                       is_demo=ctx.wave.is_demo, invitation=invitation,
                       paradata={"pages": state.pages},
                       flags=answer_flags(q, result.values, answering_duration(started, utcnow())))
    except SurveyLinkError:
        # The wave closed between opening the page and sending it.
        abort(410, _("The survey period has ended. Thank you for your interest."))
    except InvitationError as error:
        # A second click on "Send" used the code with the same answers: that is a success.
        if not is_stored(state.submission_id):
            return refused_page(error.reason)
    return redirect(url_for(".thanks", wave_code=ctx.wave.code, point_code=ctx.point.code),
                    code=303)


def _refuse_unknown(names):
    shown = ", ".join(sorted(names)[:5])
    raise BadRequest(_("The form contained fields that are not questions of this page "
                       "(%(names)s). Nothing was saved.", names=shown))


@bp.get("/s/<wave_code>/<point_code>/cam-on")
def thanks(wave_code: str, point_code: str):
    """Thank the respondent; nothing identifying, no answers echoed."""
    ctx = open_survey(wave_code, point_code, allow_closed=True)
    return render_template("public/thanks.html", wave=ctx.wave, point=ctx.point,
                           demo=ctx.wave.is_demo,
                           title=ctx.questionnaire.text(ctx.questionnaire.title, ctx.lang),
                           is_open=ctx.is_open)


@bp.get("/lang/<code>")
def set_language(code: str):
    """Remember the chosen language in the ``lang`` cookie and go back."""
    if code not in LANGUAGES:
        abort(404)
    response = redirect(safe_next(request.args.get("next"), url_for(".home")))
    _set_lang_cookie(response, code)
    return response


def _set_lang_cookie(response, code: str) -> None:
    response.set_cookie("lang", code, max_age=LANG_COOKIE_MAX_AGE, samesite="Lax",
                        httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])


@bp.app_context_processor
def _template_helpers():
    return {"current_lang": current_lang}


@bp.get("/")
def home():
    """A short landing page: surveys are reached through their own links."""
    return render_template("public/home.html")


@bp.get("/static-q/expressions.js")
def expressions_js():
    """Serve the browser evaluator of the questionnaire expression language.

    Cached for a year only under its versioned URL (``survey.assets``)."""
    return send_from_directory(QUESTIONNAIRES_STATIC, "expressions.js",
                               mimetype="text/javascript")
