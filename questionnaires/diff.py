"""What changed between two versions of a questionnaire, and the reuse rule of question ids.

``diff(old, new)`` lists the changes a methodologist reviews before publishing: questions
added, removed, reworded, moved, of another type, with other choices, other conditions;
elements added or removed; the analysis changed.

``reuse_conflicts(published, new)`` enforces the rule that keeps trends honest: a question
id that appeared in a published version must keep its meaning. A new version may reword
it, but may not change its type or its choice codes; such a question needs a new id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .messages import N_, Text
from .model import Question, Questionnaire

# The kinds of change, in the order they are listed.
KINDS = ("element_added", "element_removed", "question_added", "question_removed",
         "type_changed", "choices_changed", "reworded", "condition_changed", "moved",
         "settings_changed", "analysis_changed")


@dataclass(frozen=True)
class Change:
    """One change: its kind, the question or element id, and the details (old -> new)."""

    kind: str
    id: str
    old: str | None = None
    new: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        what = f"{self.kind} {self.id}" + (f" ({self.field})" if self.field else "")
        if self.old is not None or self.new is not None:
            what += f": {self.old!s} -> {self.new!s}"
        return what


@dataclass(frozen=True)
class Conflict:
    """A reused question id whose meaning changed against a published version."""

    question: str
    version: str
    field: str          # "type" or "choices"
    old: str
    new: str

    @property
    def message(self) -> Text:
        """The conflict as a translatable message (its English is ``str(self)``)."""
        params = {"question": self.question, "old": self.old, "version": self.version,
                  "new": self.new}
        if self.field == "type":
            return N_("question '%(question)s': its type was %(old)s in published version "
                      "%(version)s and is %(new)s here; a question whose type changes needs a "
                      "new id", **params)
        return N_("question '%(question)s': its choices were %(old)s in published version "
                  "%(version)s and are %(new)s here; a question whose choices change needs a "
                  "new id", **params)

    def __str__(self) -> str:
        return str(self.message)


def _codes(q: Question) -> str:
    return ", ".join(str(c.value) for c in q.choices)


def _text(d) -> str:
    return "" if not d else " / ".join(f"{k}: {v}" for k, v in sorted(d.items()))


def _condition(value) -> str | None:
    if value is None or isinstance(value, bool):
        return None if value in (None, False) else "true"
    return value.source


def _question_changes(a: Question, b: Question) -> list[Change]:
    out = []
    if a.type != b.type:
        out.append(Change("type_changed", b.id, a.type, b.type))
    if _codes(a) != _codes(b):
        out.append(Change("choices_changed", b.id, _codes(a), _codes(b)))
    else:
        for ca, cb in zip(a.choices, b.choices):
            if ca.label != cb.label:
                out.append(Change("reworded", b.id, _text(ca.label), _text(cb.label),
                                  field=f"choice {cb.value}"))
    for name in ("label", "hint", "explain", "constraint_message"):
        if getattr(a, name) != getattr(b, name):
            out.append(Change("reworded", b.id, _text(getattr(a, name)), _text(getattr(b, name)),
                              field=name))
    for name in ("relevant", "constraint", "required"):
        old, new = _condition(getattr(a, name)), _condition(getattr(b, name))
        if old != new:
            out.append(Change("condition_changed", b.id, old, new, field=name))
    for name in ("min", "max", "max_length", "na", "min_choices", "max_choices"):
        if getattr(a, name) != getattr(b, name):
            out.append(Change("settings_changed", b.id, str(getattr(a, name)),
                              str(getattr(b, name)), field=name))
    if a.element_id != b.element_id:
        out.append(Change("moved", b.id, a.element_id, b.element_id))
    return out


def diff(old: Questionnaire | None, new: Questionnaire) -> list[Change]:
    """Return the changes from ``old`` to ``new`` (every question added when ``old`` is None)."""
    if old is None:
        return ([Change("element_added", e.id) for e in new.elements]
                + [Change("question_added", q) for q in new.questions])
    out: list[Change] = []
    old_elements = {e.id: e for e in old.elements}
    new_elements = {e.id: e for e in new.elements}
    out += [Change("element_added", e) for e in new_elements if e not in old_elements]
    out += [Change("element_removed", e) for e in old_elements if e not in new_elements]
    for eid in new_elements.keys() & old_elements.keys():
        a, b = old_elements[eid], new_elements[eid]
        if a.title != b.title or a.intro != b.intro:
            out.append(Change("reworded", eid, _text(a.title), _text(b.title), field="element"))
        if _condition(a.relevant) != _condition(b.relevant):
            out.append(Change("condition_changed", eid, _condition(a.relevant),
                              _condition(b.relevant), field="element relevant"))
    out += [Change("question_added", q) for q in new.questions if q not in old.questions]
    out += [Change("question_removed", q) for q in old.questions if q not in new.questions]
    for qid, q in new.questions.items():
        if qid in old.questions:
            out += _question_changes(old.questions[qid], q)
    if old.analysis.to_dict() != new.analysis.to_dict():
        out += _analysis_changes(old, new)
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(out, key=lambda c: order[c.kind])


def _analysis_changes(old: Questionnaire, new: Questionnaire) -> list[Change]:
    a, b = old.analysis, new.analysis
    out = []
    for name in ("satisfied", "method", "overall", "expectations"):
        if getattr(a, name) != getattr(b, name):
            out.append(Change("analysis_changed", name, str(getattr(a, name)), str(getattr(b, name))))
    ea = {e.id: e for e in a.elements}
    eb = {e.id: e for e in b.elements}
    for eid in ea.keys() | eb.keys():
        crit_a = ", ".join(f"{c.question}×{c.weight:g}" for c in ea[eid].criteria) if eid in ea else None
        crit_b = ", ".join(f"{c.question}×{c.weight:g}" for c in eb[eid].criteria) if eid in eb else None
        weight_a = ea[eid].weight if eid in ea else None
        weight_b = eb[eid].weight if eid in eb else None
        if crit_a != crit_b or weight_a != weight_b:
            out.append(Change("analysis_changed", eid, crit_a, crit_b, field="criteria"))
    ia = {i.id: i for i in a.indicators}
    ib = {i.id: i for i in b.indicators}
    for iid in ia.keys() | ib.keys():
        sa = (ia[iid].when.source, _condition(ia[iid].among)) if iid in ia else None
        sb = (ib[iid].when.source, _condition(ib[iid].among)) if iid in ib else None
        if sa != sb:
            out.append(Change("analysis_changed", iid, None if sa is None else sa[0],
                              None if sb is None else sb[0], field="indicator"))
    return sorted(out, key=lambda c: c.id)


def reuse_conflicts(published: Iterable[Questionnaire], new: Questionnaire) -> list[Conflict]:
    """Return every reused question id of ``new`` whose type or choice codes differ from a
    published version (each published version checked; one conflict per id and field)."""
    out: list[Conflict] = []
    seen: set[tuple[str, str]] = set()
    for version in published:
        for qid, q in new.questions.items():
            old = version.questions.get(qid)
            if old is None:
                continue
            if old.type != q.type and (qid, "type") not in seen:
                seen.add((qid, "type"))
                out.append(Conflict(qid, version.version, "type", old.type, q.type))
            same_codes = sorted(map(str, (c.value for c in old.choices))) == sorted(
                map(str, (c.value for c in q.choices)))
            if not same_codes and (qid, "choices") not in seen:
                seen.add((qid, "choices"))
                out.append(Conflict(qid, version.version, "choices",
                                    f"[{_codes(old)}]", f"[{_codes(q)}]"))
    return out
