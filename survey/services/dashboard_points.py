"""PAR Index survey points of one unit, as the dashboard shows them beside its indices.

Plain data from ``result.points`` (computed by :mod:`analysis.sipas.points` from the
definition's ``analysis.par_points`` table) and the points rankings, which follow the
rules of every ranking: units of the same kind under the same parent only.
"""

from __future__ import annotations

from analysis.report.formatting import finite_number
from analysis.sipas import SipasResult

from .dashboard import rank


def unit_points(result: SipasResult, unit_code: str, questionnaire, lang: str) -> dict | None:
    """Components (index, points out of the maximum, rank) and total; None without a table."""
    table = questionnaire.analysis.par_points
    points = getattr(result, "points", None)
    if table is None or points is None or not len(points):
        return None
    mine = points[points["unit_code"] == unit_code]
    rows = {str(r["id"]): r for r in mine.to_dict("records")}
    labels = {e.id: questionnaire.text(e.label, lang) for e in questionnaire.analysis.elements}

    def item(cid: str, label: str, index_label: str, top: float) -> dict:
        row = rows.get(cid) or {}
        status = row.get("status") or "no_data"
        return {"id": cid, "label": label, "index_label": index_label,
                "index": finite_number(row.get("index_value")),
                "points": finite_number(row.get("value")),
                "max_points": float(top), "suppressed": status == "small_sample",
                "rank": rank(result, unit_code, "points", cid)}

    comps = [item(c.id, questionnaire.text(c.label, lang),
                  labels.get(c.index, ""), c.max_points) for c in table.components]
    return {"edition": table.edition, "source": questionnaire.text(table.source, lang),
            "components": comps, "total": item("total", "", "", table.max_total)}
