"""Results for the officials' dashboard: SIPAS results per (wave, filters), and the plain
data one unit's dashboard shows.

The statistics come from ``analysis.sipas.compute_sipas`` through the reports service's
glue (``survey.services.reports.wave_result``, which also applies the service field and
channel filters); this module caches results and picks out the rows of one unit.

Caching: every result comes from the shared results cache (``results_cache``: keyed by
wave, filters, options and the wave's data version; in the database or Redis), so a view
of any unit reads the results computed once for the wave, never the responses — and only
the unit's part of them (:mod:`survey.services.unit_parts`: its rows and its children's),
whose rows are looked up through a :class:`~survey.services.unit_parts.Rows` index built
once per table, not through a boolean mask over the table per figure.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import pandas as pd
from flask import current_app

from analysis.report.formatting import fmt_int, is_missing
from analysis.sipas import SipasResult, change_test, comparable_keys, compare_waves
from analysis.sipas.breakdown import unit_counts
from analysis.sipas.standard import PresentationStandard

from ..models import Unit, Wave
from . import flag_reviews, reports, results_cache
from .unit_parts import Rows
from .wave_data import wave_questionnaire
from .flags import flag_counts

Computed = results_cache.Computed
Computing = results_cache.Computing


def results(wave: Wave, *, field: str | None = None, channel: str | None = None,
            previous: Wave | None = None, mode: str | None = None,
            unit: str | None = None) -> Computed:
    """Return the SIPAS results of ``wave`` restricted to a field, channel and/or collection
    mode, from the shared results cache (:mod:`survey.services.results_cache`).

    With ``previous`` the rankings carry rank changes against that wave (same filters).
    With ``unit`` (a code), only that unit's part: enough for its dashboard.
    Raises :class:`Computing` while a big wave's results are being computed.
    """
    return results_cache.sipas(wave, field=field, channel=channel, previous=previous, mode=mode,
                               unit=unit)


def _num(value) -> float | None:
    return None if is_missing(value) else float(value)


def _int(value) -> int | None:
    f = _num(value)
    return None if f is None else int(f)


_ROWS_MEMO = 256
_rows: OrderedDict = OrderedDict()       # id(table) -> (table, Rows); the table kept alive
_rows_lock = threading.Lock()


def _index(table: pd.DataFrame) -> Rows:
    """The row index of ``table``, built once per table object (bounded memo)."""
    with _rows_lock:
        known = _rows.get(id(table))
        if known is not None and known[0] is table:
            _rows.move_to_end(id(table))
            return known[1]
    index = Rows(table)
    with _rows_lock:
        _rows[id(table)] = (table, index)
        while len(_rows) > _ROWS_MEMO:
            _rows.popitem(last=False)
    return index


def _row(table: pd.DataFrame, unit_code: str, kind: str, id_: str | None = None) -> dict | None:
    """The first row of ``unit_code``, ``kind`` (and ``id_``) in ``table``, or None."""
    if table is None or not len(table):
        return None
    return _index(table).get(unit_code, kind, id_)


def estimate(table: pd.DataFrame, unit_code: str, kind: str, id_: str | None = None) -> dict:
    """Return one estimate as plain numbers (``value, ci_low, ci_high, n, n_eff, status, ...``).

    ``suppressed`` is True when the figure fails the presentation standard: it is shown
    as "chưa đủ mẫu", not ranked and not compared.
    """
    return _estimate(_row(table, unit_code, kind, id_))


def _estimate(row: dict | None) -> dict:
    row = row or {}
    status = row.get("status") or "no_data"
    return {
        "value": _num(row.get("value")), "ci_low": _num(row.get("ci_low")),
        "ci_high": _num(row.get("ci_high")), "se": _num(row.get("se")),
        "n": _int(row.get("n")) or 0, "n_eff": _num(row.get("n_eff")),
        "df": _int(row.get("df")), "status": status,
        "small_sample": bool(row.get("small_sample")) if row else False,
        "suppressed": status == "small_sample", "review": status == "review",
        "vs_parent": row.get("vs_parent") or "",
    }


def rank(result: SipasResult, unit_code: str, kind: str = "overall", id_: str = "overall") -> dict:
    """Return the rank of a unit among its league, with its interval and the rank change.

    ``rank_change`` is the change of rank against the previous wave; ``rank_change_shown``
    is that change only when it exceeds its uncertainty (else 0), as the dashboard and
    the report show it.
    """
    row = _row(result.rankings, unit_code, kind, None if kind == "overall" else id_) or {}
    change = _int(row.get("rank_change"))
    significant = bool(row.get("rank_change_significant")) if change is not None else False
    return {"rank": _int(row.get("rank")), "n_ranked": _int(row.get("n_ranked")),
            "rank_low": _int(row.get("rank_low")), "rank_high": _int(row.get("rank_high")),
            "previous_rank": _int(row.get("previous_rank")),
            "rank_change": change, "rank_change_significant": significant,
            "rank_change_shown": None if change is None else (change if significant else 0)}


def _changes(current: SipasResult, before: SipasResult | None, table: str,
             directions: dict, unit_code: str | None = None) -> dict:
    """``{(unit_code, kind, id): change row}`` of :func:`analysis.sipas.compare_waves`
    (only ``unit_code``'s rows when given: the comparison is row by row)."""
    if before is None:
        return {}
    rows = getattr(current, table)
    if unit_code is not None:
        rows = rows[rows["unit_code"] == unit_code]
    comparable = comparable_keys(current.meta, before.meta)
    frame = compare_waves(rows, getattr(before, table), directions=directions,
                          alpha=_alpha(current), level=_level(current), comparable=comparable)
    had = (before.meta.get("_kind_ids") or {}).get(table)
    if had is not None and comparable is not None and len(frame):
        # ``before`` is a unit's part: "defined otherwise" is judged on the whole wave's
        # (kind, id) pairs, which the part carries, as compare_waves does on the whole table.
        keys = set(comparable)
        frame["definition_changed"] = [(k, str(i)) in had and (k, str(i)) not in keys
                                       for k, i in zip(frame["kind"], frame["id"])]
    return {(r["unit_code"], r["kind"], r["id"]): r for r in frame.to_dict("records")}


def _alpha(result) -> float:
    return float((result.meta.get("options") or {}).get("alpha", 0.05))


def _level(result) -> float:
    return float((result.meta.get("options") or {}).get("confidence", 0.95))


def _change(row: dict | None) -> dict | None:
    """The plain-data change of one estimate (None without a previous figure)."""
    if row is not None and row.get("definition_changed") is True:
        # The same id, defined otherwise in the previous wave: "not comparable".
        return {"previous": None, "change": None, "ci_low": None, "ci_high": None, "p": None,
                "verdict": "not_comparable", "definition_changed": True}
    if row is None or is_missing(row.get("previous")):
        return None
    return {"previous": _num(row.get("previous")), "change": _num(row.get("change")),
            "ci_low": _num(row.get("ci_low")), "ci_high": _num(row.get("ci_high")),
            "p": _num(row.get("p")), "verdict": row.get("verdict") or "not_comparable"}


def unit_dashboard(unit: Unit, waves: list[Wave], wave: Wave, *, field: str | None = None,
                   channel: str | None = None, lang: str = "vi", mode: str | None = None) -> dict:
    """Return everything the dashboard of ``unit`` shows for ``wave`` under the filters.

    Plain data only (numbers, strings, lists), so the template never touches the engine.
    ``has_data`` is False when the unit has no responses under these filters.
    """
    position = [w.id for w in waves].index(wave.id)
    previous = waves[position - 1] if position > 0 else None
    current = results(wave, field=field, channel=channel, previous=previous, mode=mode,
                      unit=unit.code)
    before = (results(previous, field=field, channel=channel, mode=mode, unit=unit.code)
              if previous is not None else None)
    q = wave_questionnaire(wave)
    spec = q.analysis
    code = unit.code
    out = {"wave": wave, "previous_wave": previous, "problem": current.problem,
           "n_wave": current.n_responses, "has_data": False,
           "flags": flagged(unit, wave, field=field, channel=channel)}
    res = current.result
    overall = estimate(res.indices, code, "overall") if res is not None else None
    if res is None or overall["n"] == 0:
        out["trend"] = trend(unit, waves, wave, field=field, channel=channel, mode=mode)
        return out
    prev_res = before.result if before is not None else None
    directions = {i.id: i.direction for i in spec.indicators}
    index_changes = _changes(res, prev_res, "indices", directions, code)
    indicator_changes = _changes(res, prev_res, "indicators", directions, code)

    out["has_data"] = True
    out["overall"] = overall
    out["overall"]["change"] = _change(index_changes.get((code, "overall", "overall")))
    out["rank"] = rank(res, code)
    out["elements"] = []
    for element in spec.elements:
        item = estimate(res.indices, code, "element", element.id)
        item.update(id=element.id, label=q.text(element.label, lang),
                    change=_change(index_changes.get((code, "element", element.id))))
        out["elements"].append(item)
    out["indicators"] = []
    for indicator in spec.indicators:
        item = estimate(res.indicators, code, "indicator", indicator.id)
        change = _change(indicator_changes.get((code, "indicator", indicator.id)))
        item.update(id=indicator.id, label=q.text(indicator.label, lang),
                    direction=indicator.direction,
                    previous=change["previous"] if change else None, change=change)
        out["indicators"].append(item)
    from .dashboard_points import unit_points   # imports this module's rank()
    out["par_points"] = unit_points(res, code, q, lang)
    out["children"] = children(res, unit, lang)
    out["family"] = family(res, unit)
    out["min_n_eff"] = fmt_int((res.meta.get("standard") or {}).get(
        "min_n_eff", PresentationStandard.min_n_eff), lang)
    out["trend"] = trend(unit, waves, wave, field=field, channel=channel, mode=mode)
    out["breakdowns"] = breakdowns(wave, unit, lang)
    return out


def family(result: SipasResult, unit: Unit) -> dict:
    """The family of the Holm-adjusted "above/below" tests of ``unit``'s children."""
    frame = result.units
    kids = frame[frame["parent_code"] == unit.code]
    kinds = sorted({str(k) for k in kids["kind"].fillna("")})
    options = result.meta.get("options") or {}
    return {"size": int(len(kids)), "kinds": kinds,
            "method": options.get("multiple", "holm"), "alpha": _alpha(result)}


def flagged(unit: Unit, wave: Wave, *, field=None, channel=None) -> dict:
    """Return ``{"total": n, "by_flag": {flag: n}}`` for the unit's subtree under the filters.

    Flagged responses (e.g. a burst at one service point) are counted in the indices or
    left out by ``QUALITY_EXCLUDE``; ``quality`` (``flag_reviews.summary`` of the unit's
    subtree, whole wave) says how many of each, so that none is counted or dropped silently.
    """
    ids = unit.descendant_ids()
    total, by_flag = flag_counts(wave, ids, service_field=field, channel=channel)
    quality = flag_reviews.summary(wave, ids) if total else None
    return {"total": total, "by_flag": by_flag, "quality": quality}


def children(result: SipasResult, unit: Unit, lang: str = "vi") -> list[dict]:
    """Return the ranking rows of ``unit``'s child units on the overall index."""
    frame = result.units
    kids = frame[frame["parent_code"] == unit.code]
    rows = []
    for kid in kids.to_dict("records"):
        item = estimate(result.indices, kid["code"], "overall")
        name = kid.get("name_en") if lang == "en" and kid.get("name_en") else kid.get("name")
        item.update(code=kid["code"], name=name, **rank(result, kid["code"]))
        rows.append(item)
    # Ranked units by rank; the rest (no data or unranked) after them, by name.
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["name"] or ""))
    return rows


def trend(unit: Unit, waves: list[Wave], current: Wave, *, field=None, channel=None,
          mode=None) -> list[dict]:
    """Return the unit's overall index in each wave (oldest first), None where it has no data.

    Each point after the first carries the change since the wave before it, tested with
    :func:`analysis.sipas.change_test` (``verdict`` better / worse / no_change /
    not_comparable).
    """
    points = []
    before = None
    before_meta = None
    position = [w.id for w in waves].index(current.id) if current in waves else -1
    for k, wave in enumerate(waves):
        # The current wave's result is the one with rank changes the dashboard reads (its
        # indices do not depend on the previous wave): one cache entry, not two.
        previous = waves[k - 1] if k == position and k > 0 else None
        computed = results(wave, field=field, channel=channel, previous=previous, mode=mode,
                           unit=unit.code)
        meta = computed.result.meta if computed.result is not None else None
        keys = comparable_keys(meta, before_meta)
        same = keys is None or ("overall", "overall") in keys
        est = (estimate(computed.result.indices, unit.code, "overall")
               if computed.result is not None else estimate(None, unit.code, "overall"))
        shown = est["value"] is not None and not est["suppressed"]
        point = {"label": wave.code, "name": wave.name, "value": est["value"] if shown else None,
                 "ci_low": est["ci_low"], "ci_high": est["ci_high"], "n": est["n"],
                 "n_eff": est["n_eff"], "suppressed": est["suppressed"],
                 "current": wave.id == current.id, "change": None}
        if before is not None and before["value"] is not None and shown and not same:
            point["change"] = {"verdict": "not_comparable", "definition_changed": True}
        elif before is not None and before["value"] is not None and shown:
            test = change_test(est["value"], est["se"], est["df"] or 1, before["value"],
                               before["se"], before["df"] or 1)
            point["change"] = {"change": float(test["change"]), "p": float(test["p"]),
                               "ci_low": float(test["ci_low"]), "ci_high": float(test["ci_high"]),
                               "verdict": str(test["verdict"])}
        points.append(point)
        before = {"value": point["value"], "se": est["se"], "df": est["df"]}
        before_meta = meta
    return points


def breakdowns(wave: Wave, unit: Unit, lang: str = "vi") -> dict:
    """The unit's indices by service field and by channel (whole wave, domain estimates),
    and its responses against dossiers per field. Plain data."""
    try:
        # Not waiting: after a new response a big wave's breakdowns are recomputed in the
        # background, like its results, and the last ones are shown meanwhile.
        tables = reports.wave_breakdowns(wave, unit=unit.code, wait=None)
    except reports.ReportError as error:
        current_app.logger.warning("breakdowns of wave %s: %s", wave.code, error)
        return {"by_field": [], "by_channel": [], "counts": []}
    names = reports.field_names(lang)

    def rows(table, label):
        out = []
        if not len(table):
            return out
        mine = table[(table["unit_code"] == unit.code) & (table["kind"] == "overall")]
        for rec in mine.to_dict("records"):
            if not rec.get("n"):
                continue
            est = _estimate(rec)
            est.update(code=rec["domain"], label=label(rec["domain"]))
            out.append(est)
        return out

    counts = unit_counts(tables["counts"], tables["units"], unit.code)
    return {
        "by_field": rows(tables["by_field"], lambda c: names.get(c, c)),
        "by_channel": rows(tables["by_channel"], lambda c: c),
        "counts": [{"code": r["service_field"],
                    "label": None if r["service_field"] is None
                    else names.get(r["service_field"], r["service_field"] or "–"),
                    "responses": int(r["responses"]), "dossiers": _num(r["dossiers"]),
                    "fraction": _num(r["fraction"])} for r in counts.to_dict("records")],
    }
