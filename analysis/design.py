"""``SurveyDesign``: a pandas DataFrame bound to its sampling design.

Conventions follow R's ``survey::svydesign`` so results can be checked against R and
``svy``: ``fpc`` holds the population size of each stratum (in PSUs when there are PSUs;
values all <= 1 are read as sampling fractions), no ``fpc`` means sampling with
replacement, PSU codes are taken within their stratum (R's ``nest=TRUE``), variances are
Taylor linearisation with the ultimate-cluster approximation, and degrees of freedom are
PSUs minus strata.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from . import intervals
from .calibration import CalibrationStep, poststratify_weights, rake_weights, trim_weights
from .design_checks import (
    calibration_cells,
    checked_weights,
    data_column,
    fpc_factor,
    group_codes,
    numeric_values,
)
from .errors import DesignError, LonelyPSUError
from .estimators import Estimate, domain_estimates
from .variance import DesignCodes, dense_variance, domain_df, domain_variance, stratum_factors

__all__ = ["SurveyDesign"]

LONELY_PSU = (None, "remove", "adjust", "average")
_RESULT_COLUMNS = ["value", "se", "ci_low", "ci_high", "df", "n", "deff", "no_data"]
# Rows x domains of one dense block when calibration spreads domain scores over all rows.
_BLOCK_CELLS = 8_000_000


class SurveyDesign:
    """A survey sample with its design: weights, optional strata, PSUs and fpc.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    weights : str, optional
        Column of sampling weights (all finite and > 0).  None gives every row weight 1.
    strata : str, optional
        Column of stratum labels.
    psu : str, optional
        Column of primary sampling unit (cluster) labels, taken within stratum.  Without
        it every row is its own PSU.
    fpc : str, optional
        Column with the population size of the row's stratum, counted in PSUs (or, when
        all values are <= 1, the sampling fraction), constant within a stratum.  Without
        it PSUs are taken to be sampled with replacement.
    lonely_psu : {None, "remove", "adjust", "average"}
        What to do with strata that have a single PSU, as R's ``survey.lonely.psu``:
        None raises :class:`LonelyPSUError`; ``"remove"`` lets them add nothing to the
        variance; ``"adjust"`` centres their PSU total at the mean of all PSU totals
        (zero for a mean's score) instead of the stratum mean; ``"average"`` replaces their contribution by
        the average of the other strata.

    Notes
    -----
    Rows with a missing value of the analysed variable are left out of an estimate like
    R's ``na.rm=TRUE``, but as a domain: they stay in the design, so every PSU and stratum
    still counts in the variance.  Domain estimates (``by=``) likewise zero the score
    outside the domain and never drop rows.
    """

    def __init__(self, data: pd.DataFrame, weights=None, strata=None, psu=None, fpc=None,
                 lonely_psu=None):
        if not isinstance(data, pd.DataFrame):
            raise DesignError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        if len(data) == 0:
            raise DesignError("data has no rows")
        if lonely_psu not in LONELY_PSU:
            raise DesignError(f"lonely_psu must be one of {LONELY_PSU}, got {lonely_psu!r}")
        self.data = data
        self.weights_column, self.strata_column = weights, strata
        self.psu_column, self.fpc_column, self.lonely_psu = psu, fpc, lonely_psu
        self._steps: tuple[CalibrationStep, ...] = ()
        self._w = checked_weights(data, weights)
        self._design = self._build_codes()

    # -- construction ------------------------------------------------------------------
    def _build_codes(self) -> DesignCodes:
        data, n = self.data, len(self.data)
        if self.strata_column is None:
            stratum, strata_levels = np.zeros(n, np.int64), pd.Index([None])
        else:
            strata = data_column(data, self.strata_column, "strata")
            stratum, strata_levels = group_codes(strata, "strata")
        n_strata = len(strata_levels)
        if self.psu_column is None:
            psu, psu_stratum = None, stratum
        else:
            raw, _ = group_codes(data_column(data, self.psu_column, "psu"), "psu")
            # PSU labels are nested in strata: the same label in two strata is two PSUs.
            psu, uniq = pd.factorize(stratum * (raw.max() + 1) + raw)
            psu_stratum = (uniq // (raw.max() + 1)).astype(np.int64)
        n_psu = np.bincount(psu_stratum, minlength=n_strata)
        f = fpc_factor(data, self.fpc_column, stratum, n_psu, strata_levels)
        lone = n_psu == 1
        if lone.any() and self.lonely_psu is None:
            raise LonelyPSUError(
                f"{int(lone.sum())} stratum/strata have a single PSU "
                f"({', '.join(map(repr, strata_levels[lone][:10]))}), so their variance "
                "cannot be estimated; pass lonely_psu='remove', 'adjust' or 'average'"
            )
        scale, centre, inflate = stratum_factors(n_psu, f, self.lonely_psu)
        return DesignCodes(stratum, psu, psu_stratum, n_psu, scale, centre, inflate)

    def _derive(self, w: np.ndarray, step: CalibrationStep | None) -> SurveyDesign:
        new = copy.copy(self)
        new._w = w
        if step is not None:
            new._steps = self._steps + (step,)
        return new

    # -- properties ----------------------------------------------------------------------
    @property
    def weights(self) -> np.ndarray:
        """The current weights (a copy)."""
        return self._w.copy()

    @property
    def n(self) -> int:
        """Number of rows (respondents)."""
        return len(self._w)

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs minus strata."""
        return int(self._design.n_psus - self._design.n_strata)

    @property
    def calibrated(self) -> bool:
        """Whether the weights were post-stratified or raked."""
        return bool(self._steps)

    def __repr__(self) -> str:
        d = self._design
        return (f"SurveyDesign(n={self.n}, strata={d.n_strata}, psus={d.n_psus}, "
                f"fpc={self.fpc_column is not None}, calibration={[s.kind for s in self._steps]})")

    # -- estimation ----------------------------------------------------------------------
    def _domains(self, by, levels):
        if by is None:
            return np.zeros(self.n, np.int64), None
        series = data_column(self.data, by, "by")
        if levels is not None:
            index = pd.Index(list(levels))
            codes = index.get_indexer(series)
        elif isinstance(series.dtype, pd.CategoricalDtype):
            # All categories are reported, including empty ones.
            index, codes = series.cat.categories, series.cat.codes.to_numpy()
        else:
            codes, index = pd.factorize(series, sort=True)
        return np.asarray(codes, np.int64), pd.Index(index, name=by)

    def _estimate(self, kind, y, x, by, levels, conf_level, interval="normal", n_prop=None):
        dom, index = self._domains(by, levels)
        n_dom = 1 if index is None else len(index)
        used = (dom >= 0) & ~np.isnan(y)
        if x is not None:
            used &= ~np.isnan(x)
        dom_used = np.where(used, dom, -1)
        d = dom_used[used]
        value, z, vsrs, n = domain_estimates(
            kind, self._w[used], y[used], None if x is None else x[used], d, n_dom)
        var = self._variance(z, used, d, n_dom)
        df = domain_df(dom_used, n_dom, self._design)
        se = np.sqrt(var)
        with np.errstate(divide="ignore", invalid="ignore"):
            deff = var / vsrs
        if interval == "normal":
            lo, hi = intervals.normal_interval(value, se, conf_level)
        else:
            lo, hi = intervals.proportion_interval(value, se, df, n, interval, conf_level)
        empty = n == 0
        cols = {"value": value, "se": se, "ci_low": lo, "ci_high": hi, "deff": deff}
        cols = {k: np.where(empty, np.nan, v) for k, v in cols.items()}
        if index is None:
            return Estimate(float(cols["value"][0]), float(cols["se"][0]), float(cols["ci_low"][0]),
                            float(cols["ci_high"][0]), int(df[0]), int(n[0]),
                            float(cols["deff"][0]), conf_level, interval)
        frame = pd.DataFrame({**cols, "df": df, "n": n, "no_data": empty}, index=index)
        return frame[_RESULT_COLUMNS]

    def _variance(self, z, used, d, n_dom):
        if not self._steps:
            dom_used = np.full(self.n, -1, np.int64)
            dom_used[used] = d
            full = np.zeros(self.n)
            full[used] = z
            return domain_variance(full, dom_used, n_dom, self._design)
        # Calibration residuals spread each domain's score over all rows: dense blocks.
        rows = np.flatnonzero(used)
        var = np.empty(n_dom)
        block = max(1, _BLOCK_CELLS // self.n)
        for start in range(0, n_dom, block):
            stop = min(n_dom, start + block)
            sel = (d >= start) & (d < stop)
            Z = np.zeros((self.n, stop - start))
            Z[rows[sel], d[sel] - start] = z[sel]
            for step in self._steps:
                Z = step.residuals(Z)
            var[start:stop] = dense_variance(Z, self._design)
        return var

    def _variable(self, name, role="analysis"):
        return numeric_values(data_column(self.data, name, role), role)

    def total(self, y: str, by: str | None = None, levels: Sequence | None = None,
              conf_level: float = 0.95):
        """Estimate the population total of ``y``.

        Parameters
        ----------
        y : str
            Numeric column; rows where it is missing are left out (kept in the design).
        by : str, optional
            Domain column: one estimate per value, each using the full design.
        levels : sequence, optional
            Domain values to report, in this order, including values without respondents
            (reported with ``n=0``, NaN estimates and ``no_data=True``).
        conf_level : float
            Confidence level of the Normal interval (R's ``confint`` default for totals).

        Returns
        -------
        Estimate or pandas.DataFrame
            An :class:`Estimate`, or with ``by`` a DataFrame indexed by domain value with
            columns value, se, ci_low, ci_high, df, n, deff, no_data.
        """
        return self._estimate("total", self._variable(y), None, by, levels, conf_level)

    def mean(self, y: str, by: str | None = None, levels: Sequence | None = None,
             conf_level: float = 0.95):
        """Estimate the population mean of ``y`` (a ratio of weighted totals).

        Parameters and returns are as in :meth:`total`; the interval is Normal as R's
        ``confint(svymean(...))``, and ``deff`` compares with SRS without replacement
        of the same number of respondents (R's ``deff=TRUE``).
        """
        return self._estimate("mean", self._variable(y), None, by, levels, conf_level)

    def ratio(self, numerator: str, denominator: str, by: str | None = None,
              levels: Sequence | None = None, conf_level: float = 0.95):
        """Estimate the ratio of population totals ``sum(numerator) / sum(denominator)``.

        Rows missing either variable are left out.  Otherwise as :meth:`total`.
        """
        y = self._variable(numerator)
        x = self._variable(denominator)
        return self._estimate("ratio", y, x, by, levels, conf_level)

    def proportion(self, y: str, level=None, method: str = "logit", by: str | None = None,
                   levels: Sequence | None = None, conf_level: float = 0.95):
        """Estimate the population share of respondents whose ``y`` equals ``level``.

        Parameters
        ----------
        y : str
            Column of answers; rows where it is missing are left out (kept in the design).
        level : object, optional
            The answer counted.  None requires a 0/1 or boolean column and counts 1/True.
        method : {"logit", "beta", "wilson", "wald"}
            Interval method, as R's ``svyciprop``: see
            :func:`analysis.intervals.proportion_interval`.  All use Student's t with
            the design degrees of freedom of the domain.
        by, levels, conf_level
            As in :meth:`total`.

        Returns
        -------
        Estimate or pandas.DataFrame
        """
        if method not in intervals.PROPORTION_METHODS:
            raise DesignError(f"unknown proportion interval method {method!r}; choose one of "
                              f"{intervals.PROPORTION_METHODS}")
        series = data_column(self.data, y, "analysis")
        missing = series.isna().to_numpy()
        if level is None:
            values = numeric_values(series, "analysis")
            if not np.all(np.isin(values[~missing], (0.0, 1.0))):
                raise DesignError(f"column {y!r} is not 0/1; pass level= to say which answer "
                                  "to count")
            hit = values
        else:
            hit = np.where(missing, np.nan, (series == level).to_numpy(dtype=float))
        return self._estimate("mean", hit, None, by, levels, conf_level, interval=method)

    # -- weighting -----------------------------------------------------------------------
    def poststratify(self, column: str, population: Mapping) -> SurveyDesign:
        """Return a design whose weights sum to the population count of each cell.

        Parameters
        ----------
        column : str
            Column defining the post-strata.
        population : mapping
            Population count of every value of ``column`` (all values present in the data
            need one, and every cell needs a respondent).

        Returns
        -------
        SurveyDesign
            The variance of its estimates uses the residuals of the post-stratification
            (R's ``postStratify``), not merely the new weights.
        """
        codes, counts = calibration_cells(self.data, column, population)
        w = poststratify_weights(self._w, codes, counts)
        return self._derive(w, CalibrationStep("poststratify", ((codes, len(counts)),), self._w, w))

    def rake(self, margins: Mapping[str, Mapping], max_iter: int = 50,
             tol: float = 1e-8) -> SurveyDesign:
        """Return a design raked (iterative proportional fitting) to population margins.

        Parameters
        ----------
        margins : mapping of str to mapping
            ``{column: {value: population count}}``; every margin must have the same
            grand total.
        max_iter : int
            Most cycles over the margins.
        tol : float
            Largest relative error allowed on any margin count.

        Returns
        -------
        SurveyDesign
            Its variance uses the calibration residuals on all margins jointly.

        Raises
        ------
        ConvergenceError
            If the margins are not met within ``max_iter`` cycles.
        """
        if not isinstance(margins, Mapping) or not margins:
            raise DesignError("margins must be a non-empty mapping {column: {value: count}}")
        cells = [calibration_cells(self.data, col, pop) for col, pop in margins.items()]
        totals = [c.sum() for _, c in cells]
        if not np.allclose(totals, totals[0], rtol=1e-9):
            raise DesignError(f"the margins have different grand totals {totals}")
        w = rake_weights(self._w, [c for c, _ in cells], [t for _, t in cells], max_iter, tol)
        step = CalibrationStep("rake", tuple((c, len(t)) for c, t in cells), self._w, w)
        return self._derive(w, step)

    def trim(self, cap: float, lower: float | None = None, by: str | None = None,
             max_iter: int = 50) -> SurveyDesign:
        """Return a design with weights bounded to ``[lower, cap]``, totals kept.

        The weight removed above ``cap`` (or added below ``lower``) is spread over the
        other rows in proportion to their weights -- within each ``by`` group if given --
        and this is repeated until all weights are within bounds, so the total weight is
        unchanged.  As R's ``trimWeights``, earlier calibration steps stay recorded for
        the variance, and the trimmed weights are otherwise treated as fixed.
        """
        if not (isinstance(cap, (int, float)) and cap > 0):
            raise DesignError(f"cap must be a positive number, got {cap!r}")
        if lower is not None and not (isinstance(lower, (int, float)) and 0 < lower < cap):
            raise DesignError(f"lower must be a number in (0, cap), got {lower!r}")
        groups = (np.zeros(self.n, np.int64) if by is None
                  else group_codes(data_column(self.data, by, "by"), "by")[0])
        return self._derive(trim_weights(self._w, cap, lower, groups, max_iter), None)
