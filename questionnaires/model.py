"""The in-memory model of a questionnaire definition.

Every class is a frozen dataclass built either by the loader (from YAML, after validation)
or by :meth:`Questionnaire.from_dict` (from the canonical JSON stored in the database).
``to_dict()`` gives that canonical form: the YAML format with every default filled in,
choice lists inlined and criteria written as ``{question, weight}``; expressions are kept
as their source text, so the hash does not depend on the parser's tree layout.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .expressions import Expression, parse_expression, truthy
from .types import QuestionType, question_type
from .par_points import ParPoints

Text = dict[str, str]


def _expr(source: str | None) -> Expression | None:
    return None if source is None else parse_expression(source)


def _src(expr: Expression | None) -> str | None:
    return None if expr is None else expr.source


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    # Absent optional keys are left out rather than stored as null, so that adding a new
    # optional key to the format does not change the hash of existing definitions.
    return {k: v for k, v in d.items() if v is not None}


@dataclass(frozen=True)
class Choice:
    """One answer option of a single or multiple choice question."""

    value: str | int
    label: Text
    explain: Text | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the canonical JSON form."""
        return _drop_none({"value": self.value, "label": dict(self.label),
                           "explain": None if self.explain is None else dict(self.explain)})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Choice:
        """Build from the canonical JSON form."""
        return cls(value=d["value"], label=dict(d["label"]), explain=d.get("explain"))


@dataclass(frozen=True)
class Question:
    """One question; type-specific attributes are None for other types."""

    id: str
    type: str
    label: Text
    element_id: str
    hint: Text | None = None
    explain: Text | None = None
    required: bool | Expression = False
    relevant: Expression | None = None
    constraint: Expression | None = None
    constraint_message: Text | None = None
    choices: tuple[Choice, ...] = ()
    min: int | None = None
    max: int | None = None
    max_length: int | None = None
    na: bool | None = None
    not_applicable: bool | None = None
    words: str | None = None
    min_choices: int | None = None
    max_choices: int | None = None

    @property
    def kind(self) -> QuestionType:
        """The registry entry of this question's type."""
        return question_type(self.type)

    def choice(self, value: object) -> Choice | None:
        """Return the choice whose value equals ``value`` compared as strings."""
        key = str(value)
        for c in self.choices:
            if str(c.value) == key:
                return c
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return the canonical JSON form."""
        required = self.required if isinstance(self.required, bool) else self.required.source
        d = {
            "id": self.id, "type": self.type, "label": dict(self.label),
            "hint": self.hint, "explain": self.explain, "required": required,
            "relevant": _src(self.relevant), "constraint": _src(self.constraint),
            "constraint_message": self.constraint_message,
            "choices": [c.to_dict() for c in self.choices] if self.choices else None,
            "min": self.min, "max": self.max, "max_length": self.max_length, "na": self.na,
            "not_applicable": self.not_applicable or None, "words": self.words,
            "min_choices": self.min_choices, "max_choices": self.max_choices,
        }
        return _drop_none(d)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], element_id: str) -> Question:
        """Build from the canonical JSON form."""
        required = d.get("required", question_type(d["type"]).default_required)
        if not isinstance(required, bool):
            required = parse_expression(required)
        return cls(
            id=d["id"], type=d["type"], label=dict(d["label"]), element_id=element_id,
            hint=d.get("hint"), explain=d.get("explain"), required=required,
            relevant=_expr(d.get("relevant")), constraint=_expr(d.get("constraint")),
            constraint_message=d.get("constraint_message"),
            choices=tuple(Choice.from_dict(c) for c in d.get("choices") or ()),
            min=d.get("min"), max=d.get("max"), max_length=d.get("max_length"),
            na=d.get("na"), not_applicable=d.get("not_applicable"),
            words=d.get("words"), min_choices=d.get("min_choices"), max_choices=d.get("max_choices"),
        )


@dataclass(frozen=True)
class Element:
    """A section of the form (one page of the web survey)."""

    id: str
    title: Text
    questions: tuple[Question, ...]
    intro: Text | None = None
    relevant: Expression | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the canonical JSON form."""
        return _drop_none({"id": self.id, "title": dict(self.title), "intro": self.intro,
                           "relevant": _src(self.relevant),
                           "questions": [q.to_dict() for q in self.questions]})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Element:
        """Build from the canonical JSON form."""
        return cls(id=d["id"], title=dict(d["title"]), intro=d.get("intro"),
                   relevant=_expr(d.get("relevant")),
                   questions=tuple(Question.from_dict(q, d["id"]) for q in d["questions"]))


@dataclass(frozen=True)
class Criterion:
    """A scale question counted in an analysis element, with its weight."""

    question: str
    weight: float = 1


@dataclass(frozen=True)
class AnalysisElement:
    """A group of criteria whose indices combine into one element index."""

    id: str
    label: Text
    criteria: tuple[Criterion, ...]
    weight: float = 1
    overall_question: str | None = None


@dataclass(frozen=True)
class Indicator:
    """A headline share such as 'asked to pay extra', with the better direction."""

    id: str
    label: Text
    when: Expression
    direction: str
    among: Expression | None = None


@dataclass(frozen=True)
class AnalysisSpec:
    """How criteria, elements and the overall index are computed, plus indicators."""

    satisfied: tuple[int, ...] = (4, 5)
    method: str = "share"
    overall: str = "mean_of_elements"
    elements: tuple[AnalysisElement, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    expectations: str | None = None
    overall_question: str | None = None
    par_points: ParPoints | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the canonical JSON form."""
        return _drop_none({
            "satisfied": list(self.satisfied), "method": self.method, "overall": self.overall,
            "elements": [_drop_none({
                "id": e.id, "label": dict(e.label), "weight": e.weight,
                "criteria": [{"question": c.question, "weight": c.weight} for c in e.criteria],
                "overall_question": e.overall_question}) for e in self.elements],
            "indicators": [_drop_none({
                "id": i.id, "label": dict(i.label), "when": i.when.source,
                "among": _src(i.among), "direction": i.direction}) for i in self.indicators],
            "expectations": self.expectations,
            "overall_question": self.overall_question,
            "par_points": self.par_points.to_dict() if self.par_points else None,
        })

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AnalysisSpec:
        """Build from the canonical JSON form."""
        return cls(
            satisfied=tuple(d.get("satisfied", (4, 5))),
            method=d.get("method", "share"),
            overall=d.get("overall", "mean_of_elements"),
            elements=tuple(AnalysisElement(
                id=e["id"], label=dict(e["label"]), weight=e.get("weight", 1),
                overall_question=e.get("overall_question"),
                criteria=tuple(Criterion(c["question"], c.get("weight", 1))
                               for c in e["criteria"])) for e in d.get("elements", ())),
            indicators=tuple(Indicator(
                id=i["id"], label=dict(i["label"]), when=parse_expression(i["when"]),
                among=_expr(i.get("among")), direction=i["direction"])
                for i in d.get("indicators", ())),
            expectations=d.get("expectations"),
            overall_question=d.get("overall_question"),
            par_points=ParPoints.from_dict(d["par_points"]) if d.get("par_points") else None,
        )


@dataclass(frozen=True)
class Questionnaire:
    """A whole questionnaire definition (one version)."""

    id: str
    version: str
    languages: tuple[str, ...]
    title: Text
    elements: tuple[Element, ...]
    description: Text | None = None
    analysis: AnalysisSpec = field(default_factory=AnalysisSpec)

    @cached_property
    def questions(self) -> dict[str, Question]:
        """All questions by id, in definition order."""
        return {q.id: q for e in self.elements for q in e.questions}

    @cached_property
    def content_hash(self) -> str:
        """The sha256 (hex) of the canonical JSON: sorted keys, no whitespace."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def element(self, element_id: str) -> Element:
        """Return the element with this id (KeyError if there is none)."""
        for e in self.elements:
            if e.id == element_id:
                return e
        raise KeyError(element_id)

    def to_dict(self) -> dict[str, Any]:
        """Return the canonical JSON form stored in the database."""
        return _drop_none({
            "id": self.id, "version": self.version, "languages": list(self.languages),
            "title": dict(self.title), "description": self.description,
            "elements": [e.to_dict() for e in self.elements],
            "analysis": self.analysis.to_dict(),
        })

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Questionnaire:
        """Build from the canonical JSON form (trusted: it was validated when loaded)."""
        return cls(id=d["id"], version=d["version"], languages=tuple(d["languages"]),
                   title=dict(d["title"]), description=d.get("description"),
                   elements=tuple(Element.from_dict(e) for e in d["elements"]),
                   analysis=AnalysisSpec.from_dict(d.get("analysis") or {}))

    def text(self, d: Mapping[str, str] | None, lang: str) -> str:
        """Return the text of ``d`` in ``lang``, falling back to Vietnamese ('' for None)."""
        if not d:
            return ""
        return d.get(lang) or d.get("vi") or ""

    def element_relevant(self, element: Element | str, answers: Mapping[str, object]) -> bool:
        """Whether an element (or element id) is shown, given the answers."""
        if isinstance(element, str):
            element = self.element(element)
        return element.relevant is None or truthy(element.relevant.evaluate(answers))

    def relevance(self, answers: Mapping[str, object]) -> tuple[list[str], dict[str, object]]:
        """Return (relevant question ids, answers without those to irrelevant questions).

        Conditions are evaluated in definition order; an answer to a question found not
        relevant is removed before later conditions are evaluated, so a chain of
        conditions never rests on an answer that will be refused.
        """
        values = dict(answers)
        relevant: list[str] = []
        for element in self.elements:
            shown = self.element_relevant(element, values)
            for q in element.questions:
                if shown and (q.relevant is None or truthy(q.relevant.evaluate(values, q.id))):
                    relevant.append(q.id)
                else:
                    values.pop(q.id, None)
        return relevant, values

    def relevant_questions(self, answers: Mapping[str, object]) -> list[str]:
        """Ids of the questions asked given these (clean) answers, in definition order."""
        return self.relevance(answers)[0]
