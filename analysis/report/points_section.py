"""The PAR Index points section of the report: a unit's indices as survey points.

A mixin of :class:`analysis.report.context._Builder`, like :mod:`.sections`. The points
come from ``result.points`` (see :mod:`analysis.sipas.points`); the table that makes them
is the definition's ``analysis.par_points``, named with its edition and source.
"""

from __future__ import annotations

from .formatting import fmt_int, fmt_number, plain_record
from .unit_rows import unit_records


class PointsSection:
    """The PAR points table (mixed into the report builder)."""

    def par_points(self) -> dict | None:
        """Per component: the index, its points out of the maximum and the rank of the
        points among the units of the same kind under the same parent; then the total."""
        table = getattr(self.spec, "par_points", None)
        points = getattr(self.r, "points", None)
        if table is None or points is None or not len(points) or "unit_code" not in points:
            return None
        by_id = {str(r["id"]): plain_record(r) for r in unit_records(points, self.unit)}
        index_labels = {e.id: self.label(e.label) for e in self.spec.elements}
        rows = []
        for comp in table.components:
            rows.append(self._points_row(by_id.get(comp.id), comp.id, self.label(comp.label),
                                         index_labels.get(comp.index, self.t["points_overall"]),
                                         comp.max_points))
        total = self._points_row(by_id.get("total"), "total", self.t["points_total"], "",
                                 table.max_total)
        return {"rows": rows, "total": total,
                "note": self.tx("points_note", edition=table.edition,
                                source=self.label(table.source))}

    def _points_row(self, row: dict | None, cid: str, label: str, index_label: str,
                    top: float) -> dict:
        row = row or {}
        value, status = row.get("value"), row.get("status") or "no_data"
        suppressed = status == "small_sample" and value is not None
        rk = self.ranking_row(self.unit, "points", cid) or {}
        rank, of = rk.get("rank"), rk.get("n_ranked")
        return {
            "id": cid, "label": label, "index_label": index_label,
            "index_text": ("–" if row.get("index_value") is None or suppressed
                           else fmt_number(row["index_value"], self.lang)),
            "points_text": (self.t["suppressed"] if suppressed else self.t["no_data"]
                            if value is None else fmt_number(value, self.lang)),
            "max_text": fmt_number(top, self.lang),
            "rank_text": (self.tx("points_rank", rank=fmt_int(rank, self.lang),
                                  of=fmt_int(of, self.lang))
                          if rank is not None and of is not None else self.t["unranked"]),
            "small": suppressed, "value": None if suppressed else value,
        }
