"""The preview of a checked, not yet published questionnaire, exactly as citizens see it.

The pages are rendered by the citizens' own ``render_page`` and templates, in the chosen
language, with the answers checked by the same ``check_answers``; nothing is stored (the
last page shows a notice instead of sending). The methodologist's check page frames these
pages at phone and tablet widths, so they may be framed by this site only.
"""

from __future__ import annotations

from flask import abort, make_response, render_template, request, url_for
from flask_babel import force_locale, gettext as _
from questionnaires import check_answers

from ..admin import uploads
from ..headers import CONTENT_SECURITY_POLICY
from ..public.flow import (NAV_FIELD, STATE_FIELD, build_pages, elements_up_to, first_page,
                           form_answers, next_page, previous_page)
from ..public.pages import SurveyContext, render_page
from ..public.state import SurveyState, load_state
from ..services import questionnaire_publish as qp
from . import bp
from .access import methodology_required

PREVIEW = "preview"
LANGS = ("vi", "en")
FRAMEABLE_CSP = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


class _Stand:
    """The wave and service point of a preview: no database row behind them."""

    code = PREVIEW
    is_demo = False


def _questionnaire(token: str):
    kept = uploads.load(token)
    if kept is None or kept[1].get("table") != "questionnaire":
        abort(404)
    checked = qp.check_upload(kept[0], kept[1]["filename"])
    if not checked.ok:
        abort(404)
    return checked.questionnaire


def _frameable(response):
    response = make_response(response)
    response.headers["Content-Security-Policy"] = FRAMEABLE_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _render(q, lang, token, state, pages, page, **kwargs):
    ctx = SurveyContext(wave=_Stand(), point=_Stand(), questionnaire=q, lang=lang)
    action = url_for(".preview_page", token=token, lang=lang, number=page.number)
    with force_locale(lang):
        return _frameable(render_page(ctx, state, pages, page, action=action, **kwargs))


@bp.get("/xem-truoc/<token>/<lang>")
@methodology_required
def preview_start(token: str, lang: str):
    """The first page of the uploaded questionnaire in ``lang``."""
    if lang not in LANGS:
        abort(404)
    q = _questionnaire(token)
    state = SurveyState.start(PREVIEW, PREVIEW, "unknown")
    pages = build_pages(q, False)
    first = first_page(q, pages, state.answers)
    if first is None:
        abort(404)
    return _render(q, lang, token, state, pages, first, first_visit=True)


@bp.post("/xem-truoc/<token>/<lang>/p/<int:number>")
@methodology_required
def preview_page(token: str, lang: str, number: int):
    """Next, back or another language, as in the survey; the last page stores nothing."""
    if lang not in LANGS:
        abort(404)
    q = _questionnaire(token)
    state = load_state(request.form.get(STATE_FIELD), PREVIEW, PREVIEW)
    pages = build_pages(q, False)
    if not 1 <= number <= len(pages):
        abort(404)
    current = pages[number - 1]
    nav = request.form.get(NAV_FIELD, "next")
    if nav.startswith("lang_") and nav[5:] in LANGS:
        lang, nav = nav[5:], "stay"
    own = {question.id for question in current.element.questions}
    merged = {k: v for k, v in state.answers.items() if k not in own}
    merged.update(form_answers(current.element, request.form))
    partial = elements_up_to(pages, current) if nav == "next" else set()
    result = check_answers(q, merged, partial_elements=partial)
    errors = [e for e in result.errors if e.question_id in own]
    if nav != "next":
        state.answers = dict(result.values)
        target = current
        if nav == "back":
            target = previous_page(q, pages, current, state.answers) or current
        return _render(q, lang, token, state, pages, target)
    if errors:
        return _render(q, lang, token, state, pages, current, shown_answers=merged,
                       errors=errors, status=422)
    state.answers = dict(result.values)
    following = next_page(q, pages, current, state.answers)
    if following is not None:
        return _render(q, lang, token, state, pages, following)
    with force_locale(lang):
        page = render_template("methodology/preview_end.html", lang=lang,
                               title=q.text(q.title, lang),
                               again=url_for(".preview_start", token=token, lang=lang))
    return _frameable(page)
