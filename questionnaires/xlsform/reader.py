"""Reading an XLSForm workbook into our definition format, or refusing it with reasons.

pyxform reads the workbook (``xls2json_backends.get_xlsform``: sheets as rows of dicts,
headers as written); this module maps the survey, choices and settings sheets and our
extra ``sipas`` sheet onto a definition, translating XPath conditions
(:mod:`.xpath`).  Every problem names its sheet, row and column; nothing our format cannot
carry is dropped silently (docs/questionnaire-format.md, "XLSForm").
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import yaml

from ..expression_parser import parse_tree
from ..loader import DefinitionError, load_definition
from .common import (CHOICE_EXPLAIN, EXTRA_SHEET, MARK, MARK_KEYS, SCALE_LIST, SCALE_NA_LIST, YESNO_LIST,
                     language_code, language_column, split_column)
from .xpath import XPathError, from_xpath, to_xpath

__all__ = ["XLSFormError", "read_xlsform", "definition_yaml"]

TEXT_COLUMNS = {"label", "hint", "guidance_hint", "constraint_message"}
CONDITION_COLUMNS = ("relevant", "constraint", "required")
# Presentation only: our pages have one layout, so nothing is lost.
IGNORED_COLUMNS = {"appearance"}
# Settings we read (the others, e.g. namespaces or public_key, do not change the questions).
METADATA_TYPES = {"start", "end", "today", "deviceid", "subscriberid", "simserial",
                  "phonenumber", "username", "email", "audit", "start-geopoint", "uri:deviceid",
                  "uri:email", "uri:phonenumber", "uri:simserial", "uri:subscriberid",
                  "uri:username"}
REPEAT_TYPES = ("begin_repeat", "begin_loop")
# On the type as written, spaces collapsed: "select_one colors", "select one from colors",
# "select all that apply from colors or specify other".
_SELECT = re.compile(r"^(?P<kind>select_one|select_multiple|select one from|select one"
                     r"|select all that apply from|select all that apply|select multiple)"
                     r" (?P<list>\S+)(?P<other> or_other| or specify other)?$")
_BOUNDS = re.compile(r"^\s*\.\s*>=\s*(-?\d+)\s+and\s+\.\s*<=\s*(-?\d+)\s*$")
_TRUE, _FALSE = {"yes", "true", "true()", "1"}, {"no", "false", "false()", "0", ""}


class XLSFormError(ValueError):
    """A workbook we refuse; ``problems`` lists every reason with its place."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class _Place:
    sheet: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        out = self.sheet
        if self.row is not None:
            out += f" row {self.row}"
        if self.column:
            out += f", column {self.column}"
        return out


@dataclass
class _Import:
    file: str
    problems: list[str] = field(default_factory=list)
    default_lang: str = "vi"
    langs: list[str] = field(default_factory=list)
    rows_of: dict = field(default_factory=dict)      # question / element id -> survey row

    def report(self, place: _Place, message: str) -> None:
        self.problems.append(f"{self.file}: {place}: {message}")

    def lang(self, place: _Place, name: str | None) -> str | None:
        code = self.default_lang if name is None else language_code(name)
        if code is None:
            self.report(place, f"language '{name}' has no code: write it as 'Name (code)', "
                        "e.g. label::Tiếng Việt (vi)")
        elif code not in self.langs:
            self.langs.append(code)
        return code


def _clean(value) -> str:
    return "" if value is None else str(value).strip()


def _base(header: str) -> tuple[str, str | None]:
    base, lang = split_column(header)
    if base.lower().startswith("bind::"):
        return base.lower(), None
    return base.lower().replace(" ", "_"), lang


def _texts(imp: _Import, row: dict, sheet: str, number: int, base: str) -> dict | None:
    out = {}
    for header, value in row.items():
        b, lang = _base(header)
        if b == base and _clean(value):
            code = imp.lang(_Place(sheet, number, header), lang)
            if code:
                out[code] = _clean(value)
    return out or None


def _value(text: str):
    return int(text) if re.fullmatch(r"-?[1-9]\d*|0", text) else text


def _read_choices(imp: _Import, rows) -> dict[str, list]:
    lists: dict[str, list] = {}
    for i, row in enumerate(rows or (), start=2):
        row = {k: v for k, v in row.items() if _clean(v)}
        if not row:
            continue
        keys = {_base(k)[0]: k for k in row}
        name_col = keys.get("list_name") or keys.get("list name")
        if name_col is None or "name" not in keys:
            imp.report(_Place("choices", i), "a choice needs list_name and name")
            continue
        for header in row:
            b = _base(header)[0]
            if b in ("image", "audio", "video", "big-image", "media") or b.startswith("media::"):
                imp.report(_Place("choices", i, header), "media are not supported")
        choice = {"value": _value(_clean(row[keys["name"]])),
                  "label": _texts(imp, row, "choices", i, "label") or {}}
        explain = {h[len(CHOICE_EXPLAIN):].lower(): _clean(v) for h, v in row.items()
                   if h.lower().startswith(CHOICE_EXPLAIN)}
        if explain:
            choice["explain"] = explain
        lists.setdefault(_clean(row[name_col]), []).append(choice)
    return lists


def _settings(rows) -> tuple[dict, dict]:
    """The settings row by column name, and the row as written (for form_title::lang)."""
    row = (rows or [{}])[0]
    return {_base(k)[0]: _clean(v) for k, v in row.items() if _clean(v)}, row


def _extra_sheet(path: str, imp: _Import) -> dict:
    from openpyxl import load_workbook
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:        # not an .xlsx openpyxl reads (e.g. .xls): no extra sheet
        return {}
    try:
        if EXTRA_SHEET not in book.sheetnames:
            return {}
        out = {}
        for i, row in enumerate(book[EXTRA_SHEET].iter_rows(min_row=2, values_only=True), start=2):
            if not row or not _clean(row[0]):
                continue
            try:
                out[_clean(row[0])] = yaml.safe_load(_clean(row[1] if len(row) > 1 else ""))
            except yaml.YAMLError as exc:
                imp.report(_Place(EXTRA_SHEET, i, "value"), f"not YAML: {exc}".splitlines()[0])
        return out
    finally:
        book.close()


class _Survey:
    """The survey sheet walked row by row into elements."""

    def __init__(self, imp: _Import, lists: dict, title: dict):
        self.imp, self.lists, self.title = imp, lists, title
        self.elements: list[dict] = []
        self.group: dict | None = None
        self.loose = 0
        self.nested = 0       # refused groups inside a group, still open
        self.types: dict = {}
        self.rows: list[tuple[int, dict, str]] = []

    def normalise(self, row: dict) -> dict:
        return {k: v for k, v in row.items() if _clean(v)}

    def scan(self, rows) -> None:
        """First pass: the type of every question, for translating conditions."""
        for i, row in enumerate(rows or (), start=2):
            row = self.normalise(row)
            if not row:
                continue
            cols = {_base(k)[0]: k for k in row}
            raw_type = re.sub(r"\s+", " ", _clean(row.get(cols.get("type", ""), "")).lower())
            match = _SELECT.match(raw_type)
            kind = raw_type if match else raw_type.replace(" ", "_")
            self.rows.append((i, row, kind))
            name = _clean(row.get(cols.get("name", ""), ""))
            ours = self.our_type(kind, _clean(row.get(cols.get(MARK + "type", ""), "")))
            if name and ours:
                self.types[name] = ours
                match = _SELECT.match(kind)
                values = self.lists.get(match.group("list"), []) if match else []
                self.types[("values", name)] = {c["value"] for c in values
                                                if isinstance(c["value"], int)}

    @staticmethod
    def our_type(kind: str, mark: str) -> str | None:
        if kind in ("text", "integer", "note"):
            return kind
        match = _SELECT.match(kind)
        if not match or match.group("other"):
            return None
        if mark in ("scale", "yesno"):
            return mark
        return "single" if "one" in match.group("kind") else "multiple"

    def element(self, number: int) -> dict:
        if self.group is not None:
            return self.group
        if not self.elements or not self.elements[-1].get("_loose"):
            self.loose += 1
            self.elements.append({"id": f"part_{self.loose}", "title": dict(self.title),
                                  "questions": [], "_loose": True})
        return self.elements[-1]

    def walk(self) -> None:
        repeat_depth = 0
        for number, row, kind in self.rows:
            if repeat_depth:
                if kind.startswith(REPEAT_TYPES):
                    repeat_depth += 1
                elif kind in ("end_repeat", "end_loop"):
                    repeat_depth -= 1
                continue
            if kind.startswith(REPEAT_TYPES):
                self.imp.report(_Place("survey", number, "type"), "repeats are not supported "
                                "(a questionnaire asks each question once)")
                repeat_depth = 1
                continue
            self.row(number, row, kind)
        if self.group is not None:
            self.imp.report(_Place("survey", self.group["_row"], "type"),
                            "begin_group without end_group")
        for element in self.elements:
            element.pop("_loose", None)
            element.pop("_row", None)

    def row(self, number: int, row: dict, kind: str) -> None:
        imp = self.imp
        cols = {_base(k)[0]: k for k in row}
        name = _clean(row.get(cols.get("name", ""), ""))
        for header, value in row.items():
            if "pulldata(" in _clean(value).replace(" ", ""):
                imp.report(_Place("survey", number, header), "pulldata() reads data from "
                           "outside the form; not supported")
        if kind == "begin_group":
            if self.group is not None:
                imp.report(_Place("survey", number, "type"), "groups inside groups are not "
                           "supported (each group is one page)")
                self.nested += 1
                return
            self.group = {"id": name, "title": _texts(imp, row, "survey", number, "label"),
                          "_row": number}
            intro = _texts(imp, row, "survey", number, "hint")
            if intro:
                self.group["intro"] = intro
            self.conditions(number, row, cols, self.group, None, ("relevant",))
            self.columns(number, row, {"type", "name", "label", "hint", "relevant",
                                       MARK + "relevant"})
            self.group["questions"] = []
            self.elements.append(self.group)
            imp.rows_of[("element", name)] = number
            return
        if kind == "end_group":
            if self.nested:
                self.nested -= 1
                return
            if self.group is None:
                imp.report(_Place("survey", number, "type"), "end_group without begin_group")
            self.group = None
            return
        ours = self.types.get(name) if name else None
        if ours is None:
            self.refuse_type(number, row, cols, kind)
            return
        q = {"id": name, "type": ours, "label": _texts(imp, row, "survey", number, "label")}
        imp.rows_of[("question", name)] = number
        for base, key in (("hint", "hint"), ("guidance_hint", "explain"),
                          ("constraint_message", "constraint_message")):
            text = _texts(imp, row, "survey", number, base)
            if text:
                q[key] = text
        allowed = {"type", "name", "label", "hint", "guidance_hint", "relevant",
                   MARK + "type", MARK + "relevant"}
        if ours != "note":
            allowed |= {"required", "constraint", "constraint_message", MARK + "required",
                        MARK + "constraint"}
        self.options(number, row, cols, kind, q, allowed)
        self.columns(number, row, allowed)
        self.conditions(number, row, cols, q, name,
                        ("relevant", "constraint", "required") if ours != "note" else ("relevant",))
        self.element(number)["questions"].append(q)

    def refuse_type(self, number, row, cols, kind) -> None:
        shown = _clean(row.get(cols.get("type", ""), "")) or "(empty)"
        place = _Place("survey", number, "type")
        if not _clean(row.get(cols.get("name", ""), "")) and kind:
            self.imp.report(_Place("survey", number, "name"), "a question needs a name")
        elif kind in METADATA_TYPES:
            self.imp.report(place, f"metadata '{shown}' is not collected: responses are "
                            "anonymous and carry no device, phone or time stamps")
        elif kind == "calculate":
            self.imp.report(place, "calculate is not supported (the format has no computed "
                            "values)")
        elif _SELECT.match(kind) and _SELECT.match(kind).group("other"):
            self.imp.report(place, f"'{shown}': or_other is not supported; add an 'other' "
                            "choice and a text question shown when it is chosen")
        elif kind.startswith(("select_one_from_file", "select_multiple_from_file",
                              "select_one_external")):
            self.imp.report(place, f"'{shown}': choices from outside the workbook are not "
                            "supported")
        else:
            self.imp.report(place, f"type '{shown}' is not supported (supported: "
                            "select_one, select_multiple, integer, text, note, begin_group, "
                            "end_group)")

    def options(self, number, row, cols, kind, q, allowed) -> None:
        """Choices, bounds and lengths of a question."""
        imp, ours = self.imp, q["type"]
        marks = {k: _clean(row[cols[MARK + k]]) for k in MARK_KEYS if MARK + k in cols}
        match = _SELECT.match(kind)
        if match:
            name = match.group("list")
            choices = self.lists.get(name)
            if choices is None:
                imp.report(_Place("survey", number, "type"), f"choice list '{name}' is not "
                           "on the choices sheet")
                return
            values = [c["value"] for c in choices]
            if ours == "scale":
                if values not in ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5, "na"]):
                    imp.report(_Place("survey", number, MARK + "type"), "a scale's list must "
                               f"be 1, 2, 3, 4, 5 (and na), as {SCALE_LIST} or {SCALE_NA_LIST}")
                q["na"] = "na" in values
            elif ours == "yesno":
                if values != ["true", "false"]:
                    imp.report(_Place("survey", number, MARK + "type"), "a yes/no question's "
                               f"list must be true, false (as {YESNO_LIST})")
            else:
                q["choices"] = [dict(c) for c in choices]
        allowed |= {MARK + k for k in {"integer": ("min", "max"), "text": ("max_length",),
                                       "multiple": ("min_choices", "max_choices")}.get(ours, ())}
        for key in ("min", "max", "max_length", "min_choices", "max_choices"):
            if key in marks and MARK + key in allowed:
                try:
                    q[key] = int(float(marks[key]))
                except ValueError:
                    imp.report(_Place("survey", number, cols[MARK + key]), "must be a whole number")
        if ours == "integer" and ("min" not in q or "max" not in q):
            bounds = _BOUNDS.match(_clean(row.get(cols.get("constraint", ""), "")))
            if bounds and "constraint" in cols and MARK + "constraint" not in cols:
                q["min"], q["max"] = int(bounds.group(1)), int(bounds.group(2))
                row.pop(cols["constraint"])
                cols.pop("constraint")
            else:
                imp.report(_Place("survey", number, "type"), "an integer question needs "
                           "bounds: a constraint '. >= 0 and . <= 100' or the columns "
                           f"{MARK}min and {MARK}max")

    def columns(self, number, row, allowed) -> None:
        for header in row:
            base = _base(header)[0]
            if base in allowed or base in IGNORED_COLUMNS:
                continue
            if base == "choice_filter":
                message = "choice_filter is not supported (choice lists are not filtered)"
            elif base in ("image", "audio", "video", "big-image") or base.startswith("media"):
                message = "media are not supported"
            elif base == "calculation":
                message = "calculations are not supported"
            else:
                message = f"column '{header}' is not supported"
            self.imp.report(_Place("survey", number, header), message)

    def conditions(self, number, row, cols, target, this, keys) -> None:
        for key in keys:
            if key not in cols:
                continue
            text = _clean(row[cols[key]])
            if key == "required" and text.lower() in _TRUE | _FALSE:
                target["required"] = text.lower() in _TRUE
                continue
            ours = _clean(row.get(cols.get(MARK + key, ""), ""))
            try:
                if ours and _same(to_xpath(parse_tree(ours), self.types, this), text):
                    target[key] = ours
                else:
                    target[key] = from_xpath(text, self.types, this)
            except (XPathError, ValueError) as exc:
                self.imp.report(_Place("survey", number, cols[key]),
                                f"cannot carry '{text}': {getattr(exc, 'message', exc)}")
        if "required" in keys and "required" not in cols and target.get("type") != "note":
            target["required"] = False       # an empty required cell means not required


def _same(a: str, b: str) -> bool:
    return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


def read_xlsform(path) -> dict:
    """Return the definition (our YAML format, as a dict) of an XLSForm workbook.

    Raises
    ------
    XLSFormError
        With every problem found, each naming its sheet, row and column.
    """
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import get_xlsform

    file = os.path.basename(os.fspath(path))
    imp = _Import(file)
    try:
        data = get_xlsform(os.fspath(path))
    except (PyXFormError, OSError, ValueError, KeyError) as exc:
        raise XLSFormError([f"{file}: cannot read the workbook: {exc}"]) from None
    except Exception as exc:  # a damaged file may fail anywhere inside the readers
        raise XLSFormError([f"{file}: cannot read the workbook ({type(exc).__name__})"]) from None
    if not data.survey:
        raise XLSFormError([f"{file}: the workbook has no survey sheet"])
    extra = _extra_sheet(os.fspath(path), imp)
    for key, kind in (("title", dict), ("description", dict), ("analysis", dict),
                      ("languages", list)):
        if key in extra and not isinstance(extra[key], kind):
            imp.report(_Place(EXTRA_SHEET, None, key), f"{key} must be a "
                       f"{'mapping' if kind is dict else 'list'}")
            extra.pop(key)
    if not all(isinstance(lang, str) for lang in extra.get("languages", [])):
        imp.report(_Place(EXTRA_SHEET, None, "languages"), "languages must be codes such as vi")
        extra.pop("languages")
    settings, settings_row = _settings(data.settings)
    if settings.get("default_language"):
        code = language_code(settings["default_language"])
        if code is None:
            imp.report(_Place("settings", 2, "default_language"), "language "
                       f"'{settings['default_language']}' has no code: write 'Name (code)'")
        else:
            imp.default_lang = code
    lists = _read_choices(imp, data.choices)
    form_id = settings.get("form_id") or (data.fallback_form_name or "form")
    title = extra.get("title") or _texts(imp, settings_row, "settings", 2, "form_title") \
        or {imp.default_lang: form_id}
    survey = _Survey(imp, lists, title)
    survey.scan(data.survey)
    survey.walk()
    langs = extra.get("languages") or imp.langs or [imp.default_lang]
    if "vi" not in langs:
        imp.report(_Place("survey"), "no Vietnamese text: add columns such as "
                   "label::Tiếng Việt (vi) (Vietnamese comes first in this platform)")
    definition = {"id": form_id, "version": settings.get("version") or "1",
                  "languages": ["vi"] + [lang for lang in langs if lang != "vi"],
                  "title": title}
    if extra.get("description"):
        definition["description"] = extra["description"]
    definition["elements"] = survey.elements
    if extra.get("analysis"):
        definition["analysis"] = extra["analysis"]
    if imp.problems:
        raise XLSFormError(imp.problems)
    _check(imp, definition)
    return definition


def definition_yaml(definition: dict) -> str:
    """The YAML text of a definition dict, Vietnamese kept readable."""
    return yaml.safe_dump(definition, allow_unicode=True, sort_keys=False, width=100)


# Our key -> the XLSForm column holding it.
_COLUMN_OF = {"label": "label", "title": "label", "hint": "hint", "intro": "hint",
              "explain": "guidance_hint", "constraint_message": "constraint_message"}
_FIELD = re.compile(r"^elements\[(?P<element>[^\]]+)\](?:\.questions\[(?P<question>[^\]]+)\])?")


def _check(imp: _Import, definition: dict) -> None:
    """Load the result with our loader; its problems are placed back on survey rows."""
    try:
        load_definition(f"{imp.file}.yaml", text=definition_yaml(definition))
    except DefinitionError as exc:
        out = []
        for problem in exc.problems:
            m = _FIELD.match(problem.field or "")
            row = None
            if m and m.group("question"):
                row = imp.rows_of.get(("question", m.group("question")))
            elif m:
                row = imp.rows_of.get(("element", m.group("element")))
            top = (problem.field or "").split(".")[0]
            if row:
                place = _Place("survey", row)
            elif top in ("id", "version", "title"):
                place = _Place("settings", 2)
            elif top in ("analysis", "description", "languages"):
                place = _Place(EXTRA_SHEET)
            else:
                place = _Place("survey")
            lang = re.search(r"\((\w+)\)$", problem.message)
            base = _COLUMN_OF.get((problem.field or "").rsplit(".", 1)[-1])
            if lang and base and (row or top == "title"):
                place.column = language_column("form_title" if top == "title" else base,
                                               lang.group(1))
            what = f"{problem.field}: " if problem.field else ""
            out.append(f"{imp.file}: {place}: {what}{problem.message}")
        raise XLSFormError(out) from None
