"""Rankings of sibling units, with the rank change against a previous wave.

Units are ranked among the units that share their parent (roots among the roots) on the
overall index, on each element index and on each indicator (in its better direction).
A unit without data is never ranked: its row says ``unranked`` and has no rank, so a
missing value cannot slip into a league table. Small samples are ranked (and flagged)
unless the options say otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .inputs import SCOPE, UnitTree

__all__ = ["rank_units"]

RANKED_KINDS = ("overall", "element", "indicator")


def rank_units(table: pd.DataFrame, tree: UnitTree, directions: dict[str, str], *,
               previous: pd.DataFrame | None = None,
               rank_small_samples: bool = True) -> pd.DataFrame:
    """Rank sibling units on every ranked measure of ``table``.

    Parameters
    ----------
    table : DataFrame
        Long indices and indicators (``unit_code, kind, id, value, n, status, ...``).
    tree : UnitTree
    directions : dict
        Indicator id -> "lower" or "higher" (indices are always "higher").
    previous : DataFrame, optional
        The ``rankings`` table of the previous wave's result.
    rank_small_samples : bool
        Whether units flagged ``small_sample`` are ranked.

    Returns
    -------
    DataFrame
        ``parent_code, unit_code, depth, kind, id, value, small_sample, data_status,
        vs_parent, direction, rank, n_ranked, status, previous_rank, rank_change``
        (``rank_change`` > 0: moved up; ``vs_parent`` "above"/"below" on the value scale).
    """
    t = table[(table["depth"] >= 0) & table["kind"].isin(RANKED_KINDS)]
    parents = tree.frame.set_index("code")["parent_code"]
    out = pd.DataFrame({
        "parent_code": parents.reindex(t["unit_code"]).fillna(SCOPE).to_numpy(dtype=object),
        "unit_code": t["unit_code"].to_numpy(), "depth": t["depth"].to_numpy(),
        "kind": t["kind"].to_numpy(), "id": t["id"].to_numpy(), "value": t["value"].to_numpy(),
        "small_sample": t["small_sample"].to_numpy(), "data_status": t["status"].to_numpy(),
        "vs_parent": t["vs_parent"].to_numpy(),
    })
    out["direction"] = np.where(out["kind"] == "indicator",
                                out["id"].map(directions).fillna("higher"), "higher")
    rankable = out["value"].notna() & (out["data_status"] != "no_data")
    if not rank_small_samples:
        rankable &= ~out["small_sample"]
    score = np.where(out["direction"] == "lower", -out["value"], out["value"])
    out["score"] = np.where(rankable, score, np.nan)
    keys = ["parent_code", "kind", "id"]
    out["rank"] = out.groupby(keys)["score"].rank(method="min", ascending=False).astype("Int64")
    out["n_ranked"] = out.groupby(keys)["score"].transform("count").astype("Int64")
    out["status"] = np.where(rankable, "ranked", "unranked")
    out.loc[~rankable, "n_ranked"] = pd.NA
    out = out.drop(columns=["score"])
    if previous is not None and len(previous):
        prev = previous[["unit_code", "kind", "id", "rank"]].rename(
            columns={"rank": "previous_rank"})
        prev = prev.assign(previous_rank=pd.to_numeric(prev["previous_rank"],
                                                       errors="coerce").astype("Int64"))
        out = out.merge(prev.drop_duplicates(["unit_code", "kind", "id"]),
                        on=["unit_code", "kind", "id"], how="left")
    else:
        out["previous_rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["rank_change"] = (out["previous_rank"] - out["rank"]).astype("Int64")
    return out.sort_values(["depth", "parent_code", "kind", "id", "rank"],
                           na_position="last", kind="stable").reset_index(drop=True)
