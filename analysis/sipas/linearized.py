"""One batched, linearised estimator of linear combinations of ratios for many domains.

Every SIPAS figure is ``theta_d = sum_k c_dk * R_dk`` with ``R_dk = Y_dk / X_dk``,
``Y_dk = sum_{i in d} w_i y_ik`` and ``X_dk = sum_{i in d} w_i x_ik``: a criterion index is
one ratio, an element index a weighted mean of criterion ratios, the overall index a
weighted mean of element indices, an indicator or an expectation share one ratio.

Taylor linearisation (Woodruff 1971; Särndal, Swensson & Wretman 1992, 5.6–5.7) gives,
for a unit i of domain d,

    z_id = sum_k c_dk * (y_ik - R_dk * x_ik) / X_dk          (0 outside d)

and the variance of ``theta_d`` is the stratified between-PSU variance of the weighted
totals of ``z``:

    v(theta_d) = sum_h (1 - f_h) * n_h / (n_h - 1) * sum_j (t_hj - tbar_h)^2,
    t_hj = sum_{i in PSU hj} w_i z_id,

with ``n_h`` the number of PSUs of stratum h in the *whole* sample (a domain is never
treated as a stratum of its own) and ``f_h = n_h / N_h`` when a population size is given.
This is what R's ``survey::svyratio(..., svyby)`` and ``svy`` compute.

Nothing here loops over rows or domains: a level of domains is a partition of the rows
given as integer codes, and every sum is an ``np.bincount`` on integer keys.  Loops run
only over the terms ``(q, k)`` of the combinations (a few dozen).

The design itself (strata, PSUs nested in strata, fpc, the lonely-PSU rules) is the
design engine's :class:`~analysis.variance.DesignCodes` built with its
``stratum_factors``, so both give the same variance (the tests check it against
``SurveyDesign`` and ``domain_variance``). What is added here: keys of each level built
once and reused for every variable (``domain_variance`` rebuilds them per call, ~0.4 s on
a million rows), combinations of ratios, and the difference between a domain and the
domain that contains it, ``v(d - p) = v(d) + v(p) - 2 c(d, p)`` with the design
covariance of the two linearised totals. The module is free of SIPAS vocabulary so that
``SurveyDesign`` could use it for its own ``by=`` estimates. The design arrays and the
prepared levels (keys, atoms, parent maps) are built in :mod:`analysis.sipas.levels`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import DesignError
from .calibrated import calibrated_variances
from .levels import DesignArrays, PreparedLevels, design_arrays

__all__ = ["DesignArrays", "LevelEstimate", "PreparedLevels", "design_arrays",
           "ratio_combinations"]


@dataclass
class LevelEstimate:
    """Estimates for one partition of the rows into domains (arrays of shape (D, Q))."""

    value: np.ndarray
    se: np.ndarray
    n: np.ndarray            # respondents with a usable answer for the combination
    df: np.ndarray           # PSUs minus strata holding respondents used, per domain
    n_rows: np.ndarray       # (D,) rows in the domain
    diff: np.ndarray | None = None      # value minus the parent domain's value
    se_diff: np.ndarray | None = None   # its SE, overlap accounted for
    coef: np.ndarray | None = None      # (D, Q, K) coefficients used in each domain


def ratio_combinations(num: Sequence[np.ndarray], den: Sequence[np.ndarray],
                       coefficients: np.ndarray | Callable[[np.ndarray], np.ndarray],
                       design: DesignArrays, levels: Sequence[tuple[np.ndarray, int]],
                       parents: Sequence[tuple[int, np.ndarray] | None] | None = None,
                       *, progress: Callable[[int], None] | None = None) -> list[LevelEstimate]:
    """Estimate linear combinations of ratios, with linearised SEs, for many domains.

    Parameters
    ----------
    num, den : sequence of K arrays of shape (N,)
        Unweighted numerator ``y_k`` and denominator ``x_k`` variables of the K ratios
        (e.g. ``100 * satisfied`` and ``answered``). NaN is not allowed.
    coefficients : array (Q, K) or callable
        The Q combinations. An array gives fixed coefficients ``c_qk``. A callable gets
        ``available`` (bool array (D, K): ``X_dk > 0``) and returns (D, Q, K) effective
        coefficients, which lets the caller re-weight over the ratios a domain has (the
        coefficients are then treated as fixed given availability).
    design : DesignArrays
    levels : sequence of (codes, D), or PreparedLevels
        Each level partitions the rows into D domains (code -1: row in no domain).
        Domains may cut across strata and PSUs (a PSU total is then taken per domain).
    parents : sequence, optional
        For each level, None or ``(parent_level, parent_of_domain)`` where
        ``parent_of_domain[d]`` is the code of the domain containing d at the parent level
        (-1: none). The difference ``theta_d - theta_parent`` is then estimated with the
        variance of the jointly linearised difference ``z_d - z_parent``, so the overlap
        (d is part of its parent) is accounted for; domains must be nested in their parent.
        Ignored when ``levels`` is prepared (the prepared parents are used).
    progress : callable, optional
        Called with 1 after each (combination, level) pass.

    Returns
    -------
    list of LevelEstimate
        One per level; ``value`` is NaN where no ratio of the combination has data, ``se``
        is NaN there too.
    """
    K = len(num)
    if K == 0 or len(den) != K:
        raise DesignError("num and den must hold the same, non-zero number of variables")
    w = design.weights
    for arr in list(num) + list(den):
        if np.shape(arr) != (design.n,):
            raise DesignError("every num/den variable must have one value per row")
    prep = (levels if isinstance(levels, PreparedLevels)
            else PreparedLevels(design, levels, parents))
    if prep.design is not design:
        raise DesignError("the prepared levels belong to another design")
    lv, parents = prep.levels, prep.parents
    # Converted once: every pass below reads them.
    ys = [np.asarray(y, dtype=np.float64) for y in num]
    xs = [np.asarray(x, dtype=np.float64) for x in den]
    # Sums per "atom" (distinct combination of domain codes across levels) first, then
    # per level from the few atoms: K bincounts over the rows instead of K per level.
    atom, level_of_atom = prep.atom, prep.level_of_atom
    n_atoms = level_of_atom[0].size if level_of_atom else 0
    Ya = np.stack([np.bincount(atom, weights=w * y, minlength=n_atoms) for y in ys], 1)
    Xa = np.stack([np.bincount(atom, weights=w * x, minlength=n_atoms) for x in xs], 1)

    info, coefs = [], []
    for L, la in zip(lv, level_of_atom):
        inside = la >= 0
        Y = _group(la[inside], Ya[inside], L.D)
        X = _group(la[inside], Xa[inside], L.D)
        avail = X > 0
        R = np.divide(Y, X, out=np.zeros_like(Y), where=avail)
        if callable(coefficients):
            C = np.asarray(coefficients(avail), dtype=np.float64)
        else:
            C = np.broadcast_to(np.asarray(coefficients, dtype=np.float64)[None],
                                (L.D,) + np.shape(coefficients))
            C = np.where(avail[:, None, :], C, 0.0)
        if C.ndim != 3 or C.shape[0] != L.D or C.shape[2] != K:
            raise DesignError("coefficients must be (Q, K) or give (D, Q, K)")
        value = np.einsum("dqk,dk->dq", C, R)
        value[~(C != 0).any(axis=2)] = np.nan
        Xs = np.where(avail, X, 1.0)
        coefs.append(C)
        info.append((value, C / Xs[:, None, :], C * (R / Xs)[:, None, :]))
    Q = info[0][0].shape[1] if info else 0
    support = [np.flatnonzero(np.any([np.any(i[1][:, q, :] != 0, axis=0) for i in info], 0))
               for q in range(Q)]

    out = [LevelEstimate(value=i[0], se=np.full((L.D, Q), np.nan), n=np.zeros((L.D, Q)),
                         df=np.zeros((L.D, Q)), n_rows=L.n_rows, coef=C)
           for i, L, C in zip(info, lv, coefs)]
    maps = prep.maps
    fast_df = design.codes.psu is None
    for li, par in enumerate(parents):
        if par is not None:
            out[li].diff = np.full((lv[li].D, Q), np.nan)
            out[li].se_diff = np.full((lv[li].D, Q), np.nan)
    for q in range(Q):
        ks = support[q]
        answered = (xs[ks[0]] != 0) if ks.size == 1 else np.logical_or.reduce(
            [xs[k] != 0 for k in ks]) if ks.size else np.zeros(design.n, bool)
        n_atom = np.bincount(atom, weights=answered, minlength=n_atoms)
        if fast_df:
            used_h = np.bincount(design.codes.stratum, weights=answered,
                                 minlength=design.codes.n_strata)
        totals, sums, scores = [], [], []
        for li, (L, (value, A, B)) in enumerate(zip(lv, info)):
            z = np.zeros(L.gi.size)
            for k in ks:
                a, b = A[:, q, k], B[:, q, k]
                if L.D == 1:      # one domain: the coefficients are scalars, no gather
                    z += a[0] * L.take(ys[k]) - b[0] * L.take(xs[k])
                else:
                    z += a[L.gi] * L.take(ys[k])
                    z -= b[L.gi] * L.take(xs[k])
            u = L.take(w) * z
            t = L.psu_totals(u)
            var, s1 = L.variance(t)
            if design.calibration:
                scores.append(u)
            ok = ~np.isnan(value[:, q])
            out[li].se[ok, q] = np.sqrt(var[ok])
            la = level_of_atom[li]
            out[li].n[:, q] = np.bincount(la[la >= 0], weights=n_atom[la >= 0], minlength=L.D)
            if fast_df and L.nested:
                # respondent = PSU, strata inside domains: PSUs used are the respondents
                # used, and a stratum counts when it has one
                strata = np.bincount(L.dh_group, weights=used_h[L.dh_stratum] > 0,
                                     minlength=L.D)
                out[li].df[:, q] = out[li].n[:, q] - strata
            else:
                out[li].df[:, q] = L.df(L.take(answered).astype(np.float64))
            totals.append(t)
            sums.append(s1)
            if progress is not None:
                progress(1)
        for li, par in enumerate(parents):
            if par is not None:
                _difference(out, lv, li, par, q, totals, sums, maps[li])
        if design.calibration:
            _calibrated(out, lv, parents, q, scores, design)
    return out


def _calibrated(out, lv, parents, q, scores, design) -> None:
    """Replace the SEs of combination q by those from the calibration residuals."""
    for li, (var, var_diff) in enumerate(calibrated_variances(design, lv, scores, parents)):
        ok = ~np.isnan(out[li].value[:, q])
        out[li].se[ok, q] = np.sqrt(var[ok])
        if var_diff is not None:
            d = ~np.isnan(out[li].diff[:, q])
            out[li].se_diff[d, q] = np.sqrt(var_diff[d])


def _group(codes: np.ndarray, values: np.ndarray, D: int) -> np.ndarray:
    # bincount of an empty selection returns int64 even with weights (a level with no
    # responses at all): force float so later divisions can write into it.
    return np.stack([np.bincount(codes, weights=values[:, k], minlength=D).astype(np.float64)
                     for k in range(values.shape[1])], 1)


def _difference(out, lv, li, par, q, totals, sums, maps) -> None:
    """Fill diff and se_diff of level li against its parent level for combination q.

    ``v(d - p) = v(d) + v(p) - 2 c(d, p)`` with the design covariance
    ``c = sum_h scale_h (sum_j t_dj t_pj - centre_h * sum_j t_dj * sum_j t_pj)``.
    """
    pl, parent_of = par
    L = lv[li]
    key_map, dh_map = maps
    parent_of = np.asarray(parent_of, dtype=np.int64)
    t_c, t_p = totals[li], totals[pl]
    cross = np.bincount(L.dh_of_key, weights=t_c * t_p[key_map], minlength=L.dh_group.size)
    cov_dh = L.scale * (cross - L.centre * sums[li] * sums[pl][dh_map])
    cov = np.bincount(L.dh_group, weights=cov_dh, minlength=L.D)
    has_parent = parent_of >= 0
    pv = np.where(has_parent, parent_of, 0)
    v_c, v_p = out[li].value[:, q], out[pl].value[pv, q]
    se_c, se_p = out[li].se[:, q], out[pl].se[pv, q]
    var = se_c ** 2 + se_p ** 2 - 2 * cov
    ok = has_parent & ~np.isnan(v_c) & ~np.isnan(v_p)
    out[li].diff[ok, q] = (v_c - v_p)[ok]
    out[li].se_diff[ok, q] = np.sqrt(np.maximum(var[ok], 0.0))
