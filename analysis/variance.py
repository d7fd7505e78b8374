"""Taylor-linearisation variance for stratified (multi-PSU) designs, vectorised over domains.

The variance of an estimator is the variance of the total of its linearisation score ``z``
under the first-stage design (the ultimate-cluster approximation of R's ``svyrecvar``)::

    V = sum_h  f_h * n_h / (n_h - 1) * sum_{j in h} (t_j - mean_h(t))^2

with ``t_j`` the score totals of the PSUs of stratum ``h``, ``n_h`` their number and
``f_h = 1 - n_h / N_h`` the finite population correction (1 without ``fpc``).  Because
``sum_j (t_j - mean)^2 = sum_j t_j^2 - (sum_j t_j)^2 / n_h``, the variance of every domain
needs only two group sums per (domain, stratum), so thousands of domains cost one pass of
``np.bincount`` over the rows: a PSU without members of a domain has ``t_j = 0`` and adds
nothing to either sum, yet still counts in ``n_h`` -- exactly "zero the score outside the
domain and use the full design".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

__all__ = ["DesignCodes", "domain_variance", "domain_df", "dense_variance"]

# Above this many (domain, stratum) cells the dense bincount table would waste memory;
# hash the occupied cells instead.
_DENSE_CELLS = 20_000_000


@dataclass(frozen=True)
class DesignCodes:
    """Integer codes of a design's first stage, built once by :class:`SurveyDesign`.

    ``psu`` is None when every row is its own PSU (no clustering); then ``psu_stratum`` is
    the stratum of each row.  ``scale`` and ``centre`` carry the fpc, the n/(n-1) factor and
    the lonely-PSU rule per stratum; ``inflate`` is R's ``nstrat / nokstrat`` of
    ``lonely.psu = "average"`` (1 otherwise).
    """

    stratum: np.ndarray       # (n,) stratum code of each row
    psu: np.ndarray | None    # (n,) PSU code, unique across strata, or None
    psu_stratum: np.ndarray   # (P,) stratum code of each PSU
    n_psu: np.ndarray         # (S,) PSUs per stratum
    scale: np.ndarray         # (S,) multiplier of the centred sum of squares
    centre: np.ndarray        # (S,) 1/n_h, or 0 where the PSU total is not centred
    inflate: float

    @property
    def n_strata(self) -> int:
        return len(self.n_psu)

    @property
    def n_psus(self) -> int:
        return len(self.psu_stratum)


def stratum_factors(n_psu, fpc_factor, lonely):
    """Return ``(scale, centre, inflate)`` per stratum, with R's lonely-PSU semantics.

    ``fpc_factor`` is ``f_h = (N_h - n_h) / N_h`` (1 for sampling with replacement).
    Strata with one PSU: ``"remove"`` drops them (they add 0), ``"adjust"`` centres their
    PSU total at the mean of all PSU totals instead of the stratum mean (``centre`` 0
    marks them), and
    ``"average"`` drops them and inflates the sum by strata / strata-with-variance.
    """
    n_psu = np.asarray(n_psu, float)
    lone = n_psu == 1
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(lone, fpc_factor, fpc_factor * n_psu / (n_psu - 1))
        centre = np.where(lone, 0.0, 1.0 / n_psu)
    inflate = 1.0
    if lone.any():
        if lonely == "remove":
            scale = np.where(lone, 0.0, scale)
        elif lonely == "average":
            scale = np.where(lone, 0.0, scale)
            ok = int((~lone).sum())
            inflate = len(n_psu) / ok if ok else np.nan
        # "adjust": keep scale f_h and do not centre.
    return scale, centre, inflate


def _psu_totals(z, dom, codes: DesignCodes):
    """Score totals per occupied (domain, PSU): returns totals, their domain and stratum."""
    keep = dom >= 0
    z, dom = z[keep], dom[keep]
    if codes.psu is None:
        return z, dom, codes.stratum[keep]
    n_psus = codes.n_psus
    key = dom.astype(np.int64) * n_psus + codes.psu[keep]
    inv, uniq = pd.factorize(key, sort=False)
    totals = np.bincount(inv, weights=z, minlength=len(uniq))
    psu = uniq % n_psus
    return totals, uniq // n_psus, codes.psu_stratum[psu]


def _cell_sums(t, d, h, n_dom, n_strata, *values):
    """Sum each array in ``values`` per (domain, stratum); returns (cells, sums...)."""
    if n_dom * n_strata <= _DENSE_CELLS:
        key = d.astype(np.int64) * n_strata + h
        size = n_dom * n_strata
        sums = [np.bincount(key, weights=v, minlength=size) for v in values]
        cell_d = np.repeat(np.arange(n_dom), n_strata)
        cell_h = np.tile(np.arange(n_strata), n_dom)
        return cell_d, cell_h, sums
    key = d.astype(np.int64) * n_strata + h
    inv, uniq = pd.factorize(key, sort=False)
    sums = [np.bincount(inv, weights=v, minlength=len(uniq)) for v in values]
    return uniq // n_strata, uniq % n_strata, sums


def domain_variance(z, dom, n_dom: int, codes: DesignCodes) -> np.ndarray:
    """Variance of the total of score ``z`` in each domain, without per-domain loops.

    Parameters
    ----------
    z : ndarray, shape (n,)
        Linearisation score of each row for the estimate of its own domain.
    dom : ndarray of int, shape (n,)
        Domain code of each row, ``-1`` for rows outside every domain (their score is 0).
    n_dom : int
        Number of domains.
    codes : DesignCodes
        The design.

    Returns
    -------
    ndarray, shape (n_dom,)
    """
    t, d, h = _psu_totals(np.asarray(z, float), dom, codes)
    cell_d, cell_h, (s1, s2) = _cell_sums(t, d, h, n_dom, codes.n_strata, t, t * t)
    contrib = codes.scale[cell_h] * (s2 - codes.centre[cell_h] * s1 * s1)
    adjust = codes.centre == 0
    if adjust.any():
        # lonely_psu="adjust": a lonely PSU total is centred at the mean m of all PSU
        # totals of the design, (t - m)^2 = t^2 - 2 m t + m^2; m^2 applies to every domain.
        m = np.bincount(d, weights=t, minlength=n_dom) / codes.n_psus
        contrib = contrib - np.where(adjust[cell_h], 2 * codes.scale[cell_h] * m[cell_d] * s1, 0)
    var = np.bincount(cell_d, weights=contrib, minlength=n_dom)
    if adjust.any():
        var = var + m * m * codes.scale[adjust].sum()
    var = var * codes.inflate
    # Rounding can leave a tiny negative where the true value is 0.
    return np.maximum(var, 0.0)


def domain_df(dom, n_dom: int, codes: DesignCodes) -> np.ndarray:
    """Degrees of freedom per domain: PSUs holding domain rows minus their strata.

    This is R's ``degf()`` of the domain's subset design (and ``svy``'s domain df).
    """
    ones = np.ones(len(dom))
    t, d, h = _psu_totals(ones, dom, codes)
    cell_d, _, (count,) = _cell_sums(t, d, h, n_dom, codes.n_strata, np.ones(len(t)))
    psus = np.bincount(cell_d, weights=count, minlength=n_dom)
    strata = np.bincount(cell_d, weights=(count > 0).astype(float), minlength=n_dom)
    return (psus - strata).astype(np.int64)


def dense_variance(Z, codes: DesignCodes) -> np.ndarray:
    """Variance of the column totals of a dense score matrix ``Z`` (n x k).

    Used when calibration has spread each domain's score over every row.
    """
    Z = np.asarray(Z, float)
    if Z.ndim == 1:
        Z = Z[:, None]
    n = Z.shape[0]
    if codes.psu is None:
        T, psu_h = Z, codes.stratum
    else:
        M = sparse.csr_matrix((np.ones(n), (codes.psu, np.arange(n))), shape=(codes.n_psus, n))
        T, psu_h = M @ Z, codes.psu_stratum
    H = sparse.csr_matrix(
        (np.ones(len(psu_h)), (psu_h, np.arange(len(psu_h)))), shape=(codes.n_strata, len(psu_h))
    )
    s1, s2 = H @ T, H @ (T * T)
    adjust = codes.centre == 0
    if adjust.any():     # see domain_variance
        m = T.sum(axis=0) / codes.n_psus
        s2 = s2 - adjust[:, None] * (2 * m * s1 - m * m)
    var = codes.scale @ (s2 - codes.centre[:, None] * s1 * s1) * codes.inflate
    return np.maximum(var, 0.0)
