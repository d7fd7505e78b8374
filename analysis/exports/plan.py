"""The columns of an export: names, labels, types and value codes, and the codebook.

Column names are the stable question ids, so that files of different waves line up.
A multiple-choice question is one column in CSV (its chosen values joined by a space)
and one 0/1 column per choice, ``<question>__<value>``, in XLSX, SPSS and Stata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd
from questionnaires.types import question_type

from . import labels as L

__all__ = ["ExportError", "ExportPlan", "Variable", "META", "clean_text", "guard_formula",
           "unguard_formula"]

# Order of the meta columns; ``channel`` is the questionnaire's own question when it has one.
META = ("row", "unit_code", "unit_name", "service_point", "service_field", "channel", "mode",
        "submitted_date", "weight", "stratum", "fpc")
# Numeric meta columns written as plain floats.
NUMBER_META = ("weight", "fpc")
# C0 and C1 control characters except tab and line feed: they break XLSX (openpyxl refuses
# them) and confuse CSV readers, and carry nothing a citizen meant to say.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """A wave or definition that cannot be exported as asked, with the reason."""


def clean_text(value: str) -> str:
    """Return ``value`` with line breaks normalised to ``\\n`` and control characters removed."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def guard_formula(value: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would run as a formula.

    Text that already starts with an apostrophe gets one more, so that
    :func:`unguard_formula` restores every text exactly.
    """
    if value.startswith(FORMULA_START) or value.startswith("'"):
        return "'" + value
    return value


def unguard_formula(value: str) -> str:
    """Undo :func:`guard_formula`."""
    if len(value) > 1 and value[0] == "'" and (value[1] in FORMULA_START or value[1] == "'"):
        return value[1:]
    return value


@dataclass(frozen=True)
class Variable:
    """One exported column.

    ``values`` lists ``(stored value, numeric code, label)`` for coded variables: the stored
    value is what CSV and XLSX show, the code what SPSS and Stata hold.
    """

    name: str
    label: str
    kind: str                       # meta | choice (a 0/1 column) | the question type
    question: str | None = None     # the question id (for a 0/1 choice column too)
    choice: object = None           # the choice value of a 0/1 choice column
    element: str = ""
    values: tuple = ()
    storage: str = "string"         # string | number | date (in SPSS and Stata)
    note: str = ""
    guard: bool = False             # free text: neutralise formulas in spreadsheets
    dummies: bool = False           # one 0/1 column per value in XLSX, SPSS and Stata
    boolean: bool = False           # true/false in CSV
    missing: tuple = ()             # codes declared user-missing in SPSS

    @property
    def codes(self) -> dict:
        """Stored value (as text) -> numeric code."""
        return {str(v): c for v, c, _ in self.values}

    @property
    def value_labels(self) -> dict:
        """Numeric code -> label (what SPSS and Stata show)."""
        return {c: lab for _, c, lab in self.values}


@dataclass
class ExportPlan:
    """The columns of a wave's export for one questionnaire and language.

    Parameters
    ----------
    questionnaire : questionnaires.Questionnaire
    lang : {"vi", "en"}
        Language of labels and codebook.
    """

    questionnaire: object
    lang: str = "vi"
    variables: list[Variable] = field(init=False)

    def __post_init__(self):
        L.check_lang(self.lang)
        q, lang = self.questionnaire, self.lang
        meta_labels, notes = L.META_LABELS[lang], L.NOTES[lang]
        own_channel = "channel" in q.questions and q.questions["channel"].kind.answerable
        out: list[Variable] = []
        for name in META:
            if name == "channel" and own_channel:
                out.append(self._question(q.questions["channel"]))
                continue
            values = tuple((v, k, lab) for k, (v, lab) in
                           enumerate(L.META_VALUES[lang].get(name, {}).items(), start=1))
            storage = {"row": "number", "weight": "number", "fpc": "number",
                       "submitted_date": "date"}.get(name, "string")
            out.append(Variable(name, meta_labels[name], "meta", values=values if storage == "string" else (),
                                storage=storage, note=notes.get(name, ""),
                                guard=name in ("unit_code", "unit_name", "service_point", "service_field")))
        for question in q.questions.values():
            if not question.kind.answerable or (question.id == "channel" and own_channel):
                continue
            out.append(self._question(question))
        clashes = set()
        for names in ([v.name for v in out], [c.name for v in out for c in self.expand(v)]):
            clashes |= {n for n in names if names.count(n) > 1}
        clashes = sorted(clashes)
        if clashes:
            raise ExportError("the export would have several columns named "
                              + ", ".join(clashes) + "; rename the question(s) in the definition")
        self.variables = out

    def _question(self, question) -> Variable:
        q, lang, notes = self.questionnaire, self.lang, L.NOTES[self.lang]
        label = q.text(question.label, lang)
        element = q.text(q.element(question.element_id).title, lang) if question.element_id else ""
        spec = question.kind.export(question)
        values = tuple((v, c, q.text(lab, lang)) for v, c, lab in spec.values)
        return Variable(name=question.id, label=label, kind=question.type, question=question.id,
                        element=element, values=values, storage=spec.storage,
                        note=notes[spec.note] if spec.note else "", guard=spec.guard,
                        dummies=spec.dummies, boolean=spec.boolean, missing=spec.missing)

    def expand(self, var: Variable) -> list[Variable]:
        """The 0/1 columns of a multiple-choice variable (``[var]`` for any other)."""
        if not var.dummies:
            return [var]
        chosen = L.CHOSEN[self.lang]
        return [Variable(f"{var.name}__{value}", f"{var.label}: {label}", "choice", question=var.question,
                         choice=value, element=var.element, storage="number",
                         values=((1, 1, chosen[1]), (0, 0, chosen[0])))
                for value, _, label in var.values]

    @property
    def csv_variables(self) -> list[Variable]:
        """Columns of the CSV file (one per multiple-choice question)."""
        return list(self.variables)

    @property
    def wide_variables(self) -> list[Variable]:
        """Columns of XLSX, SPSS and Stata files (one 0/1 column per choice)."""
        return [c for v in self.variables for c in self.expand(v)]

    def codebook(self) -> pd.DataFrame:
        """Return the codebook: one row per variable, then one row per value of coded ones.

        Columns are the keys of ``labels.CODEBOOK_HEADERS``; :meth:`codebook_headers` gives
        the localised header of each.
        """
        kinds = L.KINDS[self.lang]
        rows = []
        for var in self.variables:
            key = "date" if var.storage == "date" else "number" if var.name in NUMBER_META else var.kind
            kind = kinds[key] if key in kinds else question_type(key).title[self.lang]
            rows.append({"variable": var.name, "label": var.label, "kind": kind, "element": var.element,
                         "question": var.question or "", "value": "", "code": "", "value_label": "",
                         "note": var.note})
            for value, code, label in var.values:
                shown = "true" if value is True else "false" if value is False else str(value)
                rows.append({"variable": var.name, "label": "", "kind": "", "element": "",
                             "question": "", "value": shown, "code": "" if var.storage == "string" else code,
                             "value_label": label, "note": ""})
            if var.dummies:
                for dummy in self.expand(var):
                    rows.append({"variable": dummy.name, "label": dummy.label, "kind": kinds["choice"],
                                 "element": var.element, "question": var.question, "value": "0 / 1",
                                 "code": "0 / 1", "value_label": " / ".join(L.CHOSEN[self.lang].values()),
                                 "note": ""})
        return pd.DataFrame(rows, columns=list(L.CODEBOOK_HEADERS[self.lang]))

    def codebook_headers(self) -> list[str]:
        """Localised headers of the codebook columns."""
        return list(L.CODEBOOK_HEADERS[self.lang].values())
