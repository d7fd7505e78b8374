"""Estimates against the svy package (svy 0.35) on seeded stratified cluster samples.

The reference numbers in results/svy_reference.json come from
``results/make_svy_reference.py``; the test marked ``slow`` recomputes them live.
Intervals are compared for proportions only: svy uses t(df) for means and totals, where
``analysis`` follows R's ``confint`` (Normal).
"""

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from analysis import SurveyDesign

from .results.design_samples import POP_AGE, POP_SEX, cluster_sample, lonely_sample

RESULTS = Path(__file__).parent / "results"
RTOL, ATOL = 1e-8, 1e-10
DESIGNS = {
    "weights": dict(weights="w"),
    "strata_psu": dict(weights="w", strata="h", psu="psu"),
    "strata_psu_fpc": dict(weights="w", strata="h", psu="psu", fpc="N"),
}


def ours():
    """The same cases as make_svy_reference.cases(), from analysis."""
    data = cluster_sample()
    out = {}
    for name, spec in DESIGNS.items():
        d = SurveyDesign(data, **spec)
        out[f"{name}/mean"] = d.mean("y")
        out[f"{name}/total"] = d.total("y")
        out[f"{name}/ratio"] = d.ratio("y", "x")
        out[f"{name}/mean_by"] = d.mean("y", by="dom")
        out[f"{name}/total_by"] = d.total("y", by="dom")
        out[f"{name}/ratio_by"] = d.ratio("y", "x", by="dom")
        for m in ("logit", "beta", "wilson"):
            out[f"{name}/prop_{m}"] = d.proportion("ans", level="Yes", method=m)
            out[f"{name}/prop_by_{m}"] = d.proportion("ans", level="Yes", method=m, by="dom")
    d = SurveyDesign(data, **DESIGNS["strata_psu"])
    ps = d.poststratify("sex", POP_SEX)
    out["poststratify/mean"] = ps.mean("y")
    out["poststratify/mean_by"] = ps.mean("y", by="dom")
    rk = d.rake({"sex": POP_SEX, "age": POP_AGE}, tol=1e-13)
    out["rake/mean"] = rk.mean("y")
    out["rake/total"] = rk.total("y")
    out["rake/mean_by"] = rk.mean("y", by="dom")
    lonely = lonely_sample()
    for rule in ("remove", "adjust", "average"):
        d = SurveyDesign(lonely, weights="w", strata="h", psu="psu", lonely_psu=rule)
        out[f"lonely_{rule}/mean"] = d.mean("y")
        out[f"lonely_{rule}/total"] = d.total("y")
    return out


def compare(case, mine, ref):
    if "/prop" in case:          # svy reports both levels; ours is the share of "Yes" (1)
        keep = [i for i, k in enumerate(ref["keys"]) if k in ("1.0", "1")]
        if "_by_" in case:
            keep = list(range(1, len(ref["keys"]), 2)) if not keep else keep
        ref = {k: [v[i] for i in keep] for k, v in ref.items()}
    if hasattr(mine, "loc"):
        got = {"est": mine["value"], "se": mine["se"], "df": mine["df"], "n": mine["n"],
               "deff": mine["deff"], "lci": mine["ci_low"], "uci": mine["ci_high"]}
        got = {k: np.asarray(v, float) for k, v in got.items()}
    else:
        got = {"est": [mine.value], "se": [mine.se], "df": [mine.df], "n": [mine.n],
               "deff": [mine.deff], "lci": [mine.ci_low], "uci": [mine.ci_high]}
    diffs = {}
    for key in ("est", "se", "deff", "lci", "uci", "df", "n"):
        if key in ref:
            assert_allclose(got[key], ref[key], rtol=RTOL, atol=ATOL, err_msg=f"{case} {key}")
            diffs[key] = float(np.max(np.abs(np.asarray(got[key]) - np.asarray(ref[key]))))
    return diffs


@pytest.fixture(scope="module")
def reference():
    return json.loads((RESULTS / "svy_reference.json").read_text())


@pytest.fixture(scope="module")
def mine():
    return ours()


def test_cases_cover_the_reference(reference, mine):
    assert set(reference) == set(mine)


@pytest.mark.parametrize("case", sorted(json.loads((RESULTS / "svy_reference.json").read_text())))
def test_matches_svy_reference(case, reference, mine):
    compare(case, mine[case], reference[case])


@pytest.mark.slow
def test_matches_svy_live(mine):
    pytest.importorskip("svy")
    from .results.make_svy_reference import cases

    live = cases()
    for case, ref in live.items():
        compare(case, mine[case], ref)
