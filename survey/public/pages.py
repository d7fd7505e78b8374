"""Looking up a survey link and rendering one survey page (form, progress, errors)."""

from dataclasses import dataclass

from flask import abort, render_template, url_for
from flask_babel import gettext as _
from questionnaires import AnswerError
from sqlalchemy import select

from ..errors import answer_error_message
from ..i18n import current_lang
from ..extensions import db
from ..models import ServiceField
from ..services.lookup import PointInfo, WaveInfo, resolve, service_field as lookup_service_field
from ..services.questionnaire_versions import compiled_version
from .flow import FIELD_PAGE, counted_pages, next_page, previous_page
from .forms import element_form, field_form, field_key
from .state import dump_state


@dataclass
class SurveyContext:
    """The wave, service point and questionnaire behind one survey link.

    ``wave`` and ``point`` are the snapshots of the cached look-up
    (``survey.services.lookup``): a page costs no query to find them.
    """

    wave: WaveInfo
    point: PointInfo
    questionnaire: object
    lang: str
    is_open: bool = True


def open_survey(wave_code: str, point_code: str, *, allow_closed: bool = False):
    """Return the SurveyContext of a link; 404 when unknown, 410 when the wave is over."""
    link = resolve(wave_code, point_code)
    reason = link.refusal()
    if reason not in (None, "closed"):
        abort(404, _("This survey link does not exist. Please check the address or "
                     "scan the QR code again."))
    if reason == "closed" and not allow_closed:
        abort(410, _("The survey period has ended. Thank you for your interest."))
    wave = link.wave
    return SurveyContext(wave=wave, point=link.point,
                         questionnaire=compiled_version(wave.questionnaire_version_id,
                                                        wave.content_hash),
                         lang=current_lang(), is_open=reason is None)


def service_fields() -> list[ServiceField]:
    """Return every service field, ordered by code for a stable list."""
    return list(db.session.scalars(select(ServiceField).order_by(ServiceField.code)))


def service_field_by_code(code: str | None):
    """Return the service field with this code (a cached snapshot), or None."""
    return lookup_service_field(code)


def _question_views(q, element, form, lang, relevant_ids, errors_by_question):
    """Return what the template needs to show each question of an element."""
    views = []
    for question in element.questions:
        choice_explains = {str(c.value): q.text(c.explain, lang)
                           for c in question.choices if c.explain}
        kind = question.kind
        views.append({
            "question": question,
            "kind": kind,
            # The web layer maps the registry's template name to its partial.
            "template": f"public/types/{kind.template}.html",
            "numbered": {o.value for o in kind.options(question) if o.numbered},
            "field": form[field_key(question.id)] if field_key(question.id) in form else None,
            "label": q.text(question.label, lang),
            "hint": q.text(question.hint, lang),
            "explain": q.text(question.explain, lang),
            "choice_explains": choice_explains,
            "relevant": question.id in relevant_ids,
            "required": question.required is True,
            "errors": errors_by_question.get(question.id, []),
        })
    return views


def _client_data(q, element, answers):
    """Return the JSON the browser needs to re-evaluate relevance as answers change."""
    own = {question.id for question in element.questions}
    # A list, not a dict: the browser must evaluate in definition order, and tojson sorts keys.
    return {
        "answers": {k: v for k, v in answers.items() if k not in own},
        "questions": [{
            "id": question.id,
            "relevant": question.relevant.tree if question.relevant is not None else None,
            "values": [c.value for c in question.choices],
        } for question in element.questions],
    }


def render_page(ctx: SurveyContext, state, pages, page, *, shown_answers=None, errors=(),
                field_value=None, field_error=None, status=200, first_visit=False, action=None):
    """Render ``page`` of the survey with the signed ``state`` and any errors.

    ``action`` replaces the address the page posts to (the methodologists' preview).
    """
    q, lang = ctx.questionnaire, ctx.lang
    state.mark_shown()
    token = dump_state(state)
    answers = state.answers if shown_answers is None else shown_answers
    relevant_ids = set(q.relevant_questions(answers))
    shown = counted_pages(q, pages, answers)
    position = shown.index(page) + 1 if page in shown else page.number
    previous = previous_page(q, pages, page, answers)
    is_last = next_page(q, pages, page, answers) is None

    errors_by_question: dict[str, list[str]] = {}
    for error in errors:
        errors_by_question.setdefault(error.question_id, []).append(
            answer_error_message(error, q, lang))
    summary = []
    if page.key == FIELD_PAGE:
        form = field_form(service_fields(), lang, field_value or state.field, token)
        if field_error:
            # The service-field question reuses the wording of the questionnaire's errors.
            message = answer_error_message(AnswerError("field", field_error), q, lang)
            errors_by_question["field"] = [message]
            summary.append(("field", form.field.label.text, message))
        questions, client = [], None
    else:
        # An answer refused as not relevant is dropped so that it is not posted again.
        values = {k: v for k, v in answers.items()
                  if not any(e.code == "not_relevant" and e.question_id == k for e in errors)}
        form = element_form(page.element, lambda d: q.text(d, lang), values, token)
        questions = _question_views(q, page.element, form, lang, relevant_ids,
                                    errors_by_question)
        for view in questions:
            for message in view["errors"]:
                summary.append((f"q-{view['question'].id}", view["label"], message))
        client = _client_data(q, page.element, answers)

    return render_template(
        "public/page.html", ctx=ctx, q=q, demo=ctx.wave.is_demo, lang=lang, page=page,
        form=form, questions=questions, summary=summary,
        field_errors=errors_by_question.get("field", []),
        position=position, total=len(shown), has_previous=previous is not None,
        is_last=is_last, first_visit=first_visit, client=client,
        title=q.text(q.title, lang), description=q.text(q.description, lang),
        element_title=q.text(page.element.title, lang) if page.element else "",
        element_intro=q.text(page.element.intro, lang) if page.element else "",
        action=action or url_for(".page", wave_code=ctx.wave.code, point_code=ctx.point.code,
                                 number=page.number),
    ), status

