"""One unit's rows of a wave-wide result table, found through an index made once per table.

A report reads its unit's rows from the wave's tables (indices, indicators, rankings,
points, breakdowns) several times each; a bulk run builds hundreds of reports from the
same tables. Comparing the whole ``unit_code`` column for every lookup cost a commune's
report about half of its context (bench_bulk_reports.py); :func:`unit_rows` groups a
table's row positions by unit once, the first time the table is asked, and keeps that
index while the table lives (keyed by the table's identity, checked against a weak
reference and its length, so a new table, or one grown or shrunk in place, gets a new
index). Result tables are not edited after they are made; a table whose unit codes were
rewritten in place would keep its old index.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np
import pandas as pd

__all__ = ["unit_rows"]

_lock = threading.Lock()
# id(table) -> (weak reference to it, its length then, {unit code: row positions})
_indexes: dict[int, tuple[weakref.ref, int, dict[str, np.ndarray]]] = {}


def _index(table: pd.DataFrame) -> dict[str, np.ndarray]:
    key = id(table)
    with _lock:
        kept = _indexes.get(key)
        if kept is not None and kept[0]() is table and kept[1] == len(table):
            return kept[2]
    positions = table.groupby(table["unit_code"].astype(str), sort=False).indices
    try:
        ref = weakref.ref(table, lambda _, key=key: _indexes.pop(key, None))
    except TypeError:                       # not weakly referable: index it every time
        return positions
    with _lock:
        _indexes[key] = (ref, len(table), positions)
    return positions


def unit_rows(table: pd.DataFrame | None, unit_code: str) -> pd.DataFrame | None:
    """The rows of ``table`` whose ``unit_code`` (as text) is ``unit_code``, in the table's
    order; None when there is no table or it has no ``unit_code`` column."""
    if table is None or "unit_code" not in table:
        return None
    if not len(table):
        return table
    found = _index(table).get(str(unit_code))
    return table.iloc[found if found is not None else np.empty(0, dtype=np.intp)]
