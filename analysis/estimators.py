"""Point estimates, linearisation scores and design effects for totals, means and ratios.

Every function works on all domains at once: ``dom`` holds each row's domain code (``-1``
for rows not used: outside every domain, or with a missing value), and results are arrays
indexed by domain.  The score ``z`` of a row is the influence of that row on the estimate
of its own domain (zero elsewhere), so its variance is the estimate's variance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Estimate", "domain_estimates"]


@dataclass(frozen=True)
class Estimate:
    """A design-based estimate with its uncertainty.

    Attributes
    ----------
    value : float
        The point estimate (NaN when there is no data).
    se : float
        Standard error (Taylor linearisation).
    ci_low, ci_high : float
        Confidence interval at ``conf_level``.
    df : int
        Design degrees of freedom: PSUs minus strata (of the rows used).
    n : int
        Respondents used (rows with a non-missing value; 0 means no data).
    deff : float
        Design effect versus simple random sampling without replacement of ``n`` units.
    conf_level : float
        Confidence level of the interval.
    interval : str
        How the interval was computed ("normal", or a proportion method).
    """

    value: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    n: int
    deff: float
    conf_level: float = 0.95
    interval: str = "normal"

    @property
    def no_data(self) -> bool:
        """True when no respondent contributed, so nothing was estimated."""
        return self.n == 0

    @property
    def var(self) -> float:
        """Variance, ``se ** 2``."""
        return self.se**2


def _sum(dom, n_dom, values):
    return np.bincount(dom, weights=values, minlength=n_dom)


def domain_estimates(kind: str, w, y, x, dom, n_dom: int):
    """Estimates, scores and SRS variances of ``kind`` in every domain.

    Parameters
    ----------
    kind : {"total", "mean", "ratio"}
    w : ndarray
        Weights of the used rows.
    y, x : ndarray
        Analysis variable (numerator) and, for ratios, the denominator, of the used rows.
    dom : ndarray of int
        Domain code of the used rows (all ``>= 0``).
    n_dom : int
        Number of domains.

    Returns
    -------
    value, z, vsrs, n : ndarrays
        ``value`` per domain, score ``z`` per used row, the variance of the same estimator
        under SRS without replacement of the same size per domain (R's ``deff=TRUE``
        denominator), and the respondents per domain.
    """
    n = np.bincount(dom, minlength=n_dom)
    wsum = _sum(dom, n_dom, w)
    ysum = _sum(dom, n_dom, w * y)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "total":
            value = ysum
            z = w * y
            resid = y - (ysum / wsum)[dom]          # SRS variance of y itself
            factor = wsum**2
        elif kind == "mean":
            value = ysum / wsum
            resid = y - value[dom]
            z = w * resid / wsum[dom]
            factor = 1.0
        elif kind == "ratio":
            xsum = _sum(dom, n_dom, w * x)
            value = ysum / xsum
            resid = y - value[dom] * x
            z = w * resid / xsum[dom]
            # Linearised ratio under SRS: variance of the residual mean over the mean of x.
            resid = resid - (_sum(dom, n_dom, w * resid) / wsum)[dom]
            factor = (wsum / xsum) ** 2
        else:  # pragma: no cover - guarded by the caller
            raise ValueError(kind)
        # R's svyvar: weighted variance with the n/(n-1) correction, then SRSWOR of n from
        # a population of sum(w): (N - n) / (N n).
        s2 = _sum(dom, n_dom, w * resid**2) / wsum * n / (n - 1)
        vsrs = s2 * (wsum - n) / (wsum * n) * factor
        vsrs = np.where(wsum > n, vsrs, np.nan)   # weights scaled below 1: no SRSWOR analogue
    return value, z, vsrs, n
