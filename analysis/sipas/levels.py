"""The design and the domain levels of :mod:`analysis.sipas.linearized`, prepared once.

:func:`design_arrays` checks per-row weights, strata, PSUs and population sizes and
builds the design engine's :class:`~analysis.variance.DesignCodes`.
:class:`PreparedLevels` builds, for every level (a partition of the rows into domains),
the keys of its (domain, PSU) and (domain, stratum) pieces, the "atoms" (distinct
combinations of domain codes across levels) and the maps from each level's pieces to
its parent level's. None of this depends on the variables, so several tables over the
same domains share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DesignError, LonelyPSUError
from ..variance import DesignCodes, stratum_factors

__all__ = ["DesignArrays", "PreparedLevels", "design_arrays"]

LONELY_PSU = ("adjust", "remove", "average", None)


@dataclass(frozen=True)
class DesignArrays:
    """Weights plus the first-stage codes of the design engine (:class:`DesignCodes`)."""

    weights: np.ndarray          # (N,) float64
    codes: DesignCodes           # strata, PSUs, fpc and lonely-PSU factors
    calibration: tuple = ()      # CalibrationSteps of the weights (raking), for the variance

    @property
    def n(self) -> int:
        """Number of rows."""
        return self.weights.shape[0]


def design_arrays(weights, stratum=None, psu=None, population=None, *,
                  lonely_psu: str | None = "adjust", calibration=()) -> DesignArrays:
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
    calibration : sequence of CalibrationStep, optional
        Calibration steps that produced ``weights`` (:mod:`analysis.calibration`): the
        variance then uses the calibration residuals of every score, as
        ``SurveyDesign.rake`` does (see :mod:`analysis.sipas.calibrated`).

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
    for step in calibration:
        if step.w_new.shape != w.shape:
            raise DesignError("a calibration step does not match the weights")
    return DesignArrays(weights=w, codes=codes, calibration=tuple(calibration))


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
