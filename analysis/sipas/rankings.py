"""Rankings of sibling units, with rank intervals and the rank change against a previous wave.

A league is the units of one ``kind`` under one parent (departments, the centre and
communes are not compared with one another; roots among the roots). Units are ranked on
the overall index, each element index and each indicator (in its better direction).
A unit without data, or whose figure fails the presentation standard, is not ranked: its
row says ``unranked`` and has no rank, so it cannot slip into a league table.

Rank intervals: ``draws`` values of every ranked unit are drawn from Normal(value, se)
(seeded), ranked within the league, and the 2.5 and 97.5 percentiles of each unit's
ranks are its interval. A rank change is ``significant`` only when the previous rank lies
outside this wave's rank interval and this wave's rank outside the previous interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .inputs import SCOPE, UnitTree

__all__ = ["rank_units"]

# "points": PAR Index survey points (analysis/sipas/points.py), ranked like the indices.
RANKED_KINDS = ("overall", "element", "indicator", "points")


def rank_units(table: pd.DataFrame, tree: UnitTree, directions: dict[str, str], *,
               previous: pd.DataFrame | None = None,
               rank_small_samples: bool = False,
               draws: int = 1000, seed: int = 20240601) -> pd.DataFrame:
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
    draws, seed : int
        Simulated draws for the rank intervals (0: no intervals) and their seed.

    Returns
    -------
    DataFrame
        ``parent_code, unit_code, unit_kind, depth, kind, id, value, n, n_eff,
        small_sample, data_status, vs_parent, direction, rank, rank_low, rank_high,
        n_ranked, status, previous_rank, previous_rank_low, previous_rank_high,
        rank_change, rank_change_significant`` (``rank_change`` > 0: moved up;
        ``vs_parent`` "above"/"below" on the value scale).
    """
    t = table[(table["depth"] >= 0) & table["kind"].isin(RANKED_KINDS)]
    frame = tree.frame.set_index("code")
    parents = frame["parent_code"]
    out = pd.DataFrame({
        "parent_code": parents.reindex(t["unit_code"]).fillna(SCOPE).to_numpy(dtype=object),
        "unit_code": t["unit_code"].to_numpy(),
        "unit_kind": frame["kind"].reindex(t["unit_code"]).fillna("").to_numpy(dtype=object),
        "depth": t["depth"].to_numpy(),
        "kind": t["kind"].to_numpy(), "id": t["id"].to_numpy(), "value": t["value"].to_numpy(),
        "se": t["se"].to_numpy(), "n": t["n"].to_numpy(),
        "n_eff": t["n_eff"].to_numpy() if "n_eff" in t else np.nan,
        "small_sample": t["small_sample"].to_numpy(), "data_status": t["status"].to_numpy(),
        "vs_parent": t["vs_parent"].to_numpy(),
    })
    out["small_sample"] = out["small_sample"].fillna(False).astype(bool)
    out["direction"] = np.where(out["kind"] == "indicator",
                                out["id"].map(directions).fillna("higher"), "higher")
    rankable = out["value"].notna() & (out["data_status"] != "no_data")
    if not rank_small_samples:
        rankable &= ~out["small_sample"]
    score = np.where(out["direction"] == "lower", -out["value"], out["value"])
    out["score"] = np.where(rankable, score, np.nan)
    keys = ["parent_code", "unit_kind", "kind", "id"]
    out["rank"] = out.groupby(keys)["score"].rank(method="min", ascending=False).astype("Int64")
    out["rank_low"], out["rank_high"] = _rank_intervals(out, keys, draws, seed)
    out["n_ranked"] = out.groupby(keys)["score"].transform("count").astype("Int64")
    out["status"] = np.where(rankable, "ranked", "unranked")
    out.loc[~rankable, "n_ranked"] = pd.NA
    out = out.drop(columns=["score", "se"])
    prev_cols = {"rank": "previous_rank", "rank_low": "previous_rank_low",
                 "rank_high": "previous_rank_high"}
    if previous is not None and len(previous):
        have = [c for c in prev_cols if c in previous.columns]
        prev = previous[["unit_code", "kind", "id", *have]].rename(columns=prev_cols)
        for c in prev_cols.values():
            prev[c] = (pd.to_numeric(prev[c], errors="coerce") if c in prev
                       else np.nan)
        prev["previous_rank"] = prev["previous_rank"].astype("Int64")
        out = out.merge(prev.drop_duplicates(["unit_code", "kind", "id"]),
                        on=["unit_code", "kind", "id"], how="left")
    else:
        out["previous_rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["previous_rank_low"] = out["previous_rank_high"] = np.nan
    out["rank_change"] = (out["previous_rank"] - out["rank"]).astype("Int64")
    out["rank_change_significant"] = _change_significant(out)
    return out.sort_values(["depth", "parent_code", "kind", "id", "rank"],
                           na_position="last", kind="stable").reset_index(drop=True)


def _rank_intervals(out: pd.DataFrame, keys: list, draws: int, seed: int):
    """2.5/97.5 percentiles of simulated ranks within each league (NaN when unranked)."""
    low = np.full(len(out), np.nan)
    high = np.full(len(out), np.nan)
    if draws <= 0:
        return low, high
    rng = np.random.default_rng(seed)
    sign = np.where(out["direction"].to_numpy() == "lower", -1.0, 1.0)
    score = out["score"].to_numpy(dtype=float)
    se = np.nan_to_num(out["se"].to_numpy(dtype=float), nan=0.0)
    for _, idx in out.groupby(keys, sort=False).indices.items():
        idx = idx[np.isfinite(score[idx])]
        if idx.size == 0:
            continue
        sims = score[idx][None, :] + sign[idx] * se[idx] * rng.standard_normal((draws, idx.size))
        ranks = 1 + (sims[:, None, :] > sims[:, :, None]).sum(axis=2)     # (draws, units)
        low[idx] = np.percentile(ranks, 2.5, axis=0, method="lower")
        high[idx] = np.percentile(ranks, 97.5, axis=0, method="higher")
    return low, high


def _change_significant(out: pd.DataFrame) -> np.ndarray:
    """A rank change beyond both waves' rank intervals (unknown intervals: no)."""
    rank = out["rank"].astype(float).to_numpy()
    prev = out["previous_rank"].astype(float).to_numpy()
    lo, hi = out["rank_low"].to_numpy(float), out["rank_high"].to_numpy(float)
    plo = out["previous_rank_low"].to_numpy(float)
    phi = out["previous_rank_high"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        outside_now = (prev < lo) | (prev > hi)
        outside_prev = (rank < plo) | (rank > phi)
    return (np.isfinite(rank) & np.isfinite(prev) & outside_now & outside_prev
            & (rank != prev))
