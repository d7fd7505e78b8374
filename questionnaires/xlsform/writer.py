"""Writing a questionnaire as an XLSForm workbook (survey, choices, settings, sipas sheets).

Elements become groups, our types XLSForm types (scale and yes/no are select_one lists
with the ``bind::sipas:type`` marker), conditions XPath; what XLSForm has no column for
(integer bounds, text length, the exact text of a condition XPath cannot spell the same
way) goes into ``bind::sipas:*`` columns, and the header texts and the analysis block into
the extra sheet ``sipas``.  docs/questionnaire-format.md, "XLSForm", has the table.
"""

from __future__ import annotations

import yaml
from openpyxl import Workbook

from ..model import Questionnaire
from ..types import NON_ANSWERS, scale_non_answers, scale_words
from .common import (CHOICE_EXPLAIN, EXTRA_SHEET, MARK, NAMESPACES, SCALE_LIST, YESNO_LIST, language_column)
from .xpath import to_xpath

_YESNO_CHOICES = (("true", {"vi": "Có", "en": "Yes"}), ("false", {"vi": "Không", "en": "No"}))


def _types(q: Questionnaire) -> dict:
    types: dict = {qid: question.type for qid, question in q.questions.items()}
    for qid, question in q.questions.items():
        types[("values", qid)] = {c.value for c in question.choices if isinstance(c.value, int)}
    return types


class _Sheet:
    """Rows as dicts; the columns are collected in first-seen order."""

    def __init__(self, columns):
        self.columns, self.rows = list(columns), []

    def add(self, row: dict) -> None:
        for key in row:
            if key not in self.columns:
                self.columns.append(key)
        self.rows.append(row)

    def write(self, ws) -> None:
        ws.append(self.columns)
        for row in self.rows:
            ws.append([row.get(c) for c in self.columns])


def _texts(row: dict, base: str, text, langs) -> None:
    for lang in langs:
        if text and text.get(lang):
            row[language_column(base, lang)] = text[lang]


def _condition(row: dict, key: str, expr, types, this) -> None:
    """The XPath column, plus our own text when XPath does not give it back exactly."""
    if expr is None:
        return
    from .xpath import from_xpath
    xpath = to_xpath(expr.tree, types, this)
    row[key] = xpath
    try:
        same = from_xpath(xpath, types, this) == expr.source
    except ValueError:
        same = False
    if not same:
        row[MARK + key] = expr.source


def workbook(q: Questionnaire) -> Workbook:
    """Return the XLSForm workbook of a questionnaire."""
    langs, types = list(q.languages), _types(q)
    survey = _Sheet(["type", "name"] + [language_column("label", lang) for lang in langs])
    choices = _Sheet(["list_name", "name"] + [language_column("label", lang) for lang in langs])
    lists: dict[str, str] = {}

    def choice_list(question) -> str:
        if question.type == "scale":
            extra = scale_non_answers(question)
            name = "_".join([SCALE_LIST, *([question.words] if question.words else []), *extra])
            rows = ([(k, w) for k, w in scale_words(question).items()]
                    + [(w, NON_ANSWERS[w]) for w in extra])
        elif question.type == "yesno":
            name, rows = YESNO_LIST, list(_YESNO_CHOICES)
        else:
            name, rows = question.id, [(c.value, c.label, c.explain) for c in question.choices]
        key = repr(rows)
        if key in lists:
            return lists[key]
        lists[key] = name
        for item in rows:
            row = {"list_name": name, "name": item[0]}
            _texts(row, "label", item[1], langs)
            if len(item) > 2 and item[2]:
                row.update({CHOICE_EXPLAIN + lang: item[2][lang] for lang in langs
                            if item[2].get(lang)})
            choices.add(row)
        return name

    for element in q.elements:
        group = {"type": "begin_group", "name": element.id}
        _texts(group, "label", element.title, langs)
        _texts(group, "hint", element.intro, langs)
        _condition(group, "relevant", element.relevant, types, None)
        survey.add(group)
        for question in element.questions:
            row = {"name": question.id}
            kind = question.type
            if kind in ("scale", "yesno", "single"):
                row["type"] = f"select_one {choice_list(question)}"
            elif kind == "multiple":
                row["type"] = f"select_multiple {choice_list(question)}"
            else:
                row["type"] = kind
            if kind in ("scale", "yesno"):
                row[MARK + "type"] = kind
            _texts(row, "label", question.label, langs)
            _texts(row, "hint", question.hint, langs)
            _texts(row, "guidance_hint", question.explain, langs)
            if question.kind.answerable:
                if isinstance(question.required, bool):
                    row["required"] = "yes" if question.required else "no"
                else:
                    _condition(row, "required", question.required, types, question.id)
            _condition(row, "relevant", question.relevant, types, question.id)
            _condition(row, "constraint", question.constraint, types, question.id)
            _texts(row, "constraint_message", question.constraint_message, langs)
            for key in ("min", "max", "max_length", "min_choices", "max_choices"):
                if getattr(question, key) is not None:
                    row[MARK + key] = getattr(question, key)
            survey.add(row)
        survey.add({"type": "end_group", "name": element.id})

    book = Workbook()
    survey.write(book.active)
    book.active.title = "survey"
    choices.write(book.create_sheet("choices"))
    settings = _Sheet(["form_title", "form_id", "version", "default_language", "namespaces"])
    settings.add({"form_title": q.title.get("vi"), "form_id": q.id, "version": q.version,
                  "default_language": language_column("label", "vi").split("::", 1)[1],
                  "namespaces": NAMESPACES})
    settings.write(book.create_sheet("settings"))
    extra = book.create_sheet(EXTRA_SHEET)
    extra.append(["key", "value"])
    header = {"languages": langs, "title": dict(q.title)}
    if q.description:
        header["description"] = dict(q.description)
    header["analysis"] = q.analysis.to_dict()
    for key, value in header.items():
        extra.append([key, yaml.safe_dump(value, allow_unicode=True, sort_keys=False,
                                          width=100).strip()])
    return book


def write_xlsform(q: Questionnaire, path) -> None:
    """Write ``q`` as an XLSForm workbook to ``path``."""
    workbook(q).save(path)


__all__ = ["workbook", "write_xlsform"]
