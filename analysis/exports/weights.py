"""The weight column of an export, from the SIPAS design weights of ``analysis.sipas``.

A design weight (dossiers resolved N_h / responses n_h) depends only on the response's
weighting cell (unit × service field), so an export needs one weight per cell, computed
from the number of responses per cell, not from the responses themselves.  The cells are
pooled within a unit only, never across units, so the computation runs unit batch by
unit batch with :func:`analysis.sipas.weighting.design_weights` — the same rule as the
indices, and memory bounded by a batch instead of the wave.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sipas.inputs import build_tree, check_populations
from ..sipas.weighting import design_weights

__all__ = ["cell_weights", "attach_weights"]

BATCH_ROWS = 200_000
COLUMNS = ["unit_code", "service_field", "weight", "stratum", "fpc"]


def _batches(counts: pd.DataFrame, limit: int):
    """Groups of whole units whose responses add up to about ``limit`` rows."""
    per_unit = counts.groupby("unit_code", sort=True)["n"].sum()
    batch, size = [], 0
    for unit, n in per_unit.items():
        if batch and size + n > limit:
            yield batch
            batch, size = [], 0
        batch.append(unit)
        size += int(n)
    if batch:
        yield batch


def cell_weights(counts: pd.DataFrame, populations: pd.DataFrame, *, min_cell_n: int = 1,
                 batch_rows: int = BATCH_ROWS) -> pd.DataFrame:
    """Return the design weight of every cell that has responses.

    Parameters
    ----------
    counts : DataFrame
        ``unit_code, service_field, n``: responses per cell (``service_field`` may be
        missing).
    populations : DataFrame
        ``unit_code, service_field, dossiers`` of the wave.
    min_cell_n : int
        As in :class:`analysis.sipas.SipasOptions`: smaller cells are pooled in their unit.
    batch_rows : int
        About how many responses are expanded at a time.

    Returns
    -------
    DataFrame
        ``unit_code, service_field, weight, stratum, fpc`` (``service_field`` "" for
        responses without one; ``weight`` NaN where the unit has no dossiers at all).
        ``stratum`` names the weighting stratum: ``unit|field``, or ``unit|*rest`` /
        ``unit|*all`` for pooled cells; ``fpc`` is its dossiers N_h, so that
        ``svydesign(ids=~1, strata=~stratum, fpc=~fpc, weights=~weight)`` is the design
        of every figure.
    """
    counts = counts.assign(unit_code=counts["unit_code"].astype(str),
                           service_field=counts["service_field"].astype(object).where(
                               counts["service_field"].notna(), "").astype(str),
                           n=counts["n"].astype(np.int64))
    counts = counts[counts["n"] > 0]
    pops = populations.assign(unit_code=populations["unit_code"].astype(str))
    parts = []
    for units in _batches(counts, batch_rows):
        mine = counts[counts["unit_code"].isin(units)]
        # Only codes matter to the weighting: a flat tree of this batch's units is enough.
        tree = build_tree(pd.DataFrame({"code": units, "parent_code": [None] * len(units)}))
        batch_pops = check_populations(pops[pops["unit_code"].isin(units)], tree)
        rows = pd.DataFrame({"service_field": np.repeat(mine["service_field"].to_numpy(object),
                                                        mine["n"].to_numpy())})
        unit_index = np.repeat(tree.index(mine["unit_code"].to_numpy(object)), mine["n"].to_numpy())
        weights, _ = design_weights(rows, unit_index, batch_pops, tree, min_cell_n=min_cell_n,
                                    missing_population="drop")
        cells = weights.record.cells
        used = cells["stratum"] >= 0
        # The stratum a cell was weighted in (its own, the unit's pooled rest, or the
        # whole unit) and that stratum's dossiers N_h, the fpc: N_h = weight * n_h.
        cells = cells.assign(
            stratum=np.where(used, cells["unit_code"].astype(str) + "|" + cells["cell"].astype(str),
                             None),
            fpc=cells["dossiers"].groupby(cells["stratum"]).transform("sum").where(used))
        parts.append(cells.loc[cells["n"] > 0, COLUMNS])
    if not parts:
        return pd.DataFrame({c: [] for c in COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["service_field"] = out["service_field"].astype(str)
    return out


def attach_weights(frame: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with ``weight``, ``stratum`` and ``fpc`` looked up from :func:`cell_weights`."""
    key = pd.MultiIndex.from_frame(weights[["unit_code", "service_field"]].astype(str))
    lookup = pd.Series(weights["weight"].to_numpy(float), index=key)
    fields = frame["service_field"].astype(object).where(frame["service_field"].notna(), "").astype(str)
    rows = pd.MultiIndex.from_arrays([frame["unit_code"].astype(str), fields])
    out = frame.copy(deep=False)
    out["weight"] = lookup.reindex(rows).to_numpy() if len(lookup) else np.nan
    for column in ("stratum", "fpc"):
        if column in weights:
            values = pd.Series(weights[column].to_numpy(object), index=key)
            out[column] = values.reindex(rows).to_numpy() if len(values) else None
    return out
