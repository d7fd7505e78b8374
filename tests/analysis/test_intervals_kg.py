"""Korn-Graubard and Clopper-Pearson intervals against independent references.

- exact binomial (Clopper-Pearson) bounds from ``scipy.stats.beta`` and statsmodels'
  ``proportion_confint(method="beta")`` for simple random samples, where the effective
  sample size is n and the df adjustment is 1, so Korn-Graubard must equal them;
- the ``svy`` package (0.35): ``ci_method="beta"`` (R's ``svyciprop(method="beta")``)
  and ``ci_method="korn-graubard"`` (the NCHS SAS macro: truncation at n, p = 0 or 1
  with n_eff = n), computed live on a seeded stratified cluster sample;
- hand-worked values from the published formulas (``results/kg_hand.py`` writes
  ``results/kg_hand.json``, with the F-distribution form of the bounds).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from analysis import SurveyDesign
from analysis.intervals import proportion_interval
from analysis.sipas.domains import interval

from .results.design_samples import cluster_sample

RESULTS = Path(__file__).parent / "results"


def clopper_pearson(x, n, level=0.95):
    a = 1 - level
    lo = 0.0 if x == 0 else stats.beta.ppf(a / 2, x, n - x + 1)
    hi = 1.0 if x == n else stats.beta.ppf(1 - a / 2, x + 1, n - x)
    return lo, hi


@pytest.mark.parametrize("x,n", [(0, 1), (0, 9), (1, 9), (9, 9), (3, 40), (20, 40),
                                 (0, 163), (1, 163), (162, 163), (12, 3000), (0, 3000)])
@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
def test_kg_is_clopper_pearson_for_a_simple_random_sample(x, n, level):
    # SRS: v(p) = p(1-p)/n gives n_eff = n; df = n - 1 makes the adjustment 1.
    p = x / n
    se = np.sqrt(p * (1 - p) / n)
    lo, hi = proportion_interval(p, se, n - 1 if n > 1 else 1, n, "beta", level,
                                 edges=True, cap=True)
    ref = clopper_pearson(x, n, level)
    sm = proportion_confint(x, n, alpha=1 - level, method="beta")
    assert_allclose([lo, hi], ref, rtol=1e-9, atol=1e-12)
    assert_allclose([lo, hi], np.nan_to_num(sm, nan=0.0), rtol=1e-9, atol=1e-12)


def test_zero_events_in_a_unit_is_the_exact_bound_not_a_point():
    # 0 of n in a SIPAS table (SE 0, df n - 1): [0, 1 - (a/2)^(1/n)] on the 0-100 scale
    for n in (1, 2, 9, 163):
        lo, hi = interval(np.array([0.0]), np.array([0.0]), np.array([n - 1 or 1]),
                          np.array([n]), logit=True)
        assert lo[0] == 0.0
        assert_allclose(hi[0], 100 * (1 - 0.025 ** (1 / n)), rtol=1e-10)


@pytest.mark.parametrize("case", json.loads((RESULTS / "kg_hand.json").read_text()),
                         ids=lambda c: f"p{c['p']}-n{c['n']}-df{c['df']}-{c['level']}")
def test_kg_against_hand_worked_formula(case):
    lo, hi = proportion_interval(case["p"], case["se"], case["df"], case["n"], "beta",
                                 case["level"], edges=True, cap=case["truncate"])
    assert_allclose([lo, hi], [case["low"], case["high"]], rtol=1e-8, atol=1e-12)


def _svy_prop(data, var, method):
    polars = pytest.importorskip("polars")
    svy = pytest.importorskip("svy")
    s = svy.Sample(polars.from_pandas(data), svy.Design(stratum="h", psu="psu", wgt="w"))
    out = s.estimation.prop(var, by="dom", ci_method=method).to_polars().to_pandas()
    return out[out[var] == 1.0].set_index("dom").sort_index()


@pytest.fixture(scope="module")
def sample():
    d = cluster_sample()
    rng = np.random.default_rng(3)
    # shares clustered in PSUs (design effects above 1); "clus" has no event in domain d
    for name, pr in (("clus", 0.02 + 0.5 * (d["psu"] == 0)),
                     ("rare", 0.01 + 0.2 * (d["psu"] == 1))):
        d[name] = (rng.uniform(size=len(d)) < pr).astype(float)
    return d


@pytest.mark.parametrize("var", ["yes", "rare"])
def test_beta_matches_svy_and_svyciprop(sample, var):
    ref = _svy_prop(sample, var, "beta")
    ours = SurveyDesign(sample, weights="w", strata="h", psu="psu").proportion(
        var, level=1.0, method="beta", by="dom")
    inner = (ref["est"] > 0) & (ref["est"] < 1)
    assert_allclose(ours["value"], ref["est"], rtol=1e-10)
    assert_allclose(ours["se"], ref["se"], rtol=1e-8)
    assert_allclose(ours.loc[inner, ["ci_low", "ci_high"]],
                    ref.loc[inner, ["lci", "uci"]], rtol=1e-8)


@pytest.mark.parametrize("var", ["yes", "clus", "rare"])
def test_korn_graubard_matches_svy_nchs(sample, var):
    ref = _svy_prop(sample, var, "korn-graubard")
    p, se, df, n = (ref[c].to_numpy(float) for c in ("est", "se", "df", "n"))
    lo, hi = proportion_interval(p, se, df, n, "beta", 0.95, edges=True, cap=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(se > 0, p * (1 - p) / se**2, n)
    usual = n_eff <= n          # design effect >= 1 (see the next test for < 1)
    assert usual.sum() >= (1 if var == "yes" else 3)
    if var == "clus":
        assert p[-1] == 0 and usual[-1]     # 0 events: n_eff = n
    assert_allclose(lo[usual], ref["lci"].to_numpy()[usual], rtol=1e-8, atol=1e-12)
    assert_allclose(hi[usual], ref["uci"].to_numpy()[usual], rtol=1e-8, atol=1e-12)


def test_design_effect_below_one_truncates_before_the_df_adjustment():
    # The NCHS text truncates n_eff at n (a design effect below 1 is set to 1), then
    # applies the df adjustment; the SAS macro (and svy) truncate after it, which gives
    # a narrower interval. analysis follows the text: n_eff_df = n * adj.
    p, se, n, df = 0.3, 0.03, 150, 20
    a = 0.05
    adj = (stats.t.ppf(1 - a / 2, n - 1) / stats.t.ppf(1 - a / 2, df)) ** 2
    lo, hi = proportion_interval(p, se, df, n, "beta", 0.95, edges=True, cap=True)
    m = n * adj
    assert_allclose([lo, hi], [stats.beta.ppf(a / 2, m * p, m * (1 - p) + 1),
                               stats.beta.ppf(1 - a / 2, m * p + 1, m * (1 - p))], rtol=1e-10)


def test_kg_in_the_sipas_table_matches_svy_for_a_unit(sample):
    # The SIPAS interval function (0-100 scale) on svy's own estimates
    ref = _svy_prop(sample, "clus", "korn-graubard")
    p, se, df, n = (ref[c].to_numpy(float) for c in ("est", "se", "df", "n"))
    lo, hi = interval(100 * p, 100 * se, df, n, logit=True)
    usual = np.where(se > 0, p * (1 - p) / np.where(se > 0, se, 1) ** 2, n) <= n
    assert usual.all()
    assert_allclose(lo[usual] / 100, ref["lci"].to_numpy()[usual], rtol=1e-8, atol=1e-12)
    assert_allclose(hi[usual] / 100, ref["uci"].to_numpy()[usual], rtol=1e-8, atol=1e-12)
    assert pd.notna(hi).all()
