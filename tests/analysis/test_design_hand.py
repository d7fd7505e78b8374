"""Estimates against textbook formulas worked by hand on tiny data sets (results/hand_formulas.py)."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import special, stats

from analysis import Estimate, SurveyDesign

from .results import hand_formulas as H

RTOL = 1e-12


@pytest.fixture
def srs():
    return pd.DataFrame({"y": H.SRS_Y, "x": H.SRS_X, "w": 10.0, "N": float(H.SRS_N)})


def test_srs_mean_without_fpc(srs):
    est = SurveyDesign(srs, weights="w").mean("y")
    assert isinstance(est, Estimate)
    assert_allclose(est.value, H.SRS_MEAN, rtol=RTOL)
    assert_allclose(est.se**2, H.SRS_MEAN_VAR_WR, rtol=RTOL)
    assert_allclose(est.deff, H.SRS_MEAN_DEFF_WR, rtol=RTOL)
    assert est.df == 5 and est.n == 6
    z = stats.norm.ppf(0.975)   # Normal interval for means, as R's confint
    assert_allclose([est.ci_low, est.ci_high], [est.value - z * est.se, est.value + z * est.se],
                    rtol=RTOL)


def test_srs_mean_and_total_with_fpc(srs):
    d = SurveyDesign(srs, weights="w", fpc="N")
    assert_allclose(d.mean("y").se ** 2, H.SRS_MEAN_VAR_WOR, rtol=RTOL)
    total = d.total("y")
    assert_allclose(total.value, H.SRS_TOTAL, rtol=RTOL)
    assert_allclose(total.se**2, H.SRS_TOTAL_VAR_WOR, rtol=RTOL)
    assert_allclose(total.deff, 1.0, rtol=RTOL)   # an SRS has design effect 1


def test_fpc_as_sampling_fraction_equals_population_size(srs):
    frac = srs.assign(N=6 / 60)
    a = SurveyDesign(srs, weights="w", fpc="N").mean("y")
    b = SurveyDesign(frac, weights="w", fpc="N").mean("y")
    assert_allclose(b.se, a.se, rtol=RTOL)


def test_ratio_with_fpc(srs):
    est = SurveyDesign(srs, weights="w", fpc="N").ratio("y", "x")
    assert_allclose(est.value, H.RATIO, rtol=RTOL)
    assert_allclose(est.se**2, H.RATIO_VAR_WOR, rtol=RTOL)


@pytest.fixture
def stratified():
    rows = [(h, v, H.STRAT_N[h] / len(ys), H.STRAT_N[h]) for h, ys in H.STRAT_Y.items() for v in ys]
    return pd.DataFrame(rows, columns=["h", "y", "w", "N"])


def test_stratified(stratified):
    d = SurveyDesign(stratified, weights="w", strata="h", fpc="N")
    total, mean = d.total("y"), d.mean("y")
    assert_allclose(total.value, H.STRAT_TOTAL, rtol=RTOL)
    assert_allclose(total.se**2, H.STRAT_TOTAL_VAR_WOR, rtol=RTOL)
    assert_allclose(mean.value, H.STRAT_MEAN, rtol=RTOL)
    assert_allclose(mean.se**2, H.STRAT_MEAN_VAR_WOR, rtol=RTOL)
    assert mean.df == 7 - 2
    wr = SurveyDesign(stratified, weights="w", strata="h").total("y")
    assert_allclose(wr.se**2, H.STRAT_TOTAL_VAR_WR, rtol=RTOL)


def test_one_stage_cluster():
    rows = [(c, v) for c, ys in H.CLUSTERS.items() for v in ys]
    df = pd.DataFrame(rows, columns=["c", "y"]).assign(w=5.0, N=float(H.CLUSTER_N))
    est = SurveyDesign(df, weights="w", psu="c", fpc="N").mean("y")
    assert_allclose(est.value, H.CLUSTER_MEAN, rtol=RTOL)
    assert_allclose(est.se**2, H.CLUSTER_MEAN_VAR_WOR, rtol=RTOL)
    assert est.df == 3
    wr = SurveyDesign(df, weights="w", psu="c").mean("y")
    assert_allclose(wr.se**2, H.CLUSTER_MEAN_VAR_WR, rtol=RTOL)


def test_poststratified_variance_by_hand():
    df = pd.DataFrame({"y": H.PS_Y, "g": H.PS_G, "w": 10.0})
    ps = SurveyDesign(df, weights="w").poststratify("g", H.PS_POP)
    est = ps.mean("y")
    assert_allclose(est.value, H.PS_MEAN, rtol=RTOL)
    assert_allclose(est.se**2, H.PS_MEAN_VAR, rtol=RTOL)
    # The same weights treated as fixed give the naive, much larger variance.
    naive = SurveyDesign(df.assign(w=ps.weights), weights="w").mean("y")
    assert_allclose(naive.se**2, H.PS_MEAN_VAR_NAIVE, rtol=RTOL)
    assert est.se < naive.se


def test_domain_mean_equals_ratio_and_keeps_full_design(stratified):
    d = SurveyDesign(stratified.assign(big=stratified.y >= 5), weights="w", strata="h", fpc="N")
    by = d.mean("y", by="big")
    ind = stratified.y >= 5
    ratio = SurveyDesign(stratified.assign(num=stratified.y * ind, den=ind.astype(float)),
                         weights="w", strata="h", fpc="N").ratio("num", "den")
    assert_allclose(by.loc[True, "value"], ratio.value, rtol=RTOL)
    assert_allclose(by.loc[True, "se"], ratio.se, rtol=RTOL)
    assert list(by.columns) == ["value", "se", "ci_low", "ci_high", "df", "n", "deff", "no_data"]


def test_missing_values_are_a_domain(srs):
    gaps = srs.assign(y=srs.y.where(srs.index != 2))       # one answer missing
    d = SurveyDesign(gaps, weights="w", fpc="N")
    est = d.mean("y")
    dom = SurveyDesign(gaps.assign(ok=gaps.y.notna(), y0=gaps.y.fillna(0)), weights="w",
                       fpc="N").mean("y0", by="ok").loc[True]
    assert est.n == 5
    assert_allclose([est.value, est.se], [dom["value"], dom["se"]], rtol=RTOL)


@pytest.mark.parametrize("method", ["logit", "wald", "beta", "wilson"])
def test_proportion_intervals_follow_their_formulas(srs, method):
    df = srs.assign(ans=np.where(srs.y >= 5, "Yes", "No"))
    est = SurveyDesign(df, weights="w").proportion("ans", level="Yes", method=method)
    p, se, dfree = est.value, est.se, est.df
    assert_allclose(p, 0.5, rtol=RTOL)
    t = stats.t.ppf(0.975, dfree)
    if method == "wald":
        expected = [p - t * se, p + t * se]
    elif method == "logit":
        eta, half = special.logit(p), t * se / (p * (1 - p))
        expected = [special.expit(eta - half), special.expit(eta + half)]
    else:
        n_eff = p * (1 - p) / se**2 * (stats.t.ppf(0.025, 5) / stats.t.ppf(0.025, dfree)) ** 2
        if method == "beta":
            expected = [stats.beta.ppf(0.025, n_eff * p, n_eff * (1 - p) + 1),
                        stats.beta.ppf(0.975, n_eff * p + 1, n_eff * (1 - p))]
        else:
            c = (p + t * t / (2 * n_eff)) / (1 + t * t / n_eff)
            h = t / (1 + t * t / n_eff) * np.sqrt(p * (1 - p) / n_eff + t * t / (4 * n_eff**2))
            expected = [c - h, c + h]
    assert_allclose([est.ci_low, est.ci_high], expected, rtol=1e-10)
    assert est.interval == method
