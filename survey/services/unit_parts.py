"""One unit's part of a cached result: the rows its dashboard reads, cut once per result.

A wave's SIPAS result holds tables of every unit (~3,400 communes x ~40 rows); a dashboard
shows one unit and its children.  When the results cache stores a result it also stores,
per unit, a *part*: the same kind of object with only

* the unit's own rows of every table keyed by ``unit_code`` (indices, indicators,
  expectations, rankings, drivers, points, the diagnostics' frames),
* its children's ``overall`` rows of ``indices`` and ``rankings`` (the children table),
* its own and its children's rows of ``units`` (names, the Holm family), and
* ``meta`` with, under ``_kind_ids``, the (kind, id) pairs of the whole ``indices`` and
  ``indicators`` tables (a comparison with a previous wave needs them).

and, for the breakdowns, the unit's rows by field and channel and its subtree's rows of
``counts`` and ``units``.  A part under the name ``COMMON`` has every table empty: the part of
a unit the result does not know.  Every dashboard function gives the same figures on a
unit's part as on the whole result; ``tests/survey/test_unit_parts.py`` checks it.

:class:`Rows` is the lookup the dashboard uses on a part's tables: the first row of each
(unit, kind) and (unit, kind, id), built once per table instead of a boolean mask over the
table per figure.  Plain pandas; no Flask, no database.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

__all__ = ["COMMON", "Rows", "split_breakdowns", "split_result"]

COMMON = "\x00common"       # no unit code holds a NUL ("*" is the results' scope)
# Tables of which a unit's part also holds its children's overall rows.
_WITH_CHILDREN = ("indices", "rankings")


def _positions(table: pd.DataFrame, column: str) -> dict:
    if not isinstance(table, pd.DataFrame) or column not in table.columns or not len(table):
        return {}
    return table.groupby(column, sort=False, dropna=True).indices


def _take(table: pd.DataFrame, parts: list) -> pd.DataFrame:
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        return table.iloc[:0]
    pos = np.sort(np.concatenate(parts)) if len(parts) > 1 else parts[0]
    return table.take(pos)


def _tree(units: pd.DataFrame) -> tuple[list, dict]:
    """Every unit code the frame names, and code -> child codes (in the frame's order)."""
    if not isinstance(units, pd.DataFrame) or "code" not in units.columns:
        return [], {}
    children: dict = {}
    parents = units["parent_code"] if "parent_code" in units.columns else [None] * len(units)
    for code, parent in zip(units["code"], parents):
        if isinstance(parent, str):
            children.setdefault(parent, []).append(code)
    codes = list(dict.fromkeys([c for c in units["code"] if isinstance(c, str)] + list(children)))
    return codes, children


def _kind_ids(table) -> set:
    if not isinstance(table, pd.DataFrame) or not len(table) or "kind" not in table.columns:
        return set()
    return set(zip(table["kind"], table["id"].astype(str)))


def split_result(result) -> dict:
    """``{unit_code: part}`` of a :class:`~analysis.sipas.SipasResult` (``COMMON``: the
    part of any other unit); None gives ``{}``."""
    if result is None:
        return {}
    fields = [f.name for f in dataclasses.fields(result)]
    frames = {name: getattr(result, name) for name in fields
              if isinstance(getattr(result, name), pd.DataFrame) and name != "units"}
    diagnostics = {k: v for k, v in (result.diagnostics or {}).items() if isinstance(v, pd.DataFrame)}
    own = {name: _positions(t, "unit_code") for name, t in frames.items()}
    own_diag = {name: _positions(t, "unit_code") for name, t in diagnostics.items()}
    overall = {}
    for name in _WITH_CHILDREN:
        table = frames.get(name)
        if isinstance(table, pd.DataFrame) and "kind" in table.columns and len(table):
            sub = np.flatnonzero((table["kind"] == "overall").to_numpy())
            groups = table.iloc[sub].groupby("unit_code", sort=False, dropna=True).indices
            overall[name] = {code: sub[p] for code, p in groups.items()}
    units = result.units
    by_code, by_parent = _positions(units, "code"), _positions(units, "parent_code")
    codes, children = _tree(units)
    for table in frames.values():
        if isinstance(table, pd.DataFrame) and "unit_code" in table.columns:
            codes += [c for c in _positions(table, "unit_code") if isinstance(c, str)]
    meta = dict(result.meta or {})
    meta["_kind_ids"] = {"indices": _kind_ids(result.indices),
                         "indicators": _kind_ids(result.indicators)}

    def part(code):
        kids = children.get(code, []) if code != COMMON else []
        values = {}
        for name, table in frames.items():
            positions = [own[name].get(code)]
            if name in overall:
                positions += [overall[name].get(kid) for kid in kids]
            values[name] = _take(table, positions) if own[name] or name in overall else table.iloc[:0]
        values["units"] = (_take(units, [by_code.get(code), by_parent.get(code)])
                           if isinstance(units, pd.DataFrame) else units)
        diag = {name: (_take(t, [own_diag[name].get(code)]) if own_diag[name] else t.iloc[:0])
                for name, t in diagnostics.items()}
        return dataclasses.replace(result, **values, meta=meta, weighting={}, diagnostics=diag)

    return {code: part(code) for code in dict.fromkeys(codes + [COMMON])}


def split_breakdowns(tables: dict) -> dict:
    """``{unit_code: part}`` of the breakdowns (see
    :func:`survey.services.reports.compute_breakdowns`): the unit's rows by field and by
    channel, its subtree's rows of ``counts`` and ``units``."""
    units = tables.get("units")
    codes, children = _tree(units)
    by = {name: _positions(tables.get(name), "unit_code") for name in ("by_field", "by_channel")}
    counts = tables.get("counts")
    count_rows = _positions(counts, "unit_code")
    unit_rows = _positions(units, "code")

    def subtree(code):
        out, stack = [], [code]
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(children.get(c, []))
        return out

    def part(code):
        out = dict(tables)
        for name in ("by_field", "by_channel"):
            table = tables.get(name)
            if isinstance(table, pd.DataFrame):
                out[name] = _take(table, [by[name].get(code)]) if by[name] else table.iloc[:0]
        tree = subtree(code) if code != COMMON else []
        if isinstance(counts, pd.DataFrame):
            out["counts"] = _take(counts, [count_rows.get(c) for c in tree])
        if isinstance(units, pd.DataFrame):
            out["units"] = _take(units, [unit_rows.get(c) for c in tree])
        return out

    extra = []
    for name in ("by_field", "by_channel"):
        extra += [c for c in by[name] if isinstance(c, str)]
    extra += [c for c in count_rows if isinstance(c, str)]
    return {code: part(code) for code in dict.fromkeys(codes + extra + [COMMON])}


class Rows:
    """The first row (as a dict) of each (unit_code, kind) and (unit_code, kind, id) of a
    table: what a boolean mask over the table and ``.iloc[0]`` would give."""

    def __init__(self, table: pd.DataFrame | None):
        self.first: dict = {}
        if table is None or not len(table):
            return
        for row in table.to_dict("records"):
            self.first.setdefault((row.get("unit_code"), row.get("kind")), row)
            self.first.setdefault((row.get("unit_code"), row.get("kind"), row.get("id")), row)

    def get(self, unit_code: str, kind: str, id_: str | None = None) -> dict | None:
        """The row, or None."""
        key = (unit_code, kind) if id_ is None else (unit_code, kind, id_)
        return self.first.get(key)
