"""The page sequence of the web survey and the conversion of posted form values.

The questionnaire (``questionnaires.check_answers``) stays the authority on answers; this
module only decides which page comes next and turns browser strings into the JSON values
an API client would send, so both paths are validated identically.
"""

from dataclasses import dataclass

from ..services.responses import response_channel

FIELD_PAGE = "__field__"
UNKNOWN_FIELD = "unknown"

# Control fields every survey page may post besides the questions of its element. Question
# ids start with a letter, so the leading "_" keeps them apart from any question.
STATE_FIELD = "_state"
NAV_FIELD = "_nav"
CONTROL_FIELDS = frozenset({"csrf_token", STATE_FIELD, NAV_FIELD})

@dataclass(frozen=True)
class Page:
    """One page of the web survey: the service-field question or one element."""

    number: int                 # 1-based position in the full sequence (used in URLs)
    element: object | None      # questionnaires.Element; None for the service-field page

    @property
    def key(self) -> str:
        """Return the element id, or FIELD_PAGE for the service-field page."""
        return self.element.id if self.element is not None else FIELD_PAGE


def build_pages(questionnaire, with_field_page: bool) -> list[Page]:
    """Return every page in order, the service-field page first when it is asked."""
    elements = [None] if with_field_page else []
    elements += list(questionnaire.elements)
    return [Page(i, element) for i, element in enumerate(elements, start=1)]


def page_relevant(questionnaire, page: Page, answers) -> bool:
    """Return True when ``page`` is shown given ``answers`` (its element is relevant)."""
    if page.element is None:
        return True
    # Answers to questions that are no longer asked must not decide what is shown.
    _, clean = questionnaire.relevance(answers)
    return bool(questionnaire.element_relevant(page.element, clean))


def counted_pages(questionnaire, pages, answers) -> list[Page]:
    """Return the pages counted in the progress ("Part 2 of 7").

    A page whose condition rests on a question not answered yet still counts: the total
    should shrink as pages turn out to be skipped, never grow under the respondent.
    """
    counted = []
    for page in pages:
        undecided = page.element is not None and page.element.relevant is not None and any(
            ref not in answers for ref in page.element.relevant.references)
        if undecided or page_relevant(questionnaire, page, answers):
            counted.append(page)
    return counted


def first_page(questionnaire, pages, answers) -> Page | None:
    """Return the first relevant page, or None if no page is relevant."""
    return next((p for p in pages if page_relevant(questionnaire, p, answers)), None)


def next_page(questionnaire, pages, current: Page, answers) -> Page | None:
    """Return the first relevant page after ``current``, or None when it is the last."""
    for page in pages[current.number:]:
        if page_relevant(questionnaire, page, answers):
            return page
    return None


def previous_page(questionnaire, pages, current: Page, answers) -> Page | None:
    """Return the last relevant page before ``current``, or None on the first page."""
    for page in reversed(pages[:current.number - 1]):
        if page_relevant(questionnaire, page, answers):
            return page
    return None


def elements_up_to(pages, current: Page) -> set[str]:
    """Return the ids of the elements on ``current`` and every page before it."""
    return {p.element.id for p in pages[:current.number] if p.element is not None}


def coerce_form_value(question, values: list[str]):
    """Return the JSON-like value for a question from its posted strings, or None.

    How is declared by the question's type (``questionnaires.types``); a note's text is
    passed on so that ``check_answers`` reports ``not_answerable``.
    """
    return question.kind.from_form(question, values)


def form_answers(element, formdata) -> dict:
    """Return the answers posted for the questions of ``element`` (absent when empty)."""
    answers = {}
    for question in element.questions:
        if question.id not in formdata:
            continue
        value = coerce_form_value(question, formdata.getlist(question.id))
        if value is not None:
            answers[question.id] = value
    return answers


def unknown_fields(formdata, allowed) -> list[str]:
    """Return the posted names that are neither control fields nor in ``allowed``."""
    return sorted(name for name in formdata.keys()
                  if name not in CONTROL_FIELDS and name not in allowed)


def channel_of(answers) -> str:
    """Return Response.channel from the `channel` answer; in person when absent."""
    return response_channel(answers.get("channel"))
