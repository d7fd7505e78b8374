"""From a :class:`~analysis.sipas.SipasResult` to the plain data the report template reads.

Everything returned is str, int, float, bool, None, list or dict: no DataFrame, no ORM
object, no callable reaches the template, so the template cannot run queries or reach
attributes it was not meant to see, and the context can be logged, cached or sent as JSON.
Numbers are formatted here, in the report's language; the raw value travels beside each
formatted one (``value``) so tests can compare with the engine.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from ..sipas.comparability import comparable_keys, restrict_previous
from ..sipas.compare import change_test
from . import texts
from .formatting import (fmt_change, fmt_date, fmt_int, fmt_interval, fmt_number, fmt_percent,
                         is_missing, plain_record)
from .points_section import PointsSection
from .sections import VERDICT_TEXT, Sections, _num, _rows, _unit_directory, _unit_name
from .unit_rows import unit_records, unit_rows

__all__ = ["build_report", "ReportError"]

SCOPE = "*"
SMALL_MARK = "△"            # marks small-sample rows in addition to the grey (not colour alone)


class ReportError(ValueError):
    """The report cannot be built from these inputs (unknown unit, language, ...)."""


class _Builder(Sections, PointsSection):
    """Holds the inputs while the sections are assembled; used once by :func:`build_report`."""

    def __init__(self, result, unit_code, questionnaire, units, lang, compare, wave, compare_wave,
                 filters=None, breakdowns=None, history=None):
        self.r, self.unit, self.q, self.lang, self.prev = result, unit_code, questionnaire, lang, compare
        self.changed: set[tuple[str, str]] = set()
        if compare is not None and result is not None:
            # Only measures defined identically in both waves are compared (the desk
            # form's "overall" of three criteria is not the full survey's "overall").
            keys = comparable_keys(result.meta, compare.meta)
            if keys is not None:
                tables = [getattr(compare, t) for t in ("indices", "indicators", "expectations")]
                self.changed = {(k, str(i)) for t in tables if len(t) and "kind" in t
                                for k, i in zip(t["kind"], t["id"]) if (k, str(i)) not in keys}
                self.prev = dataclasses.replace(compare, **{
                    t: restrict_previous(getattr(compare, t), keys)
                    for t in ("indices", "indicators", "expectations", "rankings")})
        self.spec = questionnaire.analysis
        self.units, self.kids = _unit_directory(units)
        self.unit_frame = units
        self.wave, self.compare_wave = wave or {}, compare_wave or {}
        self.t = texts.messages(lang)
        self.filter_text = self.describe_filters(filters or {})
        opts = (result.meta.get("options") if result is not None else None) or {}
        self.min_n = int(opts.get("min_n", 30))
        self.opts = opts
        self.alpha = float(opts.get("alpha", 0.05))
        self.level = float(opts.get("confidence", 0.95))
        self.breakdowns = breakdowns or {}
        self.history = history or []
        self._rankings: dict[str, dict[tuple[str, str], dict]] = {}

    # -- small helpers -------------------------------------------------------------------
    def label(self, d) -> str:
        return self.q.text(d, self.lang)

    def tx(self, key: str, **params) -> str:
        return texts.text(self.lang, key, **params)

    def estimate(self, row: dict | None, prev_row: dict | None = None,
                 direction: str = "higher") -> dict:
        """Formatted value, CI, n, effective n and the change since the previous wave.

        A figure failing the presentation standard reads "chưa đủ mẫu" (no CI, not
        compared). The change is :func:`analysis.sipas.change_test`, as on the dashboard.
        """
        row = row or {}
        value = _num(row.get("value"))
        status = row.get("status") or ("no_data" if value is None else "ok")
        suppressed = status == "small_sample" and value is not None
        n_eff = _num(row.get("n_eff"))
        out = {"value": value, "value_text": (self.t["suppressed"] if suppressed else
                                              fmt_number(value, self.lang) if value is not None
                                              else self.t["no_data"]),
               "ci_low": _num(row.get("ci_low")), "ci_high": _num(row.get("ci_high")),
               "ci_text": "–" if suppressed else fmt_interval(row.get("ci_low"), row.get("ci_high"),
                                                              self.lang),
               "n": int(row.get("n") or 0), "n_text": fmt_int(row.get("n") or 0, self.lang),
               "n_eff": n_eff, "n_eff_text": fmt_int(round(n_eff), self.lang) if n_eff is not None
               else "–",
               "small": suppressed, "suppressed": suppressed, "review": status == "review",
               "no_data": value is None, "vs_parent": row.get("vs_parent") or "",
               "previous": None, "previous_text": "–", "change": None, "change_text": "–",
               "significant": False, "verdict": None}
        if prev_row is None and (row.get("kind"), str(row.get("id"))) in self.changed:
            # Defined otherwise in the compared wave (other criteria, choices or scoring).
            out.update(previous_text=self.t["not_comparable"], change_text=self.t["not_comparable"],
                       verdict="not_comparable")
        if prev_row is not None and _num(prev_row.get("value")) is not None and value is not None:
            pv = float(prev_row["value"])
            prev_shown = (prev_row.get("status") or "ok") != "small_sample"
            out.update(previous=pv, previous_text=(fmt_number(pv, self.lang) if prev_shown
                                                   else self.t["suppressed"]))
            if not suppressed and prev_shown:
                test = change_test(value, _num(row.get("se")) or 0.0, _num(row.get("df")) or 1,
                                   pv, _num(prev_row.get("se")) or 0.0,
                                   _num(prev_row.get("df")) or 1, direction=direction,
                                   alpha=self.alpha, level=self.level)
                sig = bool(test["significant"])
                out.update(change=value - pv,
                           change_text=fmt_change(value - pv, self.lang) + ("*" if sig else ""),
                           significant=sig, verdict=str(test["verdict"]))
        return out

    def rank_change(self, change) -> dict:
        """Arrow, words and number of a rank change (positive: moved up)."""
        if is_missing(change):
            return {"arrow": "", "text": self.t["rank_new"] if self.prev is not None else "–",
                    "value": None}
        change = int(change)
        if change > 0:
            return {"arrow": "↑", "text": self.tx("rank_up", n=change), "value": change}
        if change < 0:
            return {"arrow": "↓", "text": self.tx("rank_down", n=-change), "value": change}
        return {"arrow": "→", "text": self.t["rank_same"], "value": 0}

    def ranking_row(self, code: str, kind: str = "overall", rid: str = "overall") -> dict | None:
        """The unit's ranking row of ``kind`` and ``rid`` (missing values as None), or None."""
        rows = self._rankings.get(code)
        if rows is None:
            # All of a unit's ranking rows at once: a report asks for ten or more.
            rows = {}
            for rec in unit_records(self.r.rankings, code):
                rows.setdefault((rec["kind"], str(rec["id"])), plain_record(rec))
            self._rankings[code] = rows
        return rows.get((kind, str(rid)))

    def shown_rank_change(self, code: str, rank) -> object:
        """The rank change when it exceeds its uncertainty, 0 when it does not, None unknown."""
        change = self.previous_rank_change(code, rank)
        if change is None:
            return None
        row = self.ranking_row(code) or {}
        return change if row.get("rank_change_significant") else 0

    def previous_rank_change(self, code: str, rank) -> object:
        """Rank change from ``result.rankings``, else against the comparison result."""
        row = self.ranking_row(code)
        if row is not None and row.get("rank_change") is not None:
            return row["rank_change"]
        if self.prev is None or rank is None or not len(self.prev.rankings):
            return None
        sel = unit_rows(self.prev.rankings, code)
        if sel is not None:
            sel = sel[(sel["kind"] == "overall") & (sel["id"] == "overall")]
        if sel is None or not len(sel) or is_missing(sel.iloc[0]["rank"]):
            return None
        return int(sel.iloc[0]["rank"]) - int(rank)

    def describe_filters(self, filters: dict) -> str:
        """``lĩnh vực: Tư pháp (TP); hình thức nộp hồ sơ: trực tuyến`` for a subset;
        "" for the whole wave."""
        parts = []
        field = filters.get("field")
        if field:
            name = _unit_name(field, self.lang)          # name_en, else name, else code
            if field.get("code") and field["code"] != name:
                name = f"{name} ({field['code']})"
            parts.append(self.tx("filter_field", name=name))
        channel = filters.get("channel")
        if channel:
            parts.append(self.tx("filter_channel",
                                 name=self.t.get(f"channel_{channel}", str(channel))))
        return "; ".join(parts)

    # -- sections ------------------------------------------------------------------------
    def cover(self) -> dict:
        info = self.units[self.unit]
        wave = self.wave
        wave_name = ((wave.get("name_en") if self.lang == "en" else None) or wave.get("name")
                     or wave.get("code") or (self.r.meta.get("wave") if self.r is not None else "")
                     or "")
        period = ""
        if wave.get("starts_on") and wave.get("ends_on"):
            period = self.tx("period_range", start=fmt_date(wave["starts_on"], self.lang),
                             end=fmt_date(wave["ends_on"], self.lang))
        cw = self.compare_wave
        compare_name = ((cw.get("name_en") if self.lang == "en" else None) or cw.get("name")
                        or cw.get("code") or (self.prev.meta.get("wave") if self.prev else None))
        return {"unit_name": _unit_name(info, self.lang), "unit_code": self.unit,
                "wave_name": str(wave_name), "wave_code": str(wave.get("code") or ""),
                "period": period, "compare_name": str(compare_name) if compare_name else "",
                "questionnaire": f"{self.label(self.q.title)} ({self.tx('version_label', version=self.q.version)})",
                "date": fmt_date(dt.date.today(), self.lang), "responses": "",
                "filters": self.filter_text[:1].upper() + self.filter_text[1:]}

    def headline(self) -> dict:
        cur = _rows(self.r.indices, self.unit, "overall").get("overall")
        prev = _rows(self.prev.indices, self.unit, "overall").get("overall") if self.prev else None
        est = self.estimate(cur, prev)
        if not est["suppressed"]:
            est["value_text"] = fmt_percent(est["value"], self.lang)
        row = self.ranking_row(self.unit)
        rank = row.get("rank") if row else None
        total = row.get("n_ranked") if row else None
        if rank is not None and total is not None and int(total) > 1:
            est["rank_text"] = self.tx("rank_of", rank=int(rank), total=int(total))
            if row.get("rank_low") is not None and row.get("rank_high") is not None:
                est["rank_text"] += " " + self.tx("rank_interval", low=int(row["rank_low"]),
                                                  high=int(row["rank_high"]))
            est["rank"], est["rank_total"] = int(rank), int(total)
            est["rank_change"] = self.rank_change(self.shown_rank_change(self.unit, rank))
        else:
            est["rank_text"], est["rank"], est["rank_total"] = self.t["rank_none"], None, None
            est["rank_change"] = None
        return est

    def elements(self) -> tuple[list, dict]:
        cur = _rows(self.r.indices, self.unit)
        prev = _rows(self.prev.indices, self.unit) if self.prev else {}
        elements = []
        for el in self.spec.elements:
            est = self.estimate(cur.get(el.id), prev.get(el.id))
            criteria = []
            for c in el.criteria:
                row = self.estimate(cur.get(c.question), prev.get(c.question))
                row["label"] = self.label(self.q.questions[c.question].label)
                row["id"] = c.question
                criteria.append(row)
            elements.append({"id": el.id, "label": self.label(el.label), **est, "criteria": criteria})
        chart = {
            "labels": [e["label"] for e in elements],
            "values": [e["value"] for e in elements],
            "ci_low": [e["ci_low"] for e in elements], "ci_high": [e["ci_high"] for e in elements],
            "previous": [e["previous"] for e in elements] if self.prev is not None else None,
            "axis": self.t["chart_axis_index"], "current_label": self.t["chart_current"],
            "previous_label": self.t["chart_previous"], "no_data": self.t["no_data"],
            "title": self.tx("chart_elements_alt", count=len(elements), items="; ".join(
                f"{e['label']}: {fmt_percent(e['value'], self.lang)}" for e in elements)),
        }
        return elements, chart

    def indicators(self) -> list:
        cur = _rows(self.r.indicators, self.unit)
        prev = _rows(self.prev.indicators, self.unit) if self.prev else {}
        out = []
        for ind in self.spec.indicators:
            est = self.estimate(cur.get(ind.id), prev.get(ind.id), ind.direction)
            verdict = est["verdict"]
            better = {"better": True, "worse": False}.get(verdict)
            est["trend"] = self.t[VERDICT_TEXT[verdict]] if verdict in VERDICT_TEXT else "–"
            out.append({"id": ind.id, "label": self.label(ind.label), "better": better,
                        "direction": self.t[f"direction_{ind.direction}"], **est})
        return out

    def ranking(self) -> dict:
        children = self.kids.get(self.unit, [])
        rows = []
        overall = {c: _rows(self.r.indices, c, "overall").get("overall") for c in children}
        for code in children:
            est = self.estimate(overall.get(code))
            rk = self.ranking_row(code) or {}
            rank = rk.get("rank")
            interval = ("–" if rk.get("rank_low") is None or rk.get("rank_high") is None
                        else f"{int(rk['rank_low'])}–{int(rk['rank_high'])}")
            est.update(code=code, name=_unit_name(self.units[code], self.lang),
                       rank=int(rank) if rank is not None else None,
                       rank_text=str(int(rank)) if rank is not None else self.t["unranked"],
                       rank_interval=interval if rank is not None else "–",
                       rank_change=self.rank_change(self.shown_rank_change(code, rank))
                       if rank is not None else {"arrow": "", "text": "–", "value": None},
                       vs_text={"above": "△ " + self.t["vs_above"],
                                "below": "▽ " + self.t["vs_below"]}.get(est["vs_parent"],
                                                                      self.t["vs_same"]
                                                                      if rank is not None else "–"))
            rows.append(est)
        rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["name"]))
        kinds = {self.units[c].get("kind") or "" for c in children}
        method = str(self.opts.get("multiple", "holm"))
        family = self.tx(f"family_{method}", size=len(children), level=fmt_percent(
            self.alpha * 100, self.lang, 0), unit=_unit_name(self.units[self.unit], self.lang),
            leagues=len(kinds))
        return {"rows": rows, "has_children": bool(children), "family": family}

    def expectations(self) -> list:
        qid = self.spec.expectations
        if not qid or qid not in self.q.questions:
            return []
        labels = {str(c.value): self.label(c.label) for c in self.q.questions[qid].choices}
        cur = _rows(self.r.expectations, self.unit)
        rows = []
        for cid, row in cur.items():
            est = self.estimate(row)
            if est["value"] is None:
                continue
            rows.append({"id": cid, "label": labels.get(cid, cid), **est})
        rows.sort(key=lambda r: -r["value"])
        for i, row in enumerate(rows, 1):
            row["priority"] = i
        return rows

    def drivers(self, elements: list) -> dict | None:
        d = self.r.drivers
        if d is None or not len(d) or "importance" not in d:
            return None
        # Importance comes from the model on the whole computation (a stable, wave-level
        # relation); performance is this unit's own element index.
        perf = {e["id"]: e["value"] for e in elements}
        labels = {e["id"]: e["label"] for e in elements}
        pts = [{"id": str(r["element"]), "label": labels.get(str(r["element"]), str(r["element"])),
                "importance": float(r["importance"]), "performance": perf.get(str(r["element"]))}
               for r in d.to_dict("records") if not is_missing(r["importance"])]
        pts = [p for p in pts if p["performance"] is not None]
        if len(pts) < 2:
            return None
        x_mid = sum(p["importance"] for p in pts) / len(pts)
        y_mid = sum(p["performance"] for p in pts) / len(pts)
        names = {"priority": self.t["quad_concentrate"], "strength": self.t["quad_keep"],
                 "secondary": self.t["quad_low"], "surplus": self.t["quad_overkill"]}
        for p in pts:
            hi_i, hi_p = p["importance"] >= x_mid, p["performance"] >= y_mid
            p["quadrant"] = ("strength" if hi_p else "priority") if hi_i else (
                "surplus" if hi_p else "secondary")
            p["quadrant_text"] = names[p["quadrant"]]
            p["importance_text"] = fmt_number(p["importance"], self.lang, 3)
            p["performance_text"] = fmt_number(p["performance"], self.lang)
        pts.sort(key=lambda p: (["priority", "strength", "secondary", "surplus"].index(p["quadrant"]),
                                -p["importance"]))
        first = [p["label"] for p in pts if p["quadrant"] == "priority"]
        return {"points": pts, "x_label": self.t["axis_importance"],
                "y_label": self.t["axis_performance"], "quadrants": names,
                "title": self.tx("chart_drivers_alt", count=len(pts),
                                 items="; ".join(first) or self.t["none_items"])}

def build_report(result, unit_code: str, *, questionnaire, units: pd.DataFrame, lang: str = "vi",
                 compare=None, wave: dict | None = None, compare_wave: dict | None = None,
                 filters: dict | None = None, breakdowns: dict | None = None,
                 history: list | None = None) -> dict:
    """Build the plain-data context of one unit's report.

    Parameters
    ----------
    result : SipasResult or None
        The wave's result; None (or a result where the unit has no data) gives the short
        "no responses" report.
    unit_code : str
        The unit the report is about; its children are ranked.
    questionnaire : Questionnaire
        The definition the wave used (labels, analysis block).
    units : DataFrame
        The unit tree ``code, name, name_en, kind, parent_code``.
    lang : {"vi", "en"}
    compare : SipasResult, optional
        The comparison (previous) wave's result.
    wave, compare_wave : dict, optional
        ``code, name, name_en, starts_on, ends_on`` of the waves, for the cover.
    filters : dict, optional
        The subset of responses both results were computed on, named on the cover and in
        the methods section: ``field`` (``{code, name, name_en}`` or None) and ``channel``
        (``in_person|online|post`` or None).  None (or empty) for the whole wave.
    breakdowns : dict, optional
        ``by_field``, ``by_channel`` (:func:`analysis.sipas.domain_breakdown` tables),
        ``counts`` (:func:`analysis.sipas.response_counts`) and ``field_names``
        (code -> name in ``lang``), for the tables by field and channel.
    history : list, optional
        ``[(wave dict, SipasResult or None)]``, oldest first, for the trend with the
        significance of each change (shown from two waves on).

    Returns
    -------
    dict
        Only str, int, float, bool, None, lists and dicts.
    """
    if lang not in texts.LANGUAGES:
        raise ReportError(f"unsupported report language {lang!r}")
    b = _Builder(result, str(unit_code), questionnaire, units, lang, compare, wave, compare_wave,
                 filters, breakdowns, history)
    if b.unit not in b.units:
        raise ReportError(f"unit {unit_code!r} is not in the unit tree")
    ctx = {"lang": lang, "t": b.t, "cover": b.cover(), "empty": True, "small_mark": SMALL_MARK}
    headline = b.headline() if result is not None else None
    cover = ctx["cover"]
    ctx["doc_title"] = f"{b.t['short_title']} – {cover['unit_name']} – {cover['wave_name']}".strip(" –")
    if headline is None or headline["value"] is None:
        ctx["empty_text"] = b.tx("empty_text", unit=cover["unit_name"],
                                 wave=cover["wave_name"] or cover["wave_code"])
        return ctx
    elements, element_chart = b.elements()
    ctx.update(
        empty=False, headline=headline, elements=elements, element_chart=element_chart,
        indicators=b.indicators(), ranking=b.ranking(), expectations=b.expectations(),
        drivers=b.drivers(elements), method=b.method(), has_previous=compare is not None,
        previous_label=b.tx("previous_label", wave=cover["compare_name"]) if compare is not None else "",
        small_note=b.tx("small_sample_note", min_n=b.min_n),
        breakdown=b.breakdown(), trend=b.trend(), par_points=b.par_points(),
        ranking_note=b.tx("ranking_note", up="↑", down="↓", above="△", below="▽",
                          unit=cover["unit_name"]),
    )
    ctx["cover"]["responses"] = headline["n_text"]
    if headline["change"] is not None:
        headline["change_words"] = b.tx("change_points", sign="", value=headline["change_text"])
    return ctx
