"""Checking the ``analysis`` block: criteria, weights, method, overall, indicators.

Runs after the form has been checked, so every question id and type is known.
"""

from __future__ import annotations

from typing import Any

from .par_points import check_par_points
from .messages import N_, plain
from .validation import At, Checker, is_int, is_positive_number

ANALYSIS_KEYS = {"satisfied", "method", "overall", "elements", "indicators", "expectations",
                 "overall_question", "par_points"}
ELEMENT_KEYS = {"id", "label", "weight", "criteria", "overall_question"}
CRITERION_KEYS = {"question", "weight"}
INDICATOR_KEYS = {"id", "label", "when", "among", "direction"}
METHODS = ("share", "mean100")
DIRECTIONS = ("lower", "higher")


def check_analysis(c: Checker, at: At, value: object) -> dict[str, Any]:
    """Check the analysis block; return its canonical form with defaults filled in."""
    out: dict[str, Any] = {"satisfied": [4, 5], "method": "share", "overall": "mean_of_elements",
                           "elements": [], "indicators": []}
    if value is None:
        return out
    if not c.mapping(at, value, ANALYSIS_KEYS, set(), plain("analysis")):
        return out
    if "satisfied" in value:
        sat = value["satisfied"]
        if (not isinstance(sat, list) or not sat or len(set(map(str, sat))) != len(sat)
                or not all(is_int(v) and 1 <= v <= 5 for v in sat)):
            c.report(at.key("satisfied"), N_("satisfied must be a list of distinct scale values "
                                               "1-5, e.g. [4, 5]"))
        else:
            out["satisfied"] = sorted(sat)
    if "method" in value:
        if value["method"] not in METHODS:
            c.report(at.key("method"), N_("method must be 'share' or 'mean100', not %(value)s",
                                            value=repr(value["method"])))
        out["method"] = value["method"]
    if "overall" in value:
        overall = value["overall"]
        if overall != "mean_of_elements":
            _scale_question(c, at.key("overall"), overall, "overall",
                            N_("overall must be 'mean_of_elements' or the id of a scale question"))
        out["overall"] = overall
    out["elements"] = _elements(c, at.key("elements"), value.get("elements"))
    out["indicators"] = _indicators(c, at.key("indicators"), value.get("indicators"))
    if value.get("expectations") is not None:
        qid = value["expectations"]
        if not isinstance(qid, str):
            c.report(at.key("expectations"), N_("expectations must be the id of a multiple-choice question"))
        elif qid not in c.questions:
            c.report(at.key("expectations"), N_("expectations refers to unknown question '%(id)s'", id=qid))
        elif c.questions[qid]["type"] != "multiple":
            c.report(at.key("expectations"),
                     N_("expectations question '%(id)s' is not a multiple-choice question", id=qid))
        out["expectations"] = qid
    if value.get("overall_question") is not None:
        # The overall satisfaction question: reported beside the index, and the outcome of
        # the key-drivers model (needed once a form has other scale questions of its own).
        _scale_question(c, at.key("overall_question"), value["overall_question"],
                        "overall_question", N_("overall_question must be the id of a scale question"))
        out["overall_question"] = value["overall_question"]
    if value.get("par_points") is not None:
        ids = [e.get("id") for e in value.get("elements") or () if isinstance(e, dict)]
        points = check_par_points(c, at.key("par_points"), value["par_points"], ids)
        if points is not None:
            out["par_points"] = points
    return out


def _scale_question(c: Checker, at: At, qid: object, what: str, bad_type: str) -> None:
    """Report unless ``qid`` names an existing scale question."""
    if not isinstance(qid, str):
        c.report(at, bad_type)
    elif qid not in c.questions:
        c.report(at, N_("%(key)s refers to unknown question '%(id)s'", key=what, id=qid))
    elif c.questions[qid]["type"] != "scale":
        c.report(at, N_("%(key)s '%(id)s' is not a scale question", key=what, id=qid))


def _weight(c: Checker, at: At, holder: dict) -> float:
    weight = holder.get("weight", 1)
    if not is_positive_number(weight):
        c.report(at.key("weight"), N_("weight must be a positive number, not %(value)s",
                                              value=repr(weight)))
    return weight


def _elements(c: Checker, at: At, value: object) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        c.report(at, N_("analysis elements must be a list"))
        return []
    out, seen = [], {}
    for i, element in enumerate(value):
        item = at.item(i, element)
        if not c.mapping(item, element, ELEMENT_KEYS, {"id", "label", "criteria"},
                         N_("an analysis element")):
            continue
        eid = element.get("id")
        if "id" in element:
            c.unique_ident(item.key("id"), eid, N_("analysis element"), seen)
        norm = {"id": eid, "label": c.text(item.key("label"), element.get("label")),
                "weight": _weight(c, item, element),
                "criteria": _criteria(c, item.key("criteria"), element, eid)}
        if element.get("overall_question") is not None:
            norm["overall_question"] = element["overall_question"]
            _scale_question(c, item.key("overall_question"), element["overall_question"],
                            "overall_question", "overall_question must be a scale question id")
        out.append(norm)
    return out


def _criteria(c: Checker, at: At, element: dict, eid: object) -> list:
    value = element.get("criteria")
    if "criteria" not in element:
        return []  # reported as a missing key
    if not isinstance(value, list) or not value:
        c.report(at, N_("element '%(id)s' has no criteria", id=eid))
        return []
    out, seen = [], set()
    for i, criterion in enumerate(value):
        item = at.item(i, criterion)
        if isinstance(criterion, dict):
            if not c.mapping(item, criterion, CRITERION_KEYS, {"question"}, N_("a criterion")):
                continue
            qid, weight = criterion.get("question"), _weight(c, item, criterion)
        else:
            qid, weight = criterion, 1
        if not isinstance(qid, str):
            c.report(item, N_("a criterion must be a question id or {question: id, weight: n}"))
            continue
        if qid in seen:
            c.report(item, N_("criterion '%(id)s' is listed twice in element '%(element)s'",
                                 id=qid, element=eid))
        seen.add(qid)
        if qid not in c.questions:
            c.report(item, N_("criterion refers to unknown question '%(id)s'", id=qid))
        elif c.questions[qid]["type"] != "scale":
            c.report(item, N_("criterion '%(id)s' is not a scale question", id=qid))
        out.append({"question": qid, "weight": weight})
    return out


def _indicators(c: Checker, at: At, value: object) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        c.report(at, N_("indicators must be a list"))
        return []
    out, seen = [], {}
    for i, indicator in enumerate(value):
        item = at.item(i, indicator)
        if not c.mapping(item, indicator, INDICATOR_KEYS, {"id", "label", "when", "direction"},
                         N_("an indicator")):
            continue
        iid = indicator.get("id")
        if "id" in indicator:
            c.unique_ident(item.key("id"), iid, N_("indicator"), seen)
        direction = indicator.get("direction")
        if "direction" in indicator and direction not in DIRECTIONS:
            c.report(item.key("direction"),
                     N_("direction must be 'lower' or 'higher' (which is better), not %(value)s",
                        value=repr(direction)))
        norm = {"id": iid, "label": c.text(item.key("label"), indicator.get("label")),
                "when": c.expression(item.key("when"), indicator.get("when"), {}),
                "direction": direction}
        if indicator.get("among") is not None:
            norm["among"] = c.expression(item.key("among"), indicator["among"], {})
        out.append(norm)
    return out
