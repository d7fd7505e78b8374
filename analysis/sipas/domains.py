"""Domains of a SIPAS table: the whole scope and every unit's subtree, level by level.

Each depth of the unit tree partitions the responses (a response belongs to the subtree
of each of its unit's ancestors), so estimating "every unit at every level" is one
batched pass per depth, plus one for the whole scope. This module turns batched
estimates into the long, report-ready table: value, SE, CI, df, n, the test against the
parent, and small-sample flags.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..intervals import normal_interval, proportion_interval

from .inputs import SCOPE, UnitTree
from .linearized import DesignArrays, PreparedLevels, ratio_combinations

__all__ = ["DomainSet", "estimate_table", "interval"]


@dataclass
class DomainSet:
    """The levels (scope, depth 0, depth 1, ...) as row partitions with their unit codes."""

    levels: list            # [(codes (N,), D)]
    parents: list           # [None | (parent level, parent_of_domain)]
    unit_codes: list        # [array of unit codes per domain]
    depths: list            # [depth per level; -1 for the scope]
    _prepared: PreparedLevels | None = None

    def prepared(self, design: DesignArrays) -> PreparedLevels:
        """The levels prepared for ``design`` (built once, shared by every table)."""
        if self._prepared is None or self._prepared.design is not design:
            self._prepared = PreparedLevels(design, self.levels, self.parents)
        return self._prepared

    @classmethod
    def from_tree(cls, tree: UnitTree, unit_index: np.ndarray) -> DomainSet:
        """Build the levels for responses whose units are ``unit_index`` in ``tree``."""
        n = unit_index.size
        levels = [(np.zeros(n, dtype=np.int64), 1)]
        parents: list = [None]
        codes = [np.array([SCOPE], dtype=object)]
        depths = [-1]
        position = np.full(tree.codes.size, -1, dtype=np.int64)
        for depth in range(tree.n_levels):
            members = np.flatnonzero(tree.depth == depth)
            position[members] = np.arange(members.size)
            anc = tree.ancestors[depth, unit_index]
            groups = np.where(anc >= 0, position[np.maximum(anc, 0)], -1)
            levels.append((groups, members.size))
            codes.append(tree.codes[members])
            depths.append(depth)
            if depth == 0:
                parents.append((0, np.zeros(members.size, dtype=np.int64)))
            else:
                parents.append((depth, position[tree.parent[members]]))
        return cls(levels=levels, parents=parents, unit_codes=codes, depths=depths)


def interval(value, se, df, n, *, logit, level: float = 0.95):
    """Confidence limits on the 0-100 scale, with the design engine's interval functions.

    ``logit`` rows (single shares) use :func:`analysis.intervals.proportion_interval`
    with ``method="logit"``: t with the domain's design df on the logit scale, exactly
    ``svyciprop(method="logit")``; it is undefined (NaN) for a share of 0 or 100 or
    without df. Other rows (element and overall indices, mean scores) use the Normal
    interval of ``svymean``'s ``confint``, clipped to [0, 100].
    """
    value, se = np.asarray(value, dtype=np.float64), np.asarray(se, dtype=np.float64)
    logit = np.broadcast_to(np.asarray(logit, dtype=bool), value.shape)
    lo, hi = normal_interval(value, se, level)
    lo, hi = np.clip(lo, 0, 100), np.clip(hi, 0, 100)
    plo, phi = proportion_interval(value / 100, se / 100, df, n, "logit", level)
    return np.where(logit, plo * 100, lo), np.where(logit, phi * 100, hi)


def estimate_table(num: Sequence[np.ndarray], den: Sequence[np.ndarray],
                   coefficients: np.ndarray | Callable, ids: Sequence[tuple[str, str]],
                   design: DesignArrays, domains: DomainSet, *, logit: Sequence[bool],
                   min_n: int, max_cv: float, alpha: float = 0.05, level: float = 0.95,
                   progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Run the batched estimator and return the long table (one row per domain × id).

    ``ids`` holds ``(kind, id)`` per combination; ``logit`` says which use the logit CI.
    """
    est = ratio_combinations(num, den, coefficients, design, domains.prepared(design),
                             progress=progress)
    frames = []
    Q = len(ids)
    kinds = np.array([k for k, _ in ids], dtype=object)
    names = np.array([i for _, i in ids], dtype=object)
    for e, codes, depth in zip(est, domains.unit_codes, domains.depths):
        D = codes.size
        f = pd.DataFrame({
            "unit_code": np.repeat(codes, Q), "depth": depth,
            "kind": np.tile(kinds, D), "id": np.tile(names, D),
            "value": e.value.ravel(), "se": e.se.ravel(),
            "df": e.df.ravel().astype(np.int64), "n": e.n.ravel().astype(np.int64),
            "logit": np.tile(np.asarray(logit, dtype=bool), D),
        })
        if e.diff is not None:
            f["diff_parent"] = e.diff.ravel()
            f["se_diff_parent"] = e.se_diff.ravel()
        else:
            f["diff_parent"] = np.nan
            f["se_diff_parent"] = np.nan
        frames.append(f)
    table = pd.concat(frames, ignore_index=True)
    lo, hi = interval(table["value"], table["se"], table["df"], table["n"],
                      logit=table["logit"].to_numpy(), level=level)
    table.insert(6, "ci_low", lo)
    table.insert(7, "ci_high", hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = table["se"].to_numpy() / table["value"].to_numpy()
        tstat = table["diff_parent"].to_numpy() / table["se_diff_parent"].to_numpy()
    table["cv"] = np.where(table["value"] > 0, cv, np.nan)
    p = 2 * stats.t.sf(np.abs(tstat), np.maximum(table["df"].to_numpy(), 1.0))
    table["p_parent"] = p
    sig = (p < alpha) & np.isfinite(tstat)
    table["vs_parent"] = np.where(sig & (tstat > 0), "above",
                                  np.where(sig & (tstat < 0), "below", ""))
    no_data = table["value"].isna().to_numpy() | (table["n"].to_numpy() == 0)
    small = ~no_data & ((table["n"].to_numpy() < min_n) | (np.nan_to_num(table["cv"]) > max_cv))
    table["small_sample"] = small
    table["status"] = np.where(no_data, "no_data", np.where(small, "small_sample", "ok"))
    table.loc[no_data, ["value", "se", "ci_low", "ci_high", "cv"]] = np.nan
    return table.drop(columns="logit")
