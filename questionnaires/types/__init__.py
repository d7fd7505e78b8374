"""The registry of question types: each type declared once (see :mod:`.base`).

Every layer asks the registry rather than switching on type names: the loader, answer
checking, the web survey (which maps an entry's ``field`` and ``template`` to WTForms and
Jinja), the exports and the synthetic generator.  :func:`register` adds a type at run
time (a test does, to prove that a type needs nothing else but its template).
"""

from __future__ import annotations

from .base import (UNANSWERED, AnswerError, ExportSpec, FormReading, Option, QuestionType,
                   Text)
from .builtin import (BUILTIN, DEFAULT_MAX_LENGTH, NOT_APPLICABLE_CODE, NOT_APPLICABLE_WORDS, MAX_TEXT_LENGTH, NA_CODE,
                      NA_WORDS, NON_ANSWERS, SCALE_VALUES, SCALE_WORDINGS, SCALE_WORDS, scale_non_answers,
                      scale_words)

__all__ = ["UNANSWERED", "AnswerError", "ExportSpec", "FormReading", "Option",
           "QuestionType", "Text", "DEFAULT_MAX_LENGTH", "MAX_TEXT_LENGTH", "NA_CODE",
           "NA_WORDS", "NOT_APPLICABLE_CODE", "NOT_APPLICABLE_WORDS", "NON_ANSWERS", "scale_non_answers",
           "SCALE_WORDINGS", "scale_words", "SCALE_VALUES", "SCALE_WORDS", "question_type", "register",
           "type_names", "unregister"]

_REGISTRY: dict[str, QuestionType] = {}


def register(entry: QuestionType) -> QuestionType:
    """Add a question type; a name already registered is refused."""
    if entry.name in _REGISTRY:
        raise ValueError(f"question type {entry.name!r} is already registered")
    _REGISTRY[entry.name] = entry
    return entry


def unregister(name: str) -> None:
    """Remove a question type (for tests that register a throwaway one)."""
    if any(entry.name == name for entry in BUILTIN):
        raise ValueError(f"the built-in question type {name!r} cannot be removed")
    _REGISTRY.pop(name, None)


def question_type(name: str) -> QuestionType:
    """Return the entry of a type name (KeyError if unknown)."""
    return _REGISTRY[name]


def type_names() -> tuple[str, ...]:
    """Every registered type name, built-ins first in their documented order."""
    return tuple(_REGISTRY)


for _entry in BUILTIN:
    register(_entry)
