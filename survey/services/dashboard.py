"""Results for the officials' dashboard: SIPAS results per (wave, filters), and the plain
data one unit's dashboard shows.

The statistics come from ``analysis.sipas.compute_sipas`` through the reports service's
glue (``survey.services.reports.wave_result``, which also applies the service field and
channel filters); this module caches results and picks out the rows of one unit.

Caching: results are kept in ``flask.g`` for the request, so a dashboard that needs the
same wave for the headline, the trend and the previous-wave arrows computes it once.  A
province with tens of thousands of responses and many waves will want a shared results
cache (keyed by wave, filters and the wave's last response time, stored in PostgreSQL or
on disk) so that the trend does not recompute every wave on every page view.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from flask import current_app, g

from analysis.report.formatting import is_missing
from analysis.sipas import SipasResult

from ..models import Unit, Wave
from . import reports
from .flags import flag_counts

_CACHE_ATTR = "_dashboard_results"


@dataclass(frozen=True)
class Computed:
    """The outcome of one computation: a result, or why there is none."""

    result: SipasResult | None
    n_responses: int
    problem: str | None = None


def results(wave: Wave, *, field: str | None = None, channel: str | None = None,
            previous: Wave | None = None) -> Computed:
    """Return the SIPAS results of ``wave`` restricted to a field and/or channel, cached.

    With ``previous`` the rankings carry rank changes against that wave (same filters).
    """
    cache = g.setdefault(_CACHE_ATTR, {})
    key = (wave.id, field, channel, previous.id if previous is not None else None)
    if key in cache:
        return cache[key]
    if previous is None:
        # Indices do not depend on the previous wave (only rank changes do): any result
        # of this wave under these filters will do.
        for (w, f, c, _p), computed in cache.items():
            if (w, f, c) == (wave.id, field, channel):
                return computed
    prior = None
    if previous is not None:
        prior = results(previous, field=field, channel=channel).result
    computed = _compute(wave, field=field, channel=channel, prior=prior)
    cache[key] = computed
    return computed


def _compute(wave: Wave, *, field, channel, prior) -> Computed:
    inputs = reports.wave_inputs(wave)
    frame, _ = reports.filter_inputs(inputs.responses, inputs.populations,
                                     field=field, channel=channel)
    if len(frame) == 0:
        return Computed(None, 0)
    try:
        result = reports.wave_result(wave, prior, field=field, channel=channel)
    except reports.ReportError as error:
        # Data the engine cannot analyse (e.g. responses of a unit without dossiers) is a
        # state to explain to the official, not a server error; the log keeps the details.
        current_app.logger.warning("wave %s cannot be analysed: %s", wave.code, error)
        return Computed(None, len(frame), str(error.__cause__ or error))
    return Computed(result, len(frame))


def _num(value) -> float | None:
    return None if is_missing(value) else float(value)


def _int(value) -> int | None:
    f = _num(value)
    return None if f is None else int(f)


def _row(table: pd.DataFrame, unit_code: str, kind: str, id_: str | None = None) -> dict | None:
    if table is None or not len(table):
        return None
    mask = (table["unit_code"] == unit_code) & (table["kind"] == kind)
    if id_ is not None:
        mask &= table["id"] == id_
    rows = table[mask]
    return rows.iloc[0].to_dict() if len(rows) else None


def estimate(table: pd.DataFrame, unit_code: str, kind: str, id_: str | None = None) -> dict:
    """Return one estimate as plain numbers (``value, ci_low, ci_high, n, status, ...``)."""
    row = _row(table, unit_code, kind, id_) or {}
    return {
        "value": _num(row.get("value")), "ci_low": _num(row.get("ci_low")),
        "ci_high": _num(row.get("ci_high")), "se": _num(row.get("se")),
        "n": _int(row.get("n")) or 0, "status": row.get("status") or "no_data",
        "small_sample": bool(row.get("small_sample")) if row else False,
        "vs_parent": row.get("vs_parent") or "",
    }


def rank(result: SipasResult, unit_code: str, kind: str = "overall", id_: str = "overall") -> dict:
    """Return ``rank, n_ranked, previous_rank, rank_change`` of a unit among its siblings."""
    table = result.rankings
    row = None
    if len(table):
        mask = (table["unit_code"] == unit_code) & (table["kind"] == kind)
        if kind != "overall":
            mask &= table["id"] == id_
        rows = table[mask]
        row = rows.iloc[0].to_dict() if len(rows) else None
    row = row or {}
    return {"rank": _int(row.get("rank")), "n_ranked": _int(row.get("n_ranked")),
            "previous_rank": _int(row.get("previous_rank")),
            "rank_change": _int(row.get("rank_change"))}


def unit_dashboard(unit: Unit, waves: list[Wave], wave: Wave, *, field: str | None = None,
                   channel: str | None = None, lang: str = "vi") -> dict:
    """Return everything the dashboard of ``unit`` shows for ``wave`` under the filters.

    Plain data only (numbers, strings, lists), so the template never touches the engine.
    ``has_data`` is False when the unit has no responses under these filters.
    """
    position = [w.id for w in waves].index(wave.id)
    previous = waves[position - 1] if position > 0 else None
    current = results(wave, field=field, channel=channel, previous=previous)
    before = results(previous, field=field, channel=channel) if previous is not None else None
    inputs = reports.wave_inputs(wave)
    q = inputs.questionnaire
    spec = q.analysis
    code = unit.code
    out = {"wave": wave, "previous_wave": previous, "problem": current.problem,
           "n_wave": current.n_responses, "has_data": False,
           "flags": flagged(unit, wave, field=field, channel=channel)}
    res = current.result
    overall = estimate(res.indices, code, "overall") if res is not None else None
    if res is None or overall["n"] == 0:
        out["trend"] = trend(unit, waves, wave, field=field, channel=channel)
        return out
    prev_res = before.result if before is not None else None

    out["has_data"] = True
    out["overall"] = overall
    out["rank"] = rank(res, code)
    out["elements"] = []
    for element in spec.elements:
        item = estimate(res.indices, code, "element", element.id)
        item.update(id=element.id, label=q.text(element.label, lang))
        out["elements"].append(item)
    out["indicators"] = []
    for indicator in spec.indicators:
        item = estimate(res.indicators, code, "indicator", indicator.id)
        before_value = (estimate(prev_res.indicators, code, "indicator", indicator.id)["value"]
                        if prev_res is not None else None)
        item.update(id=indicator.id, label=q.text(indicator.label, lang),
                    direction=indicator.direction, previous=before_value,
                    trend=_direction(item["value"], before_value, indicator.direction))
        out["indicators"].append(item)
    out["children"] = children(res, unit, lang)
    out["trend"] = trend(unit, waves, wave, field=field, channel=channel)
    return out


def flagged(unit: Unit, wave: Wave, *, field=None, channel=None) -> dict:
    """Return ``{"total": n, "by_flag": {flag: n}}`` for the unit's subtree under the filters.

    Flagged responses (e.g. a burst at one service point) are still counted in the
    indices; the dashboard says how many there are so that they are never counted silently.
    """
    total, by_flag = flag_counts(wave, unit.descendant_ids(), service_field=field,
                                 channel=channel)
    return {"total": total, "by_flag": by_flag}


def _direction(value, before, direction) -> dict | None:
    """Which way an indicator moved, and whether that is better, given its direction."""
    if value is None or before is None:
        return None
    change = value - before
    if abs(change) < 0.05:          # below the one decimal shown: no visible change
        return {"change": 0.0, "arrow": "same", "better": None}
    better = change < 0 if direction == "lower" else change > 0
    return {"change": change, "arrow": "up" if change > 0 else "down", "better": better}


def children(result: SipasResult, unit: Unit, lang: str = "vi") -> list[dict]:
    """Return the ranking rows of ``unit``'s child units on the overall index."""
    frame = result.units
    kids = frame[frame["parent_code"] == unit.code]
    rows = []
    for _, kid in kids.iterrows():
        item = estimate(result.indices, kid["code"], "overall")
        name = kid.get("name_en") if lang == "en" and kid.get("name_en") else kid.get("name")
        item.update(code=kid["code"], name=name, **rank(result, kid["code"]))
        rows.append(item)
    # Ranked units by rank; the rest (no data or unranked) after them, by name.
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["name"] or ""))
    return rows


def trend(unit: Unit, waves: list[Wave], current: Wave, *, field=None, channel=None) -> list[dict]:
    """Return the unit's overall index in each wave (oldest first), None where it has no data."""
    points = []
    for wave in waves:
        computed = results(wave, field=field, channel=channel)
        value = None
        if computed.result is not None:
            value = estimate(computed.result.indices, unit.code, "overall")["value"]
        points.append({"label": wave.code, "name": wave.name, "value": value,
                       "current": wave.id == current.id})
    return points
