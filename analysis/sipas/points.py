"""A unit's indices as PAR Index survey points, by the table of the definition.

Each component of ``analysis.par_points`` names an index (``overall`` or an element) and
how it becomes points (proportional: ``max_points × index / 100``; or bands of the
edition's table). The points of a unit inherit everything the presentation standard
decided about the index they come from (``n``, ``n_eff``, ``small_sample``, ``status``):
points of an index that may not be shown may not be shown either, nor ranked. ``total``
sums the components, and exists only when every component has a value.

Uncertainty: proportional points have ``se = max_points × se(index) / 100``; banded
points are a step function of the index, with no meaningful standard error (``se`` NaN,
so their rank intervals are the ranks themselves).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["par_points", "POINT_COLUMNS"]

POINT_COLUMNS = ["unit_code", "depth", "kind", "id", "index", "index_value", "value",
                 "max_points", "se", "n", "n_eff", "small_sample", "status", "vs_parent"]
_INHERITED = ("n", "n_eff", "small_sample", "status", "vs_parent")


def par_points(indices: pd.DataFrame, spec) -> pd.DataFrame:
    """Points of every unit (and the scope) for each component, plus their ``total``.

    Parameters
    ----------
    indices : DataFrame
        The ``indices`` table of a result (values on 0-100).
    spec : AnalysisSpec
        The analysis of the definition; without ``par_points`` the table is empty.

    Returns
    -------
    DataFrame
        ``unit_code, depth, kind`` ("points"), ``id`` (component id or "total"),
        ``index`` (the index it maps), ``index_value, value`` (points), ``max_points, se,
        n, n_eff, small_sample, status, vs_parent``.
    """
    table = getattr(spec, "par_points", None)
    if table is None or indices is None or not len(indices):
        return pd.DataFrame(columns=POINT_COLUMNS)
    parts = []
    for comp in table.components:
        kind = "overall" if comp.index == "overall" else "element"
        src = indices[(indices["kind"] == kind) & (indices["id"] == comp.index)]
        if not len(src):
            continue
        part = pd.DataFrame({
            "unit_code": src["unit_code"].to_numpy(), "depth": src["depth"].to_numpy(),
            "kind": "points", "id": comp.id, "index": comp.index,
            "index_value": src["value"].to_numpy(dtype=float)})
        part["value"] = [comp.points(v) for v in part["index_value"]]
        part["max_points"] = float(comp.max_points)
        se = src["se"].to_numpy(dtype=float) if "se" in src else np.full(len(src), np.nan)
        part["se"] = se * comp.max_points / 100.0 if not comp.bands else np.nan
        for col in _INHERITED:
            part[col] = src[col].to_numpy() if col in src else np.nan
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=POINT_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["value"] = out["value"].astype(float)
    return pd.concat([out, _totals(out, len(table.components))], ignore_index=True)[POINT_COLUMNS]


def _totals(points: pd.DataFrame, components: int) -> pd.DataFrame:
    """One ``total`` row per unit: the sum, when every component has a value."""
    g = points.groupby(["unit_code", "depth"], sort=False)
    total = g.agg(value=("value", lambda v: v.sum() if v.notna().all() else np.nan),
                  count=("value", "size"), max_points=("max_points", "sum"),
                  n=("n", "min"), n_eff=("n_eff", "min"),
                  small_sample=("small_sample", "any"),
                  se=("se", lambda v: float(np.sqrt((v ** 2).sum())) if v.notna().all()
                      else np.nan)).reset_index()
    total.loc[total["count"] < components, "value"] = np.nan
    # The least showable component decides what may be said of the sum.
    order = {"ok": 0, "review": 1, "small_sample": 2, "no_data": 3}
    status = g["status"].agg(lambda s: max(s.astype(str), key=lambda x: order.get(x, 2)))
    total["status"] = status.to_numpy()
    total["kind"], total["id"], total["index"] = "points", "total", ""
    total["index_value"], total["vs_parent"] = np.nan, None
    return total.drop(columns="count")
