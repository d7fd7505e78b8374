"""Which estimates of two waves may be compared: the same id *and* the same definition.

A criterion, element, overall index, indicator or expectation share is matched between
two waves by its ``(kind, id)`` only when what it measures is defined identically in both
questionnaires. Wording does not count (labels, hints and explanations may be edited); what
counts is what goes into the number:

* a criterion or single question: its type, choice codes, "not applicable" option and the
  analysis' satisfied codes and method;
* an element: its criteria (each with its weight and own signature);
* the overall index: every element with its weight, and the combination rule (or the
  overall question's signature);
* an indicator: its ``when`` and ``among`` conditions and the signatures of the questions
  they read;
* an expectation share: the expectations question's signature.

So the desk form's ``overall`` built from three criteria is *not comparable* with the full
survey's ``overall`` of twenty, although both are called ``overall``.

Signatures are short hashes stored in ``SipasResult.meta["signatures"]`` as
``{"kind|id": hash}`` so that saved results can be compared later as well.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

import pandas as pd

__all__ = ["comparable_keys", "restrict_previous", "signatures"]


def _hash(value) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _question(questionnaire, qid: str | None):
    if qid is None:
        return None
    q = questionnaire.questions.get(qid)
    if q is None:
        return {"id": qid, "missing": True}
    return {"id": qid, "type": q.type, "choices": [str(c.value) for c in q.choices],
            "na": bool(q.na), "min": q.min, "max": q.max}


def _refs(expr) -> list[str]:
    return [] if expr is None else sorted(expr.references)


def signatures(questionnaire) -> dict[str, str]:
    """Return ``{"kind|id": signature}`` of every estimate ``questionnaire`` can produce."""
    spec = questionnaire.analysis
    scoring = {"satisfied": sorted(spec.satisfied), "method": spec.method}
    out: dict[str, str] = {}
    element_defs = []
    for element in spec.elements:
        criteria = []
        for c in element.criteria:
            sig = {"q": _question(questionnaire, c.question), **scoring}
            out[f"criterion|{c.question}"] = _hash(sig)
            criteria.append({"sig": sig, "weight": float(c.weight)})
        if element.overall_question:
            out[f"question|{element.overall_question}"] = _hash(
                {"q": _question(questionnaire, element.overall_question), **scoring})
        definition = {"criteria": criteria}
        out[f"element|{element.id}"] = _hash(definition)
        element_defs.append({"element": definition, "weight": float(element.weight)})
    if spec.overall == "mean_of_elements":
        overall = {"rule": "mean_of_elements", "elements": element_defs}
    else:
        overall = {"rule": "question", "q": _question(questionnaire, spec.overall), **scoring}
        out[f"question|{spec.overall}"] = _hash(overall)
    out["overall|overall"] = _hash(overall)
    for indicator in spec.indicators:
        refs = sorted(set(_refs(indicator.when)) | set(_refs(indicator.among)))
        out[f"indicator|{indicator.id}"] = _hash({
            "when": indicator.when.source, "among": None if indicator.among is None
            else indicator.among.source, "direction": indicator.direction,
            "questions": [_question(questionnaire, r) for r in refs]})
    if spec.expectations:
        q = _question(questionnaire, spec.expectations)
        for value in (q or {}).get("choices") or []:
            out[f"expectation|{value}"] = _hash({"q": q, "value": value})
    points = getattr(spec, "par_points", None)
    if points is not None:
        # PAR Index points follow their index and the edition's mapping (labels aside).
        table = points.to_dict()
        parts = []
        for comp in table["components"]:
            source = "overall|overall" if comp["index"] == "overall" else f"element|{comp['index']}"
            mapping = {k: v for k, v in comp.items() if k != "label"}
            sig = _hash({"index": out.get(source), "mapping": mapping, "edition": table["edition"]})
            out[f"points|{comp['id']}"] = sig
            parts.append(sig)
        out["points|total"] = _hash({"components": parts})
    return out


def comparable_keys(current: Mapping | None, previous: Mapping | None) -> set[tuple[str, str]] | None:
    """The ``(kind, id)`` whose definitions are identical in two results' ``meta``.

    ``current`` and ``previous`` are result ``meta`` dicts. Results computed before
    signatures were recorded are compared whole: everything when both used the same
    questionnaire content, nothing otherwise. Returns None when neither is known (no
    restriction can be derived).
    """
    if current is None or previous is None:
        return None
    now, before = current.get("signatures"), previous.get("signatures")
    if now is not None and before is not None:
        return {tuple(key.split("|", 1)) for key, sig in now.items() if before.get(key) == sig}
    h1 = (current.get("questionnaire") or {}).get("content_hash")
    h0 = (previous.get("questionnaire") or {}).get("content_hash")
    if h1 and h0 and h1 == h0 and now is not None:
        return {tuple(key.split("|", 1)) for key in now}
    if h1 and h0 and h1 != h0:
        return set()
    return None


def restrict_previous(table: pd.DataFrame | None, comparable: Iterable[tuple[str, str]] | None):
    """Drop from a previous wave's long table the rows whose definition changed."""
    if table is None or comparable is None or not len(table):
        return table
    keys = set(comparable)
    mask = [(k, i) in keys for k, i in zip(table["kind"], table["id"].astype(str))]
    return table[mask]
