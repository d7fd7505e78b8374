"""One unit's rows of a wave-wide result table, found through an index made once per table.

A report reads its unit's rows from the wave's tables (indices, indicators, rankings,
points, breakdowns) several times each; a bulk run builds hundreds of reports from the
same tables. Comparing the whole ``unit_code`` column for every lookup cost a commune's
report about half of its context (bench_bulk_reports.py); :func:`unit_rows` groups a
table's row positions by unit once, the first time the table is asked, and keeps that
index while the table lives (keyed by the table's identity, checked against a weak
reference and its length, so a new table, or one grown or shrunk in place, gets a new
index). Result tables are not edited after they are made; a table whose unit codes were
rewritten in place would keep its old index. :func:`derived` is that memo for anything
else made from a whole table, such as the report's unit directory (``sections.py``).
"""

from __future__ import annotations

import threading
import weakref

import numpy as np
import pandas as pd

__all__ = ["derived", "unit_records", "unit_rows"]

_lock = threading.Lock()
# (id(table), name) -> (weak reference to the table, its length then, what was derived)
_kept: dict[tuple[int, str], tuple[weakref.ref, int, object]] = {}


def derived(table: pd.DataFrame, name: str, build):
    """``build(table)``, made the first time it is asked for this table and ``name`` and
    kept while the table lives (checked against a weak reference and its length, so a
    new table, or one grown or shrunk in place, gets a new one). What it returns is shared
    by every caller: treat it as read-only."""
    key = (id(table), name)
    with _lock:
        kept = _kept.get(key)
        if kept is not None and kept[0]() is table and kept[1] == len(table):
            return kept[2]
    value = build(table)
    try:
        ref = weakref.ref(table, lambda _, key=key: _kept.pop(key, None))
    except TypeError:                       # not weakly referable: build it every time
        return value
    with _lock:
        _kept[key] = (ref, len(table), value)
    return value


def _index(table: pd.DataFrame) -> dict[str, np.ndarray]:
    return derived(table, "unit_rows",
                   lambda t: t.groupby(t["unit_code"].astype(str), sort=False).indices)


def unit_rows(table: pd.DataFrame | None, unit_code: str) -> pd.DataFrame | None:
    """The rows of ``table`` whose ``unit_code`` (as text) is ``unit_code``, in the table's
    order; None when there is no table or it has no ``unit_code`` column."""
    if table is None or "unit_code" not in table:
        return None
    if not len(table):
        return table
    found = _index(table).get(str(unit_code))
    return table.iloc[found if found is not None else np.empty(0, dtype=np.intp)]


def _column_takers(table: pd.DataFrame) -> list[tuple[str, object]]:
    """Per column, a function of row positions giving those rows' values as Python
    objects: NumPy's ``tolist`` for plain NumPy columns (the natives ``to_dict`` gives),
    the extension array's ``take`` for the others (Arrow strings, nullable integers,
    categories, dates)."""
    takers = []
    for name in table.columns:
        column = table[name]
        if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biufOSU":
            values = column.to_numpy()
            takers.append((name, lambda positions, values=values: values[positions].tolist()))
        else:
            array = column.array
            takers.append((name, lambda positions, array=array: array.take(positions).tolist()))
    return takers


def unit_records(table: pd.DataFrame | None, unit_code: str) -> list[dict]:
    """The rows of ``table`` whose ``unit_code`` is ``unit_code``, as ``{column: value}``
    in the table's order: what ``unit_rows(...).to_dict("records")`` gives, without
    pandas' per-column indexing, except that a missing value in an extension column
    (Arrow strings, nullable integers) is ``pd.NA`` where ``to_dict`` gives None."""
    if table is None or "unit_code" not in table or not len(table):
        return []
    positions = _index(table).get(str(unit_code))
    if positions is None:
        return []
    takers = derived(table, "column_takers", _column_takers)
    names = [name for name, _ in takers]
    return [dict(zip(names, row)) for row in zip(*(take(positions) for _, take in takers))]
