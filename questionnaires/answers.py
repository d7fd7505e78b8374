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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .expressions import truthy
from .model import Question, Questionnaire
from .types import UNANSWERED, AnswerError, question_type
from .types.builtin import is_unanswered

__all__ = ["AnswerCheck", "AnswerError", "check_answers", "coerce_answer"]


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


def coerce_answer(q: Question, raw: object) -> tuple[object, list[AnswerError]]:
    """Coerce one raw value by its type's rule; return (typed value or UNANSWERED, errors)."""
    if is_unanswered(raw):
        return UNANSWERED, []
    return question_type(q.type).coerce(q, raw)


def _raw_value(raw: Mapping[str, object], q: Question) -> object:
    # A multi-valued form (werkzeug's MultiDict) gives only the first value by [];
    # checkboxes need them all.
    if question_type(q.type).form.read == "list" and hasattr(raw, "getlist"):
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
        if errs or value is not UNANSWERED:
            answered.add(qid)
        if value is not UNANSWERED:
            typed[qid] = value

    relevant, values = q.relevance(typed)
    shown = set(relevant)
    for qid in answered - shown:
        if question_type(q.questions[qid].type).answerable:
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
        if qid in values or qid in errors or not question_type(question.type).answerable:
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
