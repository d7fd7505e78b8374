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
``SurveyDesign`` could use it for its own ``by=`` estimates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DesignError, LonelyPSUError
from ..variance import DesignCodes, stratum_factors

__all__ = ["DesignArrays", "LevelEstimate", "PreparedLevels", "design_arrays",
           "ratio_combinations"]

LONELY_PSU = ("adjust", "remove", "average", None)


@dataclass(frozen=True)
class DesignArrays:
    """Weights plus the first-stage codes of the design engine (:class:`DesignCodes`)."""

    weights: np.ndarray          # (N,) float64
    codes: DesignCodes           # strata, PSUs, fpc and lonely-PSU factors

    @property
    def n(self) -> int:
        """Number of rows."""
        return self.weights.shape[0]


def design_arrays(weights, stratum=None, psu=None, population=None, *,
                  lonely_psu: str | None = "adjust") -> DesignArrays:
    """Build :class:`DesignArrays` from per-row weights, strata and PSUs.

    Parameters
    ----------
    weights : array_like, shape (N,)
        Positive, finite sampling weights.
    stratum : array_like of int, shape (N,), optional
        Stratum codes (any integers); one stratum when omitted.
    psu : array_like of int, shape (N,), optional
        PSU codes, taken within strata (R's ``nest=TRUE``). Each row is its own PSU when
        omitted.
    population : array_like, optional
        Population size of each stratum in PSUs, one value per stratum (in the order of
        ``np.unique(stratum)``) or per row, for the finite population correction
        ``1 - n_h / N_h``; none when omitted. ``n_h > N_h`` is clipped to ``f_h = 1``.
    lonely_psu : {"adjust", "remove", "average", None}
        Strata with a single PSU, with the semantics of
        :func:`analysis.variance.stratum_factors` (R's ``survey.lonely.psu``); None raises
        :class:`~analysis.errors.LonelyPSUError`.

    Returns
    -------
    DesignArrays
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise DesignError("weights must be a non-empty 1-d array")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise DesignError("weights must be finite and positive")
    if lonely_psu not in LONELY_PSU:
        raise DesignError(f"lonely_psu must be one of {LONELY_PSU}, not {lonely_psu!r}")
    n = w.size
    if stratum is None:
        h = np.zeros(n, dtype=np.int64)
    else:
        h, _ = pd.factorize(np.asarray(stratum).ravel(), sort=True)
        h = h.astype(np.int64)
    if h.size != n:
        raise DesignError("stratum must have one value per row")
    n_strata = int(h.max()) + 1
    if psu is None:
        j, psu_stratum = None, h
    else:
        p = np.asarray(psu)
        if p.size != n:
            raise DesignError("psu must have one value per row")
        p, _ = pd.factorize(p.ravel())
        m = int(p.max()) + 1
        j, uniq = pd.factorize(h * m + p)
        j = j.astype(np.int64)
        psu_stratum = (uniq // m).astype(np.int64)
    n_psu = np.bincount(psu_stratum, minlength=n_strata)
    if lonely_psu is None and np.any(n_psu == 1):
        raise LonelyPSUError(f"{int(np.sum(n_psu == 1))} strata have a single PSU; "
                             "choose lonely_psu='adjust', 'remove' or 'average'")
    f = np.ones(n_strata)
    if population is not None:
        pop = np.asarray(population, dtype=np.float64).ravel()
        if pop.size == n and n != n_strata:
            per = np.zeros(n_strata)
            per[h] = pop
            pop = per
        if pop.size != n_strata:
            raise DesignError("population must have one value per stratum or per row")
        if not np.all(np.isfinite(pop)) or np.any(pop <= 0):
            raise DesignError("population sizes must be finite and positive")
        f = 1.0 - np.minimum(n_psu / pop, 1.0)
    scale, centre, inflate = stratum_factors(n_psu, f, lonely_psu)
    codes = DesignCodes(h, j, psu_stratum, n_psu, scale, centre, inflate)
    return DesignArrays(weights=w, codes=codes)


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


class _Level:
    """Keys of one partition: which (domain, PSU) and (domain, stratum) each row is in.

    They do not depend on the variable, so they are built once per level and reused for
    every combination (``analysis.variance.domain_variance`` rebuilds them per call).
    """

    def __init__(self, groups: np.ndarray, n_groups: int, design: DesignArrays):
        c = design.codes
        g = np.asarray(groups, dtype=np.int64)
        if g.shape != (design.n,):
            raise DesignError("a level must give one domain code per row")
        if g.size and (g.max() >= n_groups or g.min() < -1):
            raise DesignError("domain codes must be -1 (no domain) or 0..n_groups-1")
        self.g, self.D = g, n_groups
        self.inside = g >= 0
        self.rows = None if bool(self.inside.all()) else np.flatnonzero(self.inside)
        gi = self.take(g)
        self.gi = gi
        self.identity = c.psu is None
        if c.psu is None:
            # the respondent is the PSU: every row is its own (domain, PSU) piece
            self.key, self.n_keys = np.arange(gi.size), gi.size
            key_group, key_stratum = gi, self.take(c.stratum)
        else:
            n_psus = c.n_psus
            self.key, uniq = pd.factorize(gi * n_psus + self.take(c.psu))
            self.key = self.key.astype(np.int64)
            self.n_keys = uniq.size
            key_group, key_stratum = uniq // n_psus, c.psu_stratum[uniq % n_psus]
        S = c.n_strata
        # Usually strata are nested in the domains (weighting cells inside units): then the
        # (domain, stratum) piece is the stratum itself and no hashing is needed.
        group_of_stratum = np.full(S, -1, dtype=np.int64)
        group_of_stratum[key_stratum] = key_group
        self.nested = bool(np.array_equal(group_of_stratum[key_stratum], key_group))
        if self.nested:
            present = np.flatnonzero(group_of_stratum >= 0)
            where = np.full(S, -1, dtype=np.int64)
            where[present] = np.arange(present.size)
            self.dh_of_key = where[key_stratum]
            self.dh_group, dh_stratum = group_of_stratum[present], present
            self.dh_stratum = dh_stratum
        else:
            self.dh_of_key, uniq_dh = pd.factorize(key_group * S + key_stratum)
            self.dh_group, dh_stratum = uniq_dh // S, uniq_dh % S
        self.key_group = key_group
        self.n_rows = np.bincount(gi, minlength=self.D)
        self.scale = c.scale[dh_stratum] * c.inflate
        self.centre = c.centre[dh_stratum]

    def take(self, a: np.ndarray) -> np.ndarray:
        """Restrict a per-row array to the rows inside some domain."""
        return a if self.rows is None else a[self.rows]

    def df(self, used: np.ndarray) -> np.ndarray:
        """Per-domain df: PSUs holding used rows minus their strata (R's ``degf`` of the
        domain's subset, as ``analysis.variance.domain_df``)."""
        cnt = used if self.identity else np.bincount(self.key, weights=used,
                                                     minlength=self.n_keys)
        has = cnt > 0
        psus = np.bincount(self.key_group, weights=has, minlength=self.D)
        per_dh = np.bincount(self.dh_of_key, weights=has, minlength=self.dh_group.size)
        strata = np.bincount(self.dh_group, weights=per_dh > 0, minlength=self.D)
        return psus - strata

    def psu_totals(self, u: np.ndarray) -> np.ndarray:
        """Weighted linearised totals per (domain, PSU) piece."""
        if self.identity:
            return u
        return np.bincount(self.key, weights=u, minlength=self.n_keys)

    def variance(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-domain variance from PSU-piece totals; also returns the stratum sums."""
        s1 = np.bincount(self.dh_of_key, weights=t, minlength=self.dh_group.size)
        s2 = np.bincount(self.dh_of_key, weights=t * t, minlength=self.dh_group.size)
        contrib = self.scale * (s2 - self.centre * s1 * s1)
        var = np.bincount(self.dh_group, weights=contrib, minlength=self.D)
        return np.maximum(var, 0.0), s1


class PreparedLevels:
    """Levels with their keys, atoms and parent maps, reusable across calls.

    Building them hashes the rows a few times; several tables over the same domains
    (indices, indicators, expectations) should share one ``PreparedLevels``.
    """

    def __init__(self, design: DesignArrays, levels: Sequence[tuple[np.ndarray, int]],
                 parents: Sequence[tuple[int, np.ndarray] | None] | None = None):
        self.design = design
        self.levels = [_Level(codes, D, design) for codes, D in levels]
        self.parents = list(parents) if parents is not None else [None] * len(levels)
        if len(self.parents) != len(self.levels):
            raise DesignError("parents must have one entry per level")
        self.atom, self.level_of_atom = _atoms(self.levels)
        self.maps = {li: _parent_maps(self.levels[li], self.levels[par[0]])
                     for li, par in enumerate(self.parents) if par is not None}


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

    info = []
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
        info.append((value, C / Xs[:, None, :], C * (R / Xs)[:, None, :]))
    Q = info[0][0].shape[1] if info else 0
    support = [np.flatnonzero(np.any([np.any(i[1][:, q, :] != 0, axis=0) for i in info], 0))
               for q in range(Q)]

    out = [LevelEstimate(value=i[0], se=np.full((L.D, Q), np.nan), n=np.zeros((L.D, Q)),
                         df=np.zeros((L.D, Q)), n_rows=L.n_rows) for i, L in zip(info, lv)]
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
        totals, sums = [], []
        for li, (L, (value, A, B)) in enumerate(zip(lv, info)):
            z = np.zeros(L.gi.size)
            for k in ks:
                a, b = A[:, q, k], B[:, q, k]
                if L.D == 1:      # one domain: the coefficients are scalars, no gather
                    z += a[0] * L.take(ys[k]) - b[0] * L.take(xs[k])
                else:
                    z += a[L.gi] * L.take(ys[k])
                    z -= b[L.gi] * L.take(xs[k])
            t = L.psu_totals(L.take(w) * z)
            var, s1 = L.variance(t)
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
    return out


def _atoms(lv: list[_Level]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Code each row by its combination of domain codes; return the level codes per atom."""
    key = np.zeros(lv[0].g.size, dtype=np.int64) if lv else np.zeros(0, dtype=np.int64)
    for L in lv:
        key, _ = pd.factorize(key * (L.D + 1) + (L.g + 1))
        key = key.astype(np.int64)
    n_atoms = int(key.max()) + 1 if key.size else 0
    first = np.full(n_atoms, -1, dtype=np.int64)
    first[key[::-1]] = np.arange(key.size)[::-1]
    return key, [L.g[first] for L in lv]


def _group(codes: np.ndarray, values: np.ndarray, D: int) -> np.ndarray:
    # bincount of an empty selection returns int64 even with weights (a level with no
    # responses at all): force float so later divisions can write into it.
    return np.stack([np.bincount(codes, weights=values[:, k], minlength=D).astype(np.float64)
                     for k in range(values.shape[1])], 1)


def _parent_maps(L: _Level, P: _Level) -> tuple[np.ndarray, np.ndarray]:
    """Map each child (domain, PSU) and (domain, stratum) piece to the parent's piece,
    through the rows that belong to both."""
    child_key = np.full(L.g.size, -1, dtype=np.int64)
    child_key[L.rows if L.rows is not None else slice(None)] = L.key
    parent_key = np.full(P.g.size, -1, dtype=np.int64)
    parent_key[P.rows if P.rows is not None else slice(None)] = P.key
    rows = np.flatnonzero(L.inside)
    if np.any(parent_key[rows] < 0):
        raise DesignError("a domain is not nested in its parent domain")
    key_map = np.zeros(L.n_keys, dtype=np.int64)
    key_map[child_key[rows]] = parent_key[rows]
    dh_map = np.zeros(L.dh_group.size, dtype=np.int64)
    dh_map[L.dh_of_key] = P.dh_of_key[key_map]
    return key_map, dh_map


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
