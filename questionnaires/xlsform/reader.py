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

import yaml

from ..loader import DefinitionError, load_definition
from ..messages import N_, plain
from .common import CHOICE_EXPLAIN, EXTRA_SHEET, language_code, language_column
from .places import XLSFormError, header_base, clean, Import, Place, texts, typed_value
from .survey_sheet import SurveySheet

__all__ = ["XLSFormError", "read_xlsform", "definition_yaml"]


def _read_choices(imp: Import, rows) -> dict[str, list]:
    lists: dict[str, list] = {}
    for i, row in enumerate(rows or (), start=2):
        row = {k: v for k, v in row.items() if clean(v)}
        if not row:
            continue
        keys = {header_base(k)[0]: k for k in row}
        name_col = keys.get("list_name") or keys.get("list name")
        if name_col is None or "name" not in keys:
            imp.report(Place("choices", i), N_("a choice needs list_name and name"))
            continue
        for header in row:
            b = header_base(header)[0]
            if b in ("image", "audio", "video", "big-image", "media") or b.startswith("media::"):
                imp.report(Place("choices", i, header), N_("media are not supported"))
        choice = {"value": typed_value(clean(row[keys["name"]])),
                  "label": texts(imp, row, "choices", i, "label") or {}}
        explain = {h[len(CHOICE_EXPLAIN):].lower(): clean(v) for h, v in row.items()
                   if h.lower().startswith(CHOICE_EXPLAIN)}
        if explain:
            choice["explain"] = explain
        lists.setdefault(clean(row[name_col]), []).append(choice)
    return lists


def _settings(rows) -> tuple[dict, dict]:
    """The settings row by column name, and the row as written (for form_title::lang)."""
    row = (rows or [{}])[0]
    return {header_base(k)[0]: clean(v) for k, v in row.items() if clean(v)}, row


def _extra_sheet(path: str, imp: Import) -> dict:
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
            if not row or not clean(row[0]):
                continue
            try:
                out[clean(row[0])] = yaml.safe_load(clean(row[1] if len(row) > 1 else ""))
            except yaml.YAMLError as exc:
                imp.report(Place(EXTRA_SHEET, i, "value"), N_("not YAML: %(error)s", error=str(exc).splitlines()[0]))
        return out
    finally:
        book.close()


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
    imp = Import(file)
    try:
        data = get_xlsform(os.fspath(path))
    except (PyXFormError, OSError, ValueError, KeyError) as exc:
        raise XLSFormError([N_("%(file)s: cannot read the workbook: %(error)s", file=file, error=str(exc))]) from None
    except Exception as exc:  # a damaged file may fail anywhere inside the readers
        raise XLSFormError([N_("%(file)s: cannot read the workbook (%(error)s)", file=file,
                                      error=type(exc).__name__)]) from None
    if not data.survey:
        raise XLSFormError([N_("%(file)s: the workbook has no survey sheet", file=file)])
    extra = _extra_sheet(os.fspath(path), imp)
    for key, kind in (("title", dict), ("description", dict), ("analysis", dict),
                      ("languages", list)):
        if key in extra and not isinstance(extra[key], kind):
            imp.report(Place(EXTRA_SHEET, None, key), N_("%(key)s must be a mapping", key=key) if kind is dict
                       else N_("%(key)s must be a list", key=key))
            extra.pop(key)
    if not all(isinstance(lang, str) for lang in extra.get("languages", [])):
        imp.report(Place(EXTRA_SHEET, None, "languages"), N_("languages must be codes such as vi"))
        extra.pop("languages")
    settings, settings_row = _settings(data.settings)
    if settings.get("default_language"):
        code = language_code(settings["default_language"])
        if code is None:
            imp.report(Place("settings", 2, "default_language"), N_("language '%(name)s' has no code: write 'Name (code)'",
                          name=settings["default_language"]))
        else:
            imp.default_lang = code
    lists = _read_choices(imp, data.choices)
    form_id = settings.get("form_id") or (data.fallback_form_name or "form")
    title = extra.get("title") or texts(imp, settings_row, "settings", 2, "form_title") \
        or {imp.default_lang: form_id}
    survey = SurveySheet(imp, lists, title)
    survey.scan(data.survey)
    survey.walk()
    langs = extra.get("languages") or imp.langs or [imp.default_lang]
    if "vi" not in langs:
        imp.report(Place("survey"), N_("no Vietnamese text: add columns such as "
                   "label::Tiếng Việt (vi) (Vietnamese comes first in this platform)"))
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


def _check(imp: Import, definition: dict) -> None:
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
                place = Place("survey", row)
            elif top in ("id", "version", "title"):
                place = Place("settings", 2)
            elif top in ("analysis", "description", "languages"):
                place = Place(EXTRA_SHEET)
            else:
                place = Place("survey")
            lang = re.search(r"\((\w+)\)$", str(problem.message))
            base = _COLUMN_OF.get((problem.field or "").rsplit(".", 1)[-1])
            if lang and base and (row or top == "title"):
                place.column = language_column("form_title" if top == "title" else base,
                                               lang.group(1))
            out.append(plain("%(file)s: %(place)s: %(field)s: %(message)s", file=imp.file,
                             place=place.text(), field=problem.field, message=problem.message)
                       if problem.field else
                       plain("%(file)s: %(place)s: %(message)s", file=imp.file,
                             place=place.text(), message=problem.message))
        raise XLSFormError(out) from None
