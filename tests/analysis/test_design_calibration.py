"""Post-stratification, raking and trimming: margins, variance and errors."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import ConvergenceError, DesignError, SurveyDesign

from .results.design_samples import POP_AGE, POP_SEX, cluster_sample


@pytest.fixture
def design():
    return SurveyDesign(cluster_sample(), weights="w", strata="h", psu="psu")


def margin(d, column):
    return pd.Series(d.weights).groupby(d.data[column].to_numpy()).sum()


def test_poststratified_weights_reproduce_counts(design):
    ps = design.poststratify("sex", POP_SEX)
    assert_allclose(margin(ps, "sex")[list(POP_SEX)], list(POP_SEX.values()), rtol=1e-12)
    assert ps.calibrated and not design.calibrated
    # A post-stratum's own count is estimated with no error.
    ind = ps.data.assign(f=(ps.data.sex == "f").astype(float))
    assert_allclose(SurveyDesign(ind, weights="w", strata="h", psu="psu")
                    .poststratify("sex", POP_SEX).total("f").se, 0, atol=1e-8)


def test_rake_converges_and_matches_margins(design):
    rk = design.rake({"sex": POP_SEX, "age": POP_AGE}, max_iter=50, tol=1e-10)
    assert_allclose(margin(rk, "sex")[list(POP_SEX)], list(POP_SEX.values()), rtol=1e-9)
    assert_allclose(margin(rk, "age")[list(POP_AGE)], list(POP_AGE.values()), rtol=1e-9)


def test_rake_gives_up_with_a_clear_error(design):
    with pytest.raises(ConvergenceError, match="did not converge in 1 iterations"):
        design.rake({"sex": POP_SEX, "age": POP_AGE}, max_iter=1, tol=1e-14)


def test_calibrated_se_smaller_when_poststrata_explain_y():
    data = cluster_sample()
    rng = np.random.default_rng(3)
    data["y2"] = np.where(data.sex == "f", 20.0, 60.0) + rng.normal(0, 1, len(data))
    d = SurveyDesign(data, weights="w", strata="h", psu="psu")
    ps = d.poststratify("sex", POP_SEX)
    naive = SurveyDesign(data.assign(w=ps.weights), weights="w", strata="h", psu="psu")
    assert_allclose(ps.mean("y2").value, naive.mean("y2").value, rtol=1e-12)
    assert ps.mean("y2").se < 0.5 * naive.mean("y2").se
    rk = d.rake({"sex": POP_SEX, "age": POP_AGE})
    naive_rk = SurveyDesign(data.assign(w=rk.weights), weights="w", strata="h", psu="psu")
    assert rk.total("y2").se < 0.5 * naive_rk.total("y2").se


def test_calibration_errors(design):
    with pytest.raises(DesignError, match="without a population count: \\['m'\\]"):
        design.poststratify("sex", {"f": 100.0})
    with pytest.raises(DesignError, match="no respondent"):
        design.poststratify("sex", {**POP_SEX, "x": 5.0})
    with pytest.raises(DesignError, match="positive"):
        design.poststratify("sex", {"f": 100.0, "m": -1.0})
    with pytest.raises(DesignError, match="different grand totals"):
        design.rake({"sex": POP_SEX, "age": {**POP_AGE, "old": 1.0}})


def test_trim_caps_and_keeps_total(design):
    w = design.weights
    cap = float(np.quantile(w, 0.9))
    tr = design.trim(cap=cap)
    assert tr.weights.max() <= cap * (1 + 1e-9)
    assert_allclose(tr.weights.sum(), w.sum(), rtol=1e-12)
    # Within strata the cap must exceed every stratum's mean weight to be feasible.
    cap_h = 1.2 * pd.Series(w).groupby(design.data.h.to_numpy()).mean().max()
    by = design.trim(cap=cap_h, by="h")
    assert by.weights.max() <= cap_h * (1 + 1e-9)
    assert_allclose(margin(by, "h"), margin(design, "h"), rtol=1e-12)
    with pytest.raises(DesignError, match="cap must be"):
        design.trim(cap=-1)
    with pytest.raises(DesignError, match="cannot trim"):
        design.trim(cap=w.min() / 2)


def test_calibrated_domains_match_single_domain_loop(design):
    # The block computation over domains equals one domain at a time.
    ps = design.poststratify("sex", POP_SEX)
    by = ps.mean("y", by="dom")
    for value in ["a", "c"]:
        one = ps.mean("y", by="dom", levels=[value])
        assert_allclose(one.loc[value, ["value", "se"]].astype(float),
                        by.loc[value, ["value", "se"]].astype(float), rtol=1e-12)
