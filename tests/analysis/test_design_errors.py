"""Bad input fails at the boundary with clear errors; empty domains are marked."""

import numpy as np
import pandas as pd
import pytest

from analysis import DesignError, LonelyPSUError, SurveyDesign

from .results.design_samples import cluster_sample, lonely_sample


@pytest.fixture
def data():
    return cluster_sample()


def test_missing_column(data):
    with pytest.raises(DesignError, match="'pw'.*not in the data"):
        SurveyDesign(data, weights="pw")
    with pytest.raises(DesignError, match="strata column 'stype'"):
        SurveyDesign(data, weights="w", strata="stype")
    with pytest.raises(DesignError, match="'nope'"):
        SurveyDesign(data, weights="w").mean("nope")


def test_text_in_weights(data):
    bad = data.assign(w=data.w.astype(object))
    bad.loc[3, "w"] = "12,5"
    with pytest.raises(DesignError, match="holds text.*'12,5'"):
        SurveyDesign(bad, weights="w")


@pytest.mark.parametrize("value, word", [(np.nan, "missing"), (-1.0, "negative"),
                                         (0.0, "zero"), (np.inf, "infinite")])
def test_bad_weights(data, value, word):
    bad = data.copy()
    bad.loc[5, "w"] = value
    with pytest.raises(DesignError, match=f"1 {word} value.*rows 5"):
        SurveyDesign(bad, weights="w")


def test_text_in_analysis_variable(data):
    bad = data.assign(y=data.y.astype(object))
    bad.loc[0, "y"] = "n/a"
    with pytest.raises(DesignError, match="holds text"):
        SurveyDesign(bad, weights="w").mean("y")


def test_lonely_psu_raises_unless_told():
    with pytest.raises(LonelyPSUError, match="'S3'.*lonely_psu"):
        SurveyDesign(lonely_sample(), weights="w", strata="h", psu="psu")
    with pytest.raises(DesignError, match="lonely_psu must be"):
        SurveyDesign(lonely_sample(), weights="w", strata="h", psu="psu", lonely_psu="drop")


def test_lonely_psu_options_order():
    df = lonely_sample()
    se = {r: SurveyDesign(df, weights="w", strata="h", psu="psu", lonely_psu=r).total("y").se
          for r in ("remove", "adjust", "average")}
    # Removing the stratum's contribution gives the smallest variance.
    assert se["remove"] < se["average"] and se["remove"] < se["adjust"]


def test_fpc_checks(data):
    with pytest.raises(DesignError, match="varies within"):
        SurveyDesign(data.assign(N=np.arange(len(data)) + 100.0), weights="w", strata="h",
                     psu="psu", fpc="N")
    with pytest.raises(DesignError, match="smaller than the number of sampled PSUs"):
        SurveyDesign(data.assign(N=1.5), weights="w", strata="h", psu="psu", fpc="N")


def test_bad_method_and_level(data):
    d = SurveyDesign(data, weights="w")
    with pytest.raises(DesignError, match="unknown proportion interval method 'exact'"):
        d.proportion("ans", level="Yes", method="exact")
    with pytest.raises(DesignError, match="level must be"):
        d.mean("y", conf_level=95)
    with pytest.raises(DesignError, match="not 0/1"):
        d.proportion("y")


def test_empty_domain_is_marked_not_ranked(data):
    d = SurveyDesign(data, weights="w", strata="h", psu="psu")
    out = d.mean("y", by="dom", levels=["a", "b", "zz"])
    assert list(out.index) == ["a", "b", "zz"]
    row = out.loc["zz"]
    assert row["n"] == 0 and bool(row["no_data"])
    assert np.isnan(row[["value", "se", "ci_low", "ci_high"]].astype(float)).all()
    assert not out.loc[["a", "b"], "no_data"].any()
    # Sorting for a ranking leaves the empty domain out of the ranked values.
    assert out["value"].dropna().index.tolist() == ["a", "b"]


def test_domain_with_all_answers_missing(data):
    gaps = data.assign(y=data.y.where(data.dom != "d"))
    out = SurveyDesign(gaps, weights="w").mean("y", by="dom")
    assert out.loc["d", "no_data"] and out.loc["d", "n"] == 0
    categorical = gaps.assign(dom=pd.Categorical(gaps.dom, categories=["a", "b", "c", "d", "e"]))
    out = SurveyDesign(categorical, weights="w").total("y", by="dom")
    assert out.loc["e", "no_data"] and out.loc["e", "n"] == 0


def test_not_a_dataframe():
    with pytest.raises(DesignError, match="pandas DataFrame"):
        SurveyDesign({"w": [1.0]}, weights="w")
