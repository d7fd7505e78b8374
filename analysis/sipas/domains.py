"""Domains of a SIPAS table: the whole scope and every unit's subtree, level by level.

Each depth of the unit tree partitions the responses (a response belongs to the subtree
of each of its unit's ancestors), so estimating "every unit at every level" is one
batched pass per depth, plus one for the whole scope. This module turns batched
estimates into the long, report-ready table: value, SE, CI, df, n, effective n, the test
against the parent (Holm-adjusted among siblings) and the presentation standard
(:mod:`analysis.sipas.standard`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..intervals import effective_n, proportion_interval, t_interval

from .inputs import SCOPE, UnitTree
from .linearized import DesignArrays, PreparedLevels, ratio_combinations
from .standard import PresentationStandard, adjust_pvalues, apply_standard

# A share with fewer (effective) events or non-events than this is "near 0 or 100 %":
# it always gets the Korn-Graubard interval, whatever method the options name.
NEAR_EDGE_EVENTS = 5

__all__ = ["DomainSet", "edge_variance", "estimate_table", "interval", "restrict_plan"]


@dataclass
class DomainSet:
    """The levels (scope, depth 0, depth 1, ...) as row partitions with their unit codes."""

    levels: list            # [(codes (N,), D)]
    parents: list           # [None | (parent level, parent_of_domain)]
    unit_codes: list        # [array of unit codes per domain]
    depths: list            # [depth per level; -1 for the scope]
    families: list | None = None   # [per domain: "parent code|unit kind", the test family]
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
        families = [np.array(["scope"], dtype=object)]
        kind = tree.frame["kind"].fillna("").astype(str).to_numpy(dtype=object)
        parent_code = tree.frame["parent_code"].fillna(SCOPE).astype(str).to_numpy(dtype=object)
        position = np.full(tree.codes.size, -1, dtype=np.int64)
        for depth in range(tree.n_levels):
            members = np.flatnonzero(tree.depth == depth)
            position[members] = np.arange(members.size)
            anc = tree.ancestors[depth, unit_index]
            groups = np.where(anc >= 0, position[np.maximum(anc, 0)], -1)
            levels.append((groups, members.size))
            codes.append(tree.codes[members])
            depths.append(depth)
            families.append(parent_code[members] + "|" + kind[members])
            if depth == 0:
                parents.append((0, np.zeros(members.size, dtype=np.int64)))
            else:
                parents.append((depth, position[tree.parent[members]]))
        return cls(levels=levels, parents=parents, unit_codes=codes, depths=depths,
                   families=families)


def restrict_plan(plan, domain: np.ndarray, *, rows: bool = False):
    """Restrict a plan's ratio variables to the responses in ``domain`` (bool per row).

    By default the variables are set to 0 outside the domain, in place, keeping every
    row in the design: the domain estimator of a ratio, ``sum_d w y / sum_d w x``, with
    its variance from the full design (the rows outside count as PSUs with z = 0).
    With ``rows=True`` a copy holding only the domain's rows is returned instead.
    """
    import dataclasses
    if rows:
        return dataclasses.replace(plan, num=[y[domain] for y in plan.num],
                                   den=[x[domain] for x in plan.den])
    plan.num = [np.where(domain, y, 0).astype(np.asarray(y).dtype) for y in plan.num]
    plan.den = [np.where(domain, x, 0).astype(np.asarray(x).dtype) for x in plan.den]
    return plan


def interval(value, se, df, n, *, logit, level: float = 0.95, method: str = "beta"):
    """Confidence limits on the 0-100 scale, with the design engine's interval functions.

    ``logit`` rows (single shares) use :func:`analysis.intervals.proportion_interval`
    with ``method`` (default ``"beta"``: Korn-Graubard, ``svyciprop(method="beta")``,
    effective n capped at n and taken as n where the SE is 0, so 0 events in n get
    ``[0, 1 - (a/2)^(1/n)]``). A share with fewer than ``NEAR_EDGE_EVENTS`` effective
    events or non-events gets the Korn-Graubard interval whatever ``method`` says.
    Other rows (element and overall indices, mean scores) use ``value -/+ t(df) se``,
    clipped to [0, 100]; one of those at exactly 0 or 100 with SE 0 gets the
    Korn-Graubard bound of an all-or-nothing share of n, never a zero-width interval.
    """
    value, se = np.asarray(value, dtype=np.float64), np.asarray(se, dtype=np.float64)
    logit = np.broadcast_to(np.asarray(logit, dtype=bool), value.shape)
    p, sp = value / 100, se / 100
    lo, hi = t_interval(value, se, df, level)
    lo, hi = np.clip(lo, 0, 100), np.clip(hi, 0, 100)
    klo, khi = proportion_interval(p, sp, df, n, "beta", level, edges=True, cap=True)
    if method != "beta":
        mlo, mhi = proportion_interval(p, sp, df, n, method, level)
        ne = effective_n(p, sp, n)
        near = (ne * p < NEAR_EDGE_EVENTS) | (ne * (1 - p) < NEAR_EDGE_EVENTS)
        slo, shi = np.where(near, klo, mlo), np.where(near, khi, mhi)
    else:
        slo, shi = klo, khi
    flat = ~logit & ((value <= 0) | (value >= 100)) & ~(se > 0)
    lo, hi = np.where(flat, klo * 100, lo), np.where(flat, khi * 100, hi)
    return np.where(logit, slo * 100, lo), np.where(logit, shi * 100, hi)


def edge_variance(value, se, n, *, events: float = NEAR_EDGE_EVENTS) -> np.ndarray:
    """Variance a share near 0 or 100 % lacks in its linearised SE (0-100 scale squared).

    A share with fewer than ``events`` effective events or non-events (``n_eff p`` or
    ``n_eff (1 - p)``, :func:`analysis.intervals.effective_n`, so ``n_eff = n`` where the
    SE is 0) gets the Agresti-Coull variance ``p~ (1 - p~) / (n_eff + 4)`` with
    ``p~ = (n_eff p + 2) / (n_eff + 4)`` (Agresti & Coull 1998: two events and two
    non-events added, the 95 % "plus four" rule) when that is larger than its squared SE;
    the function returns the difference (0 elsewhere, and where ``n`` is 0).
    """
    value, se = np.asarray(value, float), np.asarray(se, float)
    p, sp = value / 100, se / 100
    with np.errstate(invalid="ignore"):
        ne = effective_n(p, sp, n)
        x = ne * p
        near = (x < events) | (ne - x < events)
        pt = (x + 2) / (ne + 4)
        floor = pt * (1 - pt) / (ne + 4) * 1e4
        extra = np.where(near, np.maximum(floor - np.nan_to_num(se) ** 2, 0.0), 0.0)
    return np.nan_to_num(extra)


def estimate_table(num: Sequence[np.ndarray], den: Sequence[np.ndarray],
                   coefficients: np.ndarray | Callable, ids: Sequence[tuple[str, str]],
                   design: DesignArrays, domains: DomainSet, *, logit: Sequence[bool],
                   standard: PresentationStandard | None = None, alpha: float = 0.05,
                   level: float = 0.95, method: str = "beta", min_events: float = 5,
                   multiple: str = "holm", components: int = 0,
                   progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Run the batched estimator and return the long table (one row per domain × id).

    ``ids`` holds ``(kind, id)`` per combination; ``logit`` says which are single shares.

    The test against the parent: for a share, the unit's own variance in the jointly
    linearised difference is replaced by its variance under the null,
    ``p0 (1 - p0) / n_eff`` with ``p0`` the parent's share (so 0 events in a unit do not
    make a difference "certain"), and a unit is tested only when it expects at least
    ``min_events`` events and non-events under the null (``n_eff p0``, ``n_eff (1-p0)``);
    other figures use the observed variance. Every test is a t test on the unit's df;
    figures suppressed by the standard are not tested. p-values are adjusted (``multiple``)
    within each family: one measure among the units of the same kind under one parent.

    ``components``: the first ``components`` combinations are the single ratios (the
    criteria, one per ratio variable, as in :class:`~analysis.sipas.indices.IndexPlan`).
    Every other combination that is not a single share (element and overall indices)
    then adds, to its variance and
    to that of its difference from the parent, ``sum_k c_k^2 * edge_variance(R_k)``: a
    criterion at or near 0 or 100 % contributes (almost) nothing to the linearised
    variance, which is the wrong answer for 9 answers all "satisfied" (for the
    difference, see ``_diff_extra``). The linearised SE stays in ``se_linearized``.
    """
    standard = standard or PresentationStandard()
    est = ratio_combinations(num, den, coefficients, design, domains.prepared(design),
                             progress=progress)
    frames = []
    Q = len(ids)
    kinds = np.array([k for k, _ in ids], dtype=object)
    names = np.array([i for _, i in ids], dtype=object)
    extras = [_edge_extra(e, components, logit) for e in est]
    for li, (e, codes, depth) in enumerate(zip(est, domains.unit_codes, domains.depths)):
        D = codes.size
        extra = extras[li]
        family = (np.repeat(domains.families[li], Q) if domains.families is not None
                  else np.repeat(np.full(D, str(depth), dtype=object), Q))
        f = pd.DataFrame({
            "unit_code": np.repeat(codes, Q), "depth": depth,
            "kind": np.tile(kinds, D), "id": np.tile(names, D),
            "value": e.value.ravel(), "se": np.sqrt(e.se ** 2 + extra).ravel(),
            "df": e.df.ravel().astype(np.int64), "n": e.n.ravel().astype(np.int64),
            "logit": np.tile(np.asarray(logit, dtype=bool), D),
            "family": family,
        })
        f["se_linearized"] = e.se.ravel()
        par = domains.parents[li]
        if e.diff is not None and par is not None:
            f["diff_parent"] = e.diff.ravel()
            pl, parent_of = par
            has = (parent_of >= 0)[:, None]
            pextra = np.where(has, extras[pl][np.maximum(parent_of, 0)], 0)
            n_par = np.where(has, est[pl].n[np.maximum(parent_of, 0)], 0)
            f["se_diff_parent"] = np.sqrt(e.se_diff ** 2
                                          + _diff_extra(extra, pextra, e.n, n_par)).ravel()
            pv = est[pl].value[np.maximum(parent_of, 0)]
            f["parent_value"] = np.where((parent_of >= 0)[:, None], pv, np.nan).ravel()
        else:
            f["diff_parent"] = np.nan
            f["se_diff_parent"] = np.nan
            f["parent_value"] = np.nan
        frames.append(f)
    table = pd.concat(frames, ignore_index=True)
    share = table["logit"].to_numpy()
    value, se = table["value"].to_numpy(), table["se"].to_numpy()
    n, df = table["n"].to_numpy(), table["df"].to_numpy()
    lo, hi = interval(value, se, df, n, logit=share, level=level, method=method)
    table.insert(6, "ci_low", lo)
    table.insert(7, "ci_high", hi)
    n_eff = effective_n(value / 100, se / 100, n)
    table.insert(10, "n_eff", n_eff)
    suppress, review = apply_standard(value, lo, hi, n_eff, df, standard)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = se / value
        p0 = table["parent_value"].to_numpy() / 100
        v0 = p0 * (1 - p0) / n_eff * 1e4
        var_null = table["se_diff_parent"].to_numpy() ** 2 - se ** 2 + v0
        se_test = np.where(share, np.sqrt(np.where(var_null > 0, var_null, np.nan)),
                           table["se_diff_parent"].to_numpy())
        tstat = table["diff_parent"].to_numpy() / se_test
    enough = ~share | ((n_eff * p0 >= min_events) & (n_eff * (1 - p0) >= min_events))
    testable = enough & ~suppress & np.isfinite(tstat) & (df > 0)
    table["cv"] = np.where(value > 0, cv, np.nan)
    p_raw = np.where(testable, 2 * stats.t.sf(np.abs(tstat), np.maximum(df, 1.0)), np.nan)
    family = (table["family"].astype(str) + "\x1f" + table["kind"] + "\x1f"
              + table["id"]).to_numpy()
    p_adj = adjust_pvalues(p_raw, family, multiple)
    table["p_parent"] = p_raw
    table["p_parent_adjusted"] = p_adj
    sig = p_adj < alpha
    table["vs_parent"] = np.where(sig & (tstat > 0), "above",
                                  np.where(sig & (tstat < 0), "below", ""))
    no_data = np.isnan(value) | (n == 0)
    small = ~no_data & suppress
    table["small_sample"] = small
    table["status"] = np.where(no_data, "no_data", np.where(
        small, "small_sample", np.where(review, "review", "ok")))
    table.loc[no_data, ["value", "se", "ci_low", "ci_high", "cv", "n_eff",
                        "se_linearized"]] = np.nan
    lin = table.pop("se_linearized")
    table = table.drop(columns=["logit", "family", "parent_value"])
    table["se_linearized"] = lin
    return table


def _diff_extra(extra, pextra, n, n_parent) -> np.ndarray:
    """Edge variance of ``unit - parent`` when the unit is part of the parent.

    With ``s`` the unit's share of the parent's respondents (``n / n_parent``), the
    parent is ``s * unit + (1 - s) * rest``, so ``unit - parent = (1 - s)(unit - rest)``:
    the unit's term counts ``(1 - s)^2 * extra`` and the rest's is what the parent's term
    leaves after the unit's part, ``max(pextra - s^2 * extra, 0)``. A unit that is its
    whole parent gets none (the difference is 0 by construction).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.clip(np.where(n_parent > 0, n / n_parent, 0.0), 0.0, 1.0)
    return (1 - s) ** 2 * extra + np.maximum(pextra - s * s * extra, 0.0)


def _edge_extra(e, components: int, logit) -> np.ndarray:
    """(D, Q) extra variance of the combinations of one level (see ``estimate_table``).

    Single shares (``logit``, e.g. an overall question) get none: their Korn-Graubard
    interval already deals with the edge."""
    extra = np.zeros_like(e.value)
    if components <= 0 or e.coef is None:
        return extra
    K = components
    per_k = edge_variance(e.value[:, :K], e.se[:, :K], e.n[:, :K])
    C = e.coef[:, K:, :K]
    extra[:, K:] = np.einsum("dqk,dk->dq", C * C, per_k)
    extra[:, np.asarray(logit, dtype=bool)] = 0.0
    return extra
