"""Variances of domain estimates under calibrated (raked) weights.

Calibration makes the weights depend on the sample, so the linearised score of every
estimate is replaced by its residual from the calibration regression before the variance
is taken (:meth:`analysis.calibration.CalibrationStep.residuals`, R's ``svyrecvar``).
The residual of a domain's score is no longer zero outside the domain, so the
batched, row-local sums of :mod:`analysis.sipas.linearized` do not apply: each domain's
score becomes a dense column, residualised and summed by PSU and stratum with
:func:`analysis.variance.dense_variance` -- exactly what ``SurveyDesign`` does for its
calibrated ``by=`` estimates. Domains are taken in blocks of columns so that memory
stays at about ``BLOCK_CELLS`` floats; the cost is rows × domains per figure, which is
fine for a province (tens of thousands of rows, a few hundred units) and the reason the
uncalibrated path stays the default.
"""

from __future__ import annotations

import numpy as np

from ..variance import dense_variance

__all__ = ["BLOCK_CELLS", "calibrated_variances"]

BLOCK_CELLS = 4_000_000


def _residuals(design, Z: np.ndarray) -> np.ndarray:
    for step in design.calibration:
        Z = step.residuals(Z)
    return Z


def _columns(n: int, L, scores: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """Dense (n, len(domains)) matrix: column j holds domain ``domains[j]``'s scores."""
    rows = np.arange(n) if L.rows is None else L.rows
    where = np.full(L.D, -1, dtype=np.int64)
    where[domains] = np.arange(domains.size)
    col = where[L.gi]
    sel = col >= 0
    Z = np.zeros((n, domains.size))
    Z[rows[sel], col[sel]] = scores[sel]
    return Z


def calibrated_variances(design, levels, scores, parents):
    """Variances of every domain, and of its difference from its parent domain.

    Parameters
    ----------
    design : DesignArrays
        With ``calibration`` steps.
    levels : list of prepared levels (``analysis.sipas.levels._Level``)
    scores : list of arrays
        Per level, the weighted linearised score ``w z`` of each row inside the level.
    parents : list of None or (parent level, parent domain of each domain)

    Returns
    -------
    list of (var (D,), var_diff (D,) or None)
    """
    n = design.n
    out = []
    for li, L in enumerate(levels):
        var = np.zeros(L.D)
        par = parents[li]
        var_diff = None if par is None else np.full(L.D, np.nan)
        block = max(1, BLOCK_CELLS // max(n, 1))
        for start in range(0, L.D, block):
            doms = np.arange(start, min(L.D, start + block))
            R = _residuals(design, _columns(n, L, scores[li], doms))
            var[doms] = dense_variance(R, design.codes)
            if par is not None:
                pl, parent_of = par
                po = np.asarray(parent_of, dtype=np.int64)[doms]
                has = po >= 0
                up, idx = np.unique(po[has], return_inverse=True)
                if up.size:
                    Rp = _residuals(design, _columns(n, levels[pl], scores[pl], up))
                    D = R[:, has] - Rp[:, idx]
                    var_diff[doms[has]] = dense_variance(D, design.codes)
        out.append((var, var_diff))
    return out
