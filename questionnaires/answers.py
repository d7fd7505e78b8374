"""Checking answers against a questionnaire: the one authority used by every entry point.

Raw values may be form strings (``"4"``, ``"yes"``, ``"na"``) or JSON values; they are
coerced to the stored types (see docs/questionnaire-format.md). The order of work matters
and is the same everywhere:

1. every raw value is coerced on its own (type errors are found here);
2. relevance is decided in definition order on the coerced values, an answer to a
   question found not relevant being dropped before later conditions look at it
   (:meth:`Questionnaire.relevance`), so the outcome never depends on a refused answer;
3. constraints run on those clean values, in definition order;
4. ``required`` is checked last, only for relevant questions (and, with
   ``partial_elements``, only on those pages).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .expressions import truthy
from .model import SCALE_VALUES, Question, Questionnaire

_INTEGER_RE = re.compile(r"^[+-]?[0-9]{1,15}$")  # no "1e3", "1_000", non-ASCII digits
_YES, _NO = {"yes", "true"}, {"no", "false"}
_UNANSWERED = object()
# Control characters (NUL above all: PostgreSQL refuses it in JSON) are never stored;
# line breaks and tabs are kept, Windows line ends become "\n".
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A lone UTF-16 surrogate (JSON "\ud800" without its pair) is not Unicode and cannot be
# stored; it becomes U+FFFD, the replacement character, and the rest of the text is kept.
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True)
class AnswerError:
    """One problem with the answers, as a code the web layer translates."""

    question_id: str | None
    code: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerCheck:
    """The clean, typed answers that passed, and every problem found."""

    values: dict[str, object]
    errors: list[AnswerError]

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors

    def errors_for(self, question_id: str) -> list[AnswerError]:
        """The errors about one question."""
        return [e for e in self.errors if e.question_id == question_id]


def _shown(value: object) -> object:
    # Error params go back to the browser as JSON: keep plain scalars, describe the rest.
    return value if isinstance(value, (str, int, float, bool)) or value is None else repr(value)


def _integral(value: object) -> int | None:
    """The int in an int, an integral float or an integer string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and _INTEGER_RE.match(value.strip()):
        return int(value.strip())
    return None


def _is_unanswered(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, (list, tuple)) and not value)


def coerce_answer(q: Question, raw: object) -> tuple[object, list[AnswerError]]:
    """Coerce one raw value; return (typed value or the unanswered marker, errors)."""
    if _is_unanswered(raw):
        return _UNANSWERED, []
    if q.type == "note":
        return _UNANSWERED, [AnswerError(q.id, "not_answerable")]
    bad = [AnswerError(q.id, "not_a_choice", {"value": _shown(raw)})]
    if q.type == "scale":
        if isinstance(raw, str) and raw.strip().lower() == "na":
            return ("na", []) if q.na else (_UNANSWERED, bad)
        number = _integral(raw)
        return (number, []) if number in SCALE_VALUES else (_UNANSWERED, bad)
    if q.type == "integer":
        number = _integral(raw)
        if number is None:
            return _UNANSWERED, [AnswerError(q.id, "not_an_integer", {"value": _shown(raw)})]
        if not q.min <= number <= q.max:
            return _UNANSWERED, [AnswerError(q.id, "out_of_range", {"min": q.min, "max": q.max})]
        return number, []
    if q.type == "yesno":
        if isinstance(raw, bool):
            return raw, []
        word = raw.strip().lower() if isinstance(raw, str) else None
        return (word in _YES, []) if word in _YES | _NO else (_UNANSWERED, bad)
    if q.type == "single":
        choice = _find_choice(q, raw)
        return (choice.value, []) if choice else (_UNANSWERED, bad)
    if q.type == "multiple":
        return _coerce_multiple(q, raw)
    return _coerce_text(q, raw)


def _find_choice(q: Question, raw: object):
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        return None
    number = _integral(raw) if isinstance(raw, float) else None
    key = str(number if number is not None else raw).strip()
    return q.choice(key)


def _coerce_multiple(q: Question, raw: object) -> tuple[object, list[AnswerError]]:
    items = [raw] if isinstance(raw, (str, int, float, bool)) else raw
    if not isinstance(items, Iterable) or isinstance(items, Mapping):
        return _UNANSWERED, [AnswerError(q.id, "not_a_choice", {"value": _shown(raw)})]
    picked, errors = set(), []
    for item in items:
        if _is_unanswered(item):
            continue  # an empty checkbox field posted by a form
        choice = _find_choice(q, item)
        if choice is None:
            errors.append(AnswerError(q.id, "not_a_choice", {"value": _shown(item)}))
        else:
            picked.add(str(choice.value))
    if errors:
        return _UNANSWERED, errors
    # Stored in the order of the choice list, whatever order the browser sent.
    values = [c.value for c in q.choices if str(c.value) in picked]
    if not values:
        return _UNANSWERED, []
    if q.min_choices is not None and len(values) < q.min_choices:
        return _UNANSWERED, [AnswerError(q.id, "too_few_choices", {"min": q.min_choices})]
    if q.max_choices is not None and len(values) > q.max_choices:
        return _UNANSWERED, [AnswerError(q.id, "too_many_choices", {"max": q.max_choices})]
    return values, []


def _coerce_text(q: Question, raw: object) -> tuple[object, list[AnswerError]]:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        return _UNANSWERED, [AnswerError(q.id, "not_text", {"value": _shown(raw)})]
    text = _CONTROL_RE.sub("", str(raw).replace("\r\n", "\n").replace("\r", "\n"))
    text = _SURROGATE_RE.sub("\ufffd", text).strip()
    if not text:
        return _UNANSWERED, []
    if len(text) > q.max_length:
        return _UNANSWERED, [AnswerError(q.id, "too_long", {"max_length": q.max_length})]
    return text, []


def _raw_value(raw: Mapping[str, object], q: Question) -> object:
    # A multi-valued form (werkzeug's MultiDict) gives only the first value by [];
    # checkboxes need them all.
    if q.type == "multiple" and hasattr(raw, "getlist"):
        return raw.getlist(q.id)
    return raw[q.id]


def check_answers(q: Questionnaire, raw: Mapping[str, object], *,
                  partial_elements: Iterable[str] | None = None) -> AnswerCheck:
    """Coerce and check raw answers against a questionnaire.

    Parameters
    ----------
    q : Questionnaire
    raw : Mapping
        Question id to raw value (form string, JSON value, or list for multiple choice).
    partial_elements : iterable of str, optional
        Element ids whose ``required`` questions are checked; None checks all elements.

    Returns
    -------
    AnswerCheck
        ``values`` holds every valid, relevant answer even when other answers have errors.
    """
    pages = None if partial_elements is None else set(partial_elements)
    if pages is not None and not pages <= {e.id for e in q.elements}:
        raise ValueError(f"unknown element ids: {sorted(pages - {e.id for e in q.elements})}")
    errors: dict[str | None, list[AnswerError]] = {}
    unknown = [AnswerError(str(k), "unknown_question") for k in raw if k not in q.questions]

    typed: dict[str, object] = {}
    answered: set[str] = set()  # sent something, valid or not
    for qid, question in q.questions.items():
        if qid not in raw:
            continue
        value, errs = coerce_answer(question, _raw_value(raw, question))
        if errs:
            errors[qid] = errs
        if errs or value is not _UNANSWERED:
            answered.add(qid)
        if value is not _UNANSWERED:
            typed[qid] = value

    relevant, values = q.relevance(typed)
    shown = set(relevant)
    for qid in answered - shown:
        if q.questions[qid].type != "note":
            errors[qid] = [AnswerError(qid, "not_relevant")]

    for qid in relevant:
        question = q.questions[qid]
        if question.constraint is not None and qid in values:
            if not truthy(question.constraint.evaluate(values, qid)):
                del values[qid]
                errors[qid] = [AnswerError(qid, "constraint",
                                           {"message": dict(question.constraint_message or {})})]

    for qid in relevant:
        question = q.questions[qid]
        if qid in values or qid in errors or question.type == "note":
            continue
        if pages is not None and question.element_id not in pages:
            continue
        required = question.required
        if not isinstance(required, bool):
            required = truthy(required.evaluate(values, qid))
        if required:
            errors[qid] = [AnswerError(qid, "required")]

    ordered = unknown + [e for qid in q.questions if qid in errors for e in errors[qid]]
    return AnswerCheck(values=values, errors=ordered)
