"""The survey sheet walked row by row into elements and questions (or refusals)."""

from __future__ import annotations

import re

from ..expression_parser import parse_tree
from .common import MARK, MARK_KEYS, SCALE_LIST, SCALE_NA_LIST, YESNO_LIST
from .places import clean, header_base, Import, Place, texts
from .xpath import XPathError, from_xpath, to_xpath
from ..messages import N_, Text, plain

# Presentation only: our pages have one layout, so nothing is lost.
IGNORED_COLUMNS = {"appearance"}
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


class SurveySheet:
    """The survey sheet walked row by row into elements."""

    def __init__(self, imp: Import, lists: dict, title: dict):
        self.imp, self.lists, self.title = imp, lists, title
        self.elements: list[dict] = []
        self.group: dict | None = None
        self.loose = 0
        self.nested = 0       # refused groups inside a group, still open
        self.types: dict = {}
        self.rows: list[tuple[int, dict, str]] = []

    def normalise(self, row: dict) -> dict:
        return {k: v for k, v in row.items() if clean(v)}

    def scan(self, rows) -> None:
        """First pass: the type of every question, for translating conditions."""
        for i, row in enumerate(rows or (), start=2):
            row = self.normalise(row)
            if not row:
                continue
            cols = {header_base(k)[0]: k for k in row}
            raw_type = re.sub(r"\s+", " ", clean(row.get(cols.get("type", ""), "")).lower())
            match = _SELECT.match(raw_type)
            kind = raw_type if match else raw_type.replace(" ", "_")
            self.rows.append((i, row, kind))
            name = clean(row.get(cols.get("name", ""), ""))
            ours = self.our_type(kind, clean(row.get(cols.get(MARK + "type", ""), "")))
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
                self.imp.report(Place("survey", number, "type"), N_("repeats are not supported "
                                   "(a questionnaire asks each question once)"))
                repeat_depth = 1
                continue
            self.row(number, row, kind)
        if self.group is not None:
            self.imp.report(Place("survey", self.group["_row"], "type"),
                            N_("begin_group without end_group"))
        for element in self.elements:
            element.pop("_loose", None)
            element.pop("_row", None)

    def row(self, number: int, row: dict, kind: str) -> None:
        imp = self.imp
        cols = {header_base(k)[0]: k for k in row}
        name = clean(row.get(cols.get("name", ""), ""))
        for header, value in row.items():
            if "pulldata(" in clean(value).replace(" ", ""):
                imp.report(Place("survey", number, header), N_("pulldata() reads data from "
                              "outside the form; not supported"))
        if kind == "begin_group":
            if self.group is not None:
                imp.report(Place("survey", number, "type"), N_("groups inside groups are not "
                              "supported (each group is one page)"))
                self.nested += 1
                return
            self.group = {"id": name, "title": texts(imp, row, "survey", number, "label"),
                          "_row": number}
            intro = texts(imp, row, "survey", number, "hint")
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
                imp.report(Place("survey", number, "type"), N_("end_group without begin_group"))
            self.group = None
            return
        ours = self.types.get(name) if name else None
        if ours is None:
            self.refuse_type(number, row, cols, kind)
            return
        q = {"id": name, "type": ours, "label": texts(imp, row, "survey", number, "label")}
        imp.rows_of[("question", name)] = number
        for base, key in (("hint", "hint"), ("guidance_hint", "explain"),
                          ("constraint_message", "constraint_message")):
            text = texts(imp, row, "survey", number, base)
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
        shown = clean(row.get(cols.get("type", ""), "")) or "(empty)"
        place = Place("survey", number, "type")
        if not clean(row.get(cols.get("name", ""), "")) and kind:
            self.imp.report(Place("survey", number, "name"), N_("a question needs a name"))
        elif kind in METADATA_TYPES:
            self.imp.report(place, N_("metadata '%(type)s' is not collected: responses are "
                               "anonymous and carry no device, phone or time stamps", type=shown))
        elif kind == "calculate":
            self.imp.report(place, N_("calculate is not supported (the format has no computed "
                               "values)"))
        elif _SELECT.match(kind) and _SELECT.match(kind).group("other"):
            self.imp.report(place, N_("'%(type)s': or_other is not supported; add an 'other' "
                               "choice and a text question shown when it is chosen", type=shown))
        elif kind.startswith(("select_one_from_file", "select_multiple_from_file",
                              "select_one_external")):
            self.imp.report(place, N_("'%(type)s': choices from outside the workbook are not "
                               "supported", type=shown))
        else:
            self.imp.report(place, N_("type '%(type)s' is not supported (supported: "
                               "select_one, select_multiple, integer, text, note, begin_group, "
                               "end_group)", type=shown))

    def options(self, number, row, cols, kind, q, allowed) -> None:
        """Choices, bounds and lengths of a question."""
        imp, ours = self.imp, q["type"]
        marks = {k: clean(row[cols[MARK + k]]) for k in MARK_KEYS if MARK + k in cols}
        match = _SELECT.match(kind)
        if match:
            name = match.group("list")
            choices = self.lists.get(name)
            if choices is None:
                imp.report(Place("survey", number, "type"), N_("choice list '%(name)s' is not "
                              "on the choices sheet", name=name))
                return
            values = [c["value"] for c in choices]
            if ours == "scale":
                if values[:5] != [1, 2, 3, 4, 5] or values[5:] not in (
                        [], ["na"], ["not_applicable"], ["not_applicable", "na"]):
                    imp.report(Place("survey", number, MARK + "type"), N_("a scale's list must "
                                  "be 1, 2, 3, 4, 5 (then not_applicable, na or both), as %(list)s or "
                                  "%(list_na)s", list=SCALE_LIST, list_na=SCALE_NA_LIST))
                q["na"] = "na" in values
                if "not_applicable" in values:
                    q["not_applicable"] = True
            elif ours == "yesno":
                if values != ["true", "false"]:
                    imp.report(Place("survey", number, MARK + "type"), N_("a yes/no question's "
                                  "list must be true, false (as %(list)s)", list=YESNO_LIST))
            else:
                q["choices"] = [dict(c) for c in choices]
        allowed |= {MARK + k for k in {"integer": ("min", "max"), "text": ("max_length",),
                                       "multiple": ("min_choices", "max_choices")}.get(ours, ())}
        for key in ("min", "max", "max_length", "min_choices", "max_choices"):
            if key in marks and MARK + key in allowed:
                try:
                    q[key] = int(float(marks[key]))
                except ValueError:
                    imp.report(Place("survey", number, cols[MARK + key]), N_("must be a whole number"))
        if ours == "integer" and ("min" not in q or "max" not in q):
            bounds = _BOUNDS.match(clean(row.get(cols.get("constraint", ""), "")))
            if bounds and "constraint" in cols and MARK + "constraint" not in cols:
                q["min"], q["max"] = int(bounds.group(1)), int(bounds.group(2))
                row.pop(cols["constraint"])
                cols.pop("constraint")
            else:
                imp.report(Place("survey", number, "type"), N_("an integer question needs "
                              "bounds: a constraint '. >= 0 and . <= 100' or the columns "
                              "%(min)s and %(max)s", min=MARK + "min", max=MARK + "max"))

    def columns(self, number, row, allowed) -> None:
        for header in row:
            base = header_base(header)[0]
            if base in allowed or base in IGNORED_COLUMNS:
                continue
            if base == "choice_filter":
                message = N_("choice_filter is not supported (choice lists are not filtered)")
            elif base in ("image", "audio", "video", "big-image") or base.startswith("media"):
                message = N_("media are not supported")
            elif base == "calculation":
                message = N_("calculations are not supported")
            else:
                message = N_("column '%(column)s' is not supported", column=header)
            self.imp.report(Place("survey", number, header), message)

    def conditions(self, number, row, cols, target, this, keys) -> None:
        for key in keys:
            if key not in cols:
                continue
            text = clean(row[cols[key]])
            if key == "required" and text.lower() in _TRUE | _FALSE:
                target["required"] = text.lower() in _TRUE
                continue
            ours = clean(row.get(cols.get(MARK + key, ""), ""))
            try:
                if ours and _same(to_xpath(parse_tree(ours), self.types, this), text):
                    target[key] = ours
                else:
                    target[key] = from_xpath(text, self.types, this)
            except (XPathError, ValueError) as exc:
                self.imp.report(Place("survey", number, cols[key]),
                                N_("cannot carry '%(text)s': %(error)s", text=text,
                                   error=_reason(exc)))
        if "required" in keys and "required" not in cols and target.get("type") != "note":
            target["required"] = False       # an empty required cell means not required


def _same(a: str, b: str) -> bool:
    return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


def _reason(exc: Exception) -> Text:
    """Why a condition cannot be carried: the message of an XPath or expression error."""
    message = getattr(exc, "message", None) or (exc.args[0] if exc.args else None)
    return message if isinstance(message, Text) else plain("%(error)s", error=str(exc))
