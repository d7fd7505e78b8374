"""Weight calibration: post-stratification, raking, trimming, and their variance sweep.

A calibrated weight is no longer fixed: it depends on the sample through the calibration
totals.  As R's ``survey`` does (``postStratify``, ``rake``, ``calibrate``), each step is
recorded as a :class:`CalibrationStep` and the linearisation score ``z`` of every estimate
is replaced by its residual from the calibration regression before the variance is taken
(the g-weight / GREG residual approach of Sarndal, Swensson & Wretman 1992, sec. 6.5)::

    z* = z - w_new * X beta

with ``X`` the dummy matrix of the calibration cells.  For post-strata ``beta`` is the cell
mean ``sum_c(z) / sum_c(w_new)`` (R's ``svyrecvar`` sweep for ``postStratify``: a weighted
least-squares residual).  For raking, R's ``svyrecvar`` sweeps every margin in turn with
``z - w_new * ave(z / w_new, margin)`` -- an *unweighted* mean -- and repeats 10 times;
the sweeps converge to the ordinary least-squares residual of ``z / w_new`` on the dummies
of all margins, ``beta = (X'X)^{-1} X' (z / w_new)``, which is solved exactly here (it
agrees with R and ``svy`` to rounding).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import splu

from .errors import ConvergenceError, DesignError

__all__ = ["CalibrationStep", "poststratify_weights", "rake_weights", "trim_weights"]


@dataclass(frozen=True)
class CalibrationStep:
    """One calibration: cell codes per margin, and the weights before and after."""

    kind: str                      # "poststratify" or "rake"
    margins: tuple                 # tuple of (codes ndarray (n,), n_levels)
    w_old: np.ndarray
    w_new: np.ndarray

    def _design_matrix(self):
        # One margin keeps all its levels; later margins drop their first level so X has
        # full column rank (the dropped columns are sums of the kept ones).
        n = len(self.w_old)
        blocks = []
        for i, (codes, k) in enumerate(self.margins):
            rows = np.arange(n)
            cols = codes
            if i > 0:
                keep = codes > 0
                rows, cols, k = rows[keep], codes[keep] - 1, k - 1
            if k > 0:
                blocks.append(sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, k)))
        return sparse.hstack(blocks).tocsr()

    def residuals(self, Z: np.ndarray) -> np.ndarray:
        """Return the calibration residuals of the score matrix ``Z`` (n x k)."""
        if self.kind == "poststratify":
            codes, k = self.margins[0]
            G = sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                                  shape=(k, len(codes)))
            beta = (G @ Z) / np.bincount(codes, weights=self.w_new, minlength=k)[:, None]
            return Z - self.w_new[:, None] * beta[codes]
        # Raking: R's svyrecvar sweeps z - w * ave(z / w, margin) over the margins; the
        # sweeps converge to the unweighted least-squares residual of z / w on all margins.
        X, solve = self._solver
        rhs = np.asarray(X.T @ (Z / self.w_new[:, None]))
        beta = solve(rhs)
        return Z - self.w_new[:, None] * np.asarray(X @ beta)

    @cached_property
    def _solver(self):
        """The margins' dummy matrix and a solver of ``X'X beta = rhs``, factorised once
        (sparse LU: with thousands of weighting cells as a margin ``X'X`` is large but
        nearly block-diagonal), falling back to least squares when it is singular."""
        X = self._design_matrix()
        A = (X.T @ X).tocsc()
        try:
            lu = splu(A)
            if not np.all(np.isfinite(lu.U.diagonal())) or np.any(lu.U.diagonal() == 0):
                raise RuntimeError("singular")
            return X, lambda rhs: lu.solve(np.asarray(rhs, dtype=np.float64))
        except RuntimeError:
            dense = A.toarray()
            return X, lambda rhs: np.linalg.lstsq(dense, rhs, rcond=None)[0]


def poststratify_weights(w, codes, counts):
    """Scale weights so that their sum in each cell equals the population ``counts``.

    Parameters
    ----------
    w : ndarray
        Current weights (positive).
    codes : ndarray of int
        Cell code of each row, ``0 .. len(counts) - 1``.
    counts : ndarray
        Population count of each cell.

    Returns
    -------
    ndarray
        ``w * counts[c] / sum_c(w)``.
    """
    sums = np.bincount(codes, weights=w, minlength=len(counts))
    return w * (counts / sums)[codes]


def rake_weights(w, margins, targets, max_iter: int = 50, tol: float = 1e-8):
    """Iterative proportional fitting of weights to several margins.

    Parameters
    ----------
    w : ndarray
        Starting weights.
    margins : list of ndarray
        Cell codes of each row, one array per margin.
    targets : list of ndarray
        Population counts of each margin's cells (all margins with the same grand total).
    max_iter : int
        Most full cycles over the margins.
    tol : float
        Convergence when every margin matches its targets to this relative error.

    Returns
    -------
    ndarray
        Raked weights.

    Raises
    ------
    ConvergenceError
        When the margins are still off by more than ``tol`` after ``max_iter`` cycles.
    """
    w = np.asarray(w, float).copy()
    err = np.inf
    for _ in range(max_iter):
        for codes, target in zip(margins, targets):
            w = poststratify_weights(w, codes, target)
        err = max(
            np.max(np.abs(np.bincount(c, weights=w, minlength=len(t)) / t - 1))
            for c, t in zip(margins, targets)
        )
        if err < tol:
            return w
    raise ConvergenceError(
        f"raking did not converge in {max_iter} iterations (largest relative margin error "
        f"{err:.3g} > tol={tol:g}); check that the margins are consistent, or raise max_iter"
    )


def trim_weights(w, cap: float | None, lower: float | None, groups, max_iter: int = 50):
    """Bound weights to ``[lower, cap]`` and spread the excess so each group keeps its total.

    The weight cut from (or added to) the bounded rows is redistributed over the rows still
    inside the bounds, proportionally to their weights, within each group; this is repeated
    because redistribution can push other weights over a bound (as R's ``trimWeights``).
    """
    w = np.asarray(w, float).copy()
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    total = np.bincount(groups, weights=w, minlength=n_groups)
    hi = np.inf if cap is None else cap
    lo = -np.inf if lower is None else lower
    for _ in range(max_iter):
        out = (w > hi * (1 + 1e-12)) | (w < lo * (1 - 1e-12))
        if not out.any():
            return w
        w = np.clip(w, lo, hi)
        at_bound = (w >= hi) | (w <= lo)
        free = ~at_bound
        excess = total - np.bincount(groups, weights=w, minlength=n_groups)
        free_sum = np.bincount(groups, weights=np.where(free, w, 0.0), minlength=n_groups)
        if np.any((np.abs(excess) > 1e-9 * total) & (free_sum <= 0)):
            raise DesignError(
                "cannot trim: every weight of a group is at a bound, so the excess cannot be "
                "redistributed; raise the cap"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(free_sum > 0, 1 + excess / free_sum, 1.0)
        w = np.where(free, w * factor[groups], w)
    raise ConvergenceError(f"weight trimming did not converge in {max_iter} iterations")
