"""Checking the form part of a definition: header, choice lists, elements and questions.

Each function reports problems to the :class:`~.validation.Checker` and returns the
normalised (canonical) value, or None where the value is unusable.
"""

from __future__ import annotations

import re
from typing import Any

from .messages import N_

from .types import question_type, type_names
from .validation import At, Checker, is_int
from .validation_analysis import check_analysis

QUESTIONNAIRE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
CHOICE_VALUE_RE = re.compile(r"^[A-Za-z0-9_]+$")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")

TOP_KEYS = {"id", "version", "languages", "title", "description", "choice_lists", "elements",
            "analysis"}
TOP_REQUIRED = {"id", "version", "languages", "title", "elements"}
ELEMENT_KEYS = {"id", "title", "intro", "relevant", "questions"}
CHOICE_KEYS = {"value", "label", "explain"}
BASE_KEYS = {"id", "type", "label", "hint", "explain", "relevant"}
ANSWER_KEYS = {"required", "constraint", "constraint_message"}


def _all_question_keys() -> set[str]:
    # From the registry each time: a type registered later brings its own keys.
    return BASE_KEYS | ANSWER_KEYS | set().union(*(question_type(t).keys for t in type_names()))


def check_definition(c: Checker) -> dict[str, Any] | None:
    """Check a whole document; return the canonical dict (meaningful only without problems)."""
    data, root = c.doc.data, At()
    if not c.mapping(root, data, TOP_KEYS, TOP_REQUIRED, N_("the definition")):
        return None
    out: dict[str, Any] = {"id": data.get("id")}
    if "id" in data and not (isinstance(data["id"], str) and QUESTIONNAIRE_ID_RE.match(data["id"])):
        c.report(root.key("id"), N_("questionnaire id %(id)s must use lowercase letters, digits, "
                                    "'_' and '-'", id=repr(data["id"])))
    out["version"] = _version(c, root.key("version"), data.get("version"))
    # Languages first: every text below is checked against them.
    out["languages"] = _languages(c, root.key("languages"), data.get("languages"))
    out["title"] = c.text(root.key("title"), data.get("title"))
    if data.get("description") is not None:
        out["description"] = c.text(root.key("description"), data["description"])
    lists = _choice_lists(c, root.key("choice_lists"), data.get("choice_lists"))
    out["elements"] = _elements(c, root.key("elements"), data.get("elements"), lists)
    out["analysis"] = check_analysis(c, root.key("analysis"), data.get("analysis"))
    c.check_references()
    return out


def _version(c: Checker, at: At, value: object) -> str | None:
    if value is None:
        return None
    raw = c.doc.raw.get(at.path)  # keeps "2017.10" as written, not the float 2017.1
    text = raw if raw is not None and not isinstance(value, (str, list, dict)) else value
    if not isinstance(text, str) or not text.strip():
        c.report(at, N_("version must be text, e.g. \"2017.1\""))
        return None
    return text.strip()


def _languages(c: Checker, at: At, value: object) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        c.report(at, N_("languages must be a list such as [vi, en]"))
        return None
    langs: list[str] = []
    for i, lang in enumerate(value):
        if not isinstance(lang, str) or not LANG_RE.match(lang):
            c.report(at.item(i, lang), N_("%(code)s is not a language code such as 'vi' or 'en'",
                                          code=repr(lang)))
        elif lang in langs:
            c.report(at.item(i, lang), N_("language '%(code)s' is listed twice", code=lang))
        else:
            langs.append(lang)
    if "vi" not in langs:
        c.report(at, N_("languages must include 'vi' (Vietnamese), first"))
    elif langs[0] != "vi":
        c.report(at, N_("'vi' (Vietnamese) must be the first language"))
    c.languages = ["vi"] + [lang for lang in langs if lang != "vi"]
    return langs


def _choice_lists(c: Checker, at: At, value: object) -> dict[str, list | None]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.report(at, N_("choice_lists must map list names to lists of choices"))
        return {}
    lists = {}
    for name, choices in value.items():
        if c.ident(at.key(name), name, N_("choice list")):
            lists[name] = _choices(c, at.key(name), choices)
    return lists


def _choices(c: Checker, at: At, value: object) -> list | None:
    if not isinstance(value, list) or not value:
        c.report(at, N_("choices must be a non-empty list of {value: ..., label: ...}"))
        return None
    out, seen = [], {}
    for i, choice in enumerate(value):
        item = at.item(i, choice)
        if not c.mapping(item, choice, CHOICE_KEYS, {"value", "label"}, N_("a choice")):
            continue
        v = choice.get("value")
        if (isinstance(v, str) and CHOICE_VALUE_RE.match(v)) or is_int(v):
            # Values are compared as strings when answers arrive from forms: 1 and '1' clash.
            if str(v) in seen:
                c.report(item.key("value"), N_("duplicate choice value '%(value)s' (first on line %(first)s)",
                                             value=v, first=seen[str(v)]))
            seen.setdefault(str(v), c.doc.line(item.key("value").path))
        elif "value" in choice:
            c.report(item.key("value"), N_("choice value %(value)s must be a whole number or text of "
                                         "letters, digits and '_'", value=repr(v)))
        norm = {"value": v, "label": c.text(item.key("label"), choice.get("label"))}
        if choice.get("explain") is not None:
            norm["explain"] = c.text(item.key("explain"), choice["explain"])
        out.append(norm)
    return out


def _elements(c: Checker, at: At, value: object, lists: dict) -> list:
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        c.report(at, N_("elements must be a non-empty list of sections"))
        return []
    out, seen = [], {}
    for i, element in enumerate(value):
        item = at.item(i, element)
        if not c.mapping(item, element, ELEMENT_KEYS, {"id", "title", "questions"}, N_("an element")):
            continue
        eid = element.get("id")
        if "id" in element:
            c.unique_ident(item.key("id"), eid, N_("element"), seen)
        norm = {"id": eid, "title": c.text(item.key("title"), element.get("title"))}
        if element.get("intro") is not None:
            norm["intro"] = c.text(item.key("intro"), element["intro"])
        questions = element.get("questions")
        if "questions" in element and (not isinstance(questions, list) or not questions):
            c.report(item.key("questions"), N_("element has no questions"))
            questions = []
        qat = item.key("questions")
        norm["questions"] = [q for j, raw in enumerate(questions or [])
                             if (q := _question(c, qat.item(j, raw), raw, lists, eid)) is not None]
        own = {q.get("id") for q in questions or [] if isinstance(q, dict)}
        if element.get("relevant") is not None:
            norm["relevant"] = c.expression(item.key("relevant"), element["relevant"],
                                            {"same_page": own})
        out.append(norm)
    return out


def _question(c: Checker, at: At, raw: object, lists: dict, element_id: object) -> dict | None:
    qtype = raw.get("type") if isinstance(raw, dict) else None
    entry = question_type(qtype) if isinstance(qtype, str) and qtype in type_names() else None
    every = _all_question_keys()
    allowed = BASE_KEYS | ((ANSWER_KEYS if entry.answerable else set()) | entry.keys
                           if entry is not None else every)
    if not c.mapping(at, raw, allowed, {"id", "type", "label"}, N_("a question"),
                     misplaced=every - allowed, kind=str(qtype)):
        return None
    if "type" in raw and entry is None:
        c.report(at.key("type"), N_("unknown question type %(type)s (expected one of: %(known)s)",
                                      type=repr(qtype), known=", ".join(type_names())))
    qid = raw.get("id")
    if "id" in raw and c.ident(at.key("id"), qid, N_("question")):
        if qid in c.questions:
            c.report(at.key("id"), N_("duplicate question id '%(id)s' (first defined on line %(first)s)",
                                          id=qid, first=c.questions[qid]["_line"]))
        else:
            c.questions[qid] = {"type": qtype, "_line": c.doc.line(at.key("id").path)}
    q: dict[str, Any] = {"id": qid, "type": qtype, "label": c.text(at.key("label"), raw.get("label"))}
    for key in ("hint", "explain", "constraint_message"):
        if raw.get(key) is not None:
            q[key] = c.text(at.key(key), raw[key])
    if raw.get("relevant") is not None:
        q["relevant"] = c.expression(at.key("relevant"), raw["relevant"], {"self": qid})
    if raw.get("constraint") is not None:
        q["constraint"] = c.expression(at.key("constraint"), raw["constraint"],
                                       {"this_allowed": True})
        if raw.get("constraint_message") is None:
            c.report(at.key("constraint"), N_("a constraint needs a constraint_message "
                                                 "telling the respondent what is wrong"))
    elif raw.get("constraint_message") is not None:
        c.report(at.key("constraint_message"), N_("constraint_message without a constraint"))
    if entry is not None and entry.answerable:
        q["required"] = _required(c, at.key("required"),
                                  raw.get("required", entry.default_required))
    if entry is not None and entry.check is not None:
        entry.check(c, at, raw, q, lists)
    return q


def _required(c: Checker, at: At, value: object) -> bool | str | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return c.expression(at, value, {"this_allowed": True})
    c.report(at, N_("required must be true, false or a condition"))
    return None


def question_choices(c: Checker, at: At, raw: dict, lists: dict) -> list | None:
    """The choices of a question: inline, or the named choice list."""
    value = raw.get("choices")
    if "choices" not in raw:
        c.report(at, N_("missing key '%(key)s'", key="choices"))
        return None
    if isinstance(value, str):
        if value not in lists:
            c.report(at, N_("choice list '%(name)s' is not defined", name=value))
        return lists.get(value)
    return _choices(c, at, value)
