"""compute_sipas end to end on a small synthetic wave, checked against direct computations."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import SurveyDesign
from analysis.sipas import SCOPE, SipasInputError, SipasOptions, SipasResult, compute_sipas
from analysis.synthetic import synthetic_responses
from questionnaires import load_bundled

FIELDS = ["land", "civil", "business"]


@pytest.fixture(scope="module")
def sipas():
    return load_bundled("sipas")


@pytest.fixture(scope="module")
def units():
    rows = [("P1", None), ("P2", None)]
    rows += [(f"P1C{i}", "P1") for i in range(1, 4)] + [(f"P2C{i}", "P2") for i in range(1, 4)]
    rows += [("P2C9", "P2")]                      # a commune without respondents
    return pd.DataFrame({"code": [r[0] for r in rows], "name": [r[0] for r in rows],
                         "name_en": None, "kind": None, "parent_code": [r[1] for r in rows]})


@pytest.fixture(scope="module")
def wave(sipas, units):
    communes = units[units["parent_code"].notna() & (units["code"] != "P2C9")]
    frame = synthetic_responses(sipas, pd.DataFrame({"unit_code": communes["code"]}), 3000,
                                seed=7, fields=FIELDS)
    cells = frame.groupby(["unit_code", "service_field"]).size().rename("n").reset_index()
    cells["dossiers"] = cells["n"] * 12.0
    extra = pd.DataFrame({"unit_code": ["P2C9", "P1C1"], "service_field": ["land", "other"],
                          "dossiers": [50.0, 30.0]})       # a cell with dossiers only
    return frame, pd.concat([cells.drop(columns="n"), extra], ignore_index=True)


@pytest.fixture(scope="module")
def result(sipas, units, wave):
    frame, pops = wave
    return compute_sipas(frame, sipas, units, pops, wave="2025")


def _weights(result, frame):
    cells = result.weighting["cells"][["unit_code", "service_field", "stratum", "weight"]]
    out = frame[["unit_code", "service_field"]].merge(cells, how="left")
    assert out["weight"].notna().all()
    return out


def test_scope_criterion_equals_surveydesign_proportion(result, wave):
    frame, pops = wave
    d = frame.copy()
    wt = _weights(result, frame)
    d["w"], d["h"] = wt["weight"].to_numpy(), wt["stratum"].to_numpy()
    n_h = d.groupby("h")["h"].transform("size")
    N_h = d["w"] * n_h                                   # N_h = w * n_h in a cell
    d["N"] = N_h
    x = pd.to_numeric(d["staff_polite"].where(d["staff_polite"] != "na"), errors="coerce")
    d["sat"] = np.where(x.isna(), np.nan, x.isin([4, 5]).astype(float))
    d["province"] = d["unit_code"].str[:2]
    design = SurveyDesign(d, weights="w", strata="h", fpc="N", lonely_psu="adjust")
    ref = design.proportion("sat", method="beta", by="province")
    got = result.indices.query("kind == 'criterion' and id == 'staff_polite' and depth == 0")
    got = got.set_index("unit_code").loc[ref.index]
    assert_allclose(got["value"] / 100, ref["value"], rtol=1e-10)
    assert_allclose(got["se"] / 100, ref["se"], rtol=1e-10)
    # Korn-Graubard with the effective n capped at n (NCHS), from scipy's beta directly
    from scipy import stats
    p, se, n, df = (ref[c].to_numpy(float) for c in ("value", "se", "n", "df"))
    n_eff = np.minimum(p * (1 - p) / se**2, n)
    n_eff = n_eff * (stats.t.ppf(0.025, n - 1) / stats.t.ppf(0.025, df)) ** 2
    x = n_eff * p
    assert_allclose(got["ci_low"] / 100, stats.beta.ppf(0.025, x, n_eff - x + 1), rtol=1e-10)
    assert_allclose(got["ci_high"] / 100, stats.beta.ppf(0.975, x + 1, n_eff - x), rtol=1e-10)
    assert np.all(got["ci_low"].to_numpy() / 100 <= ref["ci_low"].to_numpy() + 1e-12)
    assert (got["n"].to_numpy() == ref["n"].to_numpy()).all()


def test_element_and_overall_are_means(result, sipas):
    t = result.indices.set_index(["unit_code", "kind", "id"])["value"]
    spec = sipas.analysis
    for unit in (SCOPE, "P1", "P1C2"):
        elements = []
        for e in spec.elements:
            crit = [t[(unit, "criterion", c.question)] for c in e.criteria]
            assert_allclose(t[(unit, "element", e.id)], np.mean(crit), rtol=1e-12)
            elements.append(t[(unit, "element", e.id)])
        assert_allclose(t[(unit, "overall", "overall")], np.mean(elements), rtol=1e-12)


def test_every_unit_at_every_level(result, units):
    overall = result.indices.query("kind == 'overall'")
    assert set(overall["unit_code"]) == set(units["code"]) | {SCOPE}
    depth = overall.set_index("unit_code")["depth"]
    assert depth[SCOPE] == -1 and depth["P1"] == 0 and depth["P1C1"] == 1


def test_no_data_unit_is_marked_and_unranked(result):
    rows = result.indices.query("unit_code == 'P2C9'")
    assert (rows["status"] == "no_data").all() and rows["value"].isna().all()
    ranks = result.rankings.query("unit_code == 'P2C9'")
    assert (ranks["status"] == "unranked").all() and ranks["rank"].isna().all()
    ranked = result.rankings.query("parent_code == 'P2' and kind == 'overall'")
    assert sorted(ranked["rank"].dropna().astype(int)) == [1, 2, 3]


def test_a_whole_tree_level_without_respondents_is_no_data(sipas):
    # Regression: a depth of the tree where no unit has a response used to crash.
    units = pd.DataFrame({"code": ["P", "A", "B", "B1"], "name": list("PABC"), "name_en": None,
                          "kind": None, "parent_code": [None, "P", "P", "B"]})
    frame = synthetic_responses(sipas, pd.DataFrame({"unit_code": ["A"]}), 200, seed=1,
                                fields=["land"])
    pops = pd.DataFrame({"unit_code": ["A"], "service_field": ["land"], "dossiers": [100.0]})
    out = compute_sipas(frame, sipas, units, pops)
    b1 = out.indices.query("unit_code == 'B1'")
    assert len(b1) > 0 and (b1["status"] == "no_data").all()
    a = out.indices.query("unit_code == 'A' and kind == 'overall'")
    assert a["value"].notna().all()


def test_indicators_equal_direct_shares(result, wave, sipas):
    frame, _ = wave
    w = _weights(result, frame)["weight"].to_numpy()
    records = frame.to_dict("records")
    clean = [{k: v for k, v in r.items() if not (isinstance(v, float) and np.isnan(v))
              and v is not None} for r in records]
    for ind in sipas.analysis.indicators:
        among = np.array([ind.among is None or ind.among.holds(r) for r in clean])
        when = np.array([ind.when.holds(r) for r in clean])
        expected = 100 * (w * (when & among)).sum() / (w * among).sum()
        got = result.indicators.query(f"unit_code == '{SCOPE}' and id == '{ind.id}'")
        assert_allclose(got["value"].iloc[0], expected, rtol=1e-12)


def test_expectations_shares(result, wave):
    frame, _ = wave
    w = _weights(result, frame)["weight"].to_numpy()
    answered = frame["improve_first"].notna().to_numpy()
    info = np.array([isinstance(v, list) and "information" in v for v in frame["improve_first"]])
    got = result.expectations.query(f"unit_code == '{SCOPE}' and id == 'information'")
    assert_allclose(got["value"].iloc[0], 100 * (w * info).sum() / (w * answered).sum(),
                    rtol=1e-12)


def test_small_sample_flags(result, sipas, units, wave):
    t = result.indices
    few = t[(t["n"] < 30) & (t["status"] != "no_data")]
    assert len(few) and few["small_sample"].all() and (few["status"] == "small_sample").all()
    noisy = t[(t["cv"] > 0.2) & (t["status"] != "no_data")]
    assert noisy["small_sample"].all()
    frame, pops = wave
    strict = compute_sipas(frame, sipas, units, pops, options=SipasOptions(min_n=10_000))
    ok = strict.indices[strict.indices["status"] != "no_data"]
    assert ok["small_sample"].all()


def test_parent_comparison_columns(result):
    c = result.indices.query("depth == 1 and kind == 'overall' and status != 'no_data'")
    assert c["se_diff_parent"].gt(0).all()
    assert set(c["vs_parent"]) <= {"", "above", "below"}
    # Significance is judged on the p-value adjusted for multiple comparisons.
    p = c["p_parent_adjusted"].to_numpy()
    sig = c["vs_parent"].to_numpy() != ""
    assert ((p < 0.05) == sig).all()


def test_previous_wave_rank_change(result, sipas, units, wave):
    prev = result.rankings.copy()
    mask = (prev["parent_code"] == "P1") & (prev["kind"] == "overall")
    prev.loc[mask, "rank"] = prev.loc[mask, "rank"].max() + 1 - prev.loc[mask, "rank"]
    previous = dataclasses.replace(result, rankings=prev)
    frame, pops = wave
    again = compute_sipas(frame, sipas, units, pops, previous=previous)
    r = again.rankings[(again.rankings["parent_code"] == "P1")
                       & (again.rankings["kind"] == "overall")]
    assert_allclose(r["rank_change"].astype(float), (r["previous_rank"] - r["rank"]).astype(float))
    assert r["rank_change"].notna().all()


def test_drivers(result, sipas):
    d = result.drivers
    assert list(d["element"]) == [e.id for e in sipas.analysis.elements]
    assert result.meta["drivers"]["fitted"] and result.meta["drivers"]["outcome"] == \
        "overall_satisfaction"
    assert (d["coef"] > 0).sum() >= 3
    assert set(d["quadrant"]) <= {"priority", "strength", "secondary", "surplus"}


def test_mean100_and_overall_question(sipas, units, wave):
    frame, pops = wave
    spec = dataclasses.replace(sipas.analysis, method="mean100", overall="overall_satisfaction")
    q = dataclasses.replace(sipas, analysis=spec)
    res = compute_sipas(frame, q, units, pops, options=SipasOptions(drivers=False))
    t = res.indices.set_index(["unit_code", "kind", "id"])
    w = pd.Series(res.weighting["cells"].set_index(["unit_code", "service_field"])["weight"])
    wt = w.reindex(pd.MultiIndex.from_frame(frame[["unit_code", "service_field"]])).to_numpy()
    x = pd.to_numeric(frame["proc_fees"].where(frame["proc_fees"] != "na"), errors="coerce")
    ok = x.notna().to_numpy()
    expected = (wt[ok] * (x[ok] - 1) * 25).sum() / wt[ok].sum()
    assert_allclose(t.loc[(SCOPE, "criterion", "proc_fees"), "value"], expected, rtol=1e-12)
    assert_allclose(t.loc[(SCOPE, "overall", "overall"), "value"],
                    t.loc[(SCOPE, "question", "overall_satisfaction"), "value"], rtol=1e-12)


def test_cluster_option(sipas, units, wave, result):
    frame, pops = wave
    res = compute_sipas(frame, sipas, units, pops,
                        options=SipasOptions(cluster=True))
    a = result.indices.set_index(["unit_code", "kind", "id"])
    b = res.indices.set_index(["unit_code", "kind", "id"])
    assert_allclose(a["value"], b["value"], rtol=1e-12)
    assert not np.allclose(a["se"].dropna(), b["se"].dropna())
    assert res.meta["design"]["psu"].startswith("service point")


def test_serialisable_and_round_trip(result, tmp_path):
    data = json.loads(result.to_json())
    assert data["meta"]["questionnaire"]["id"] == "sipas"
    assert data["indices"][0]["unit_code"] == SCOPE
    assert all(isinstance(r["value"], (float, type(None))) for r in data["indices"])
    result.save(tmp_path)
    back = SipasResult.load(tmp_path)
    assert_allclose(back.indices["value"], result.indices["value"], rtol=1e-12)
    assert back.meta["wave"] == "2025"


# ---------------------------------------------------------------------------- bad input

def test_missing_column(sipas, units, wave):
    frame, pops = wave
    with pytest.raises(SipasInputError, match="unit_code"):
        compute_sipas(frame.drop(columns="unit_code"), sipas, units, pops)
    with pytest.raises(SipasInputError, match="service_field"):
        compute_sipas(frame.drop(columns="service_field"), sipas, units, pops)
    with pytest.raises(SipasInputError, match="dossiers"):
        compute_sipas(frame, sipas, units, pops.drop(columns="dossiers"))


def test_text_in_dossiers(sipas, units, wave):
    frame, pops = wave
    bad = pops.astype({"dossiers": object})
    bad.loc[0, "dossiers"] = "many"
    with pytest.raises(SipasInputError, match="'dossiers'.*'many'"):
        compute_sipas(frame, sipas, units, bad)


def test_text_in_scale_column(sipas, units, wave):
    frame, pops = wave
    bad = frame.copy()
    bad["proc_fees"] = bad["proc_fees"].astype(object)
    bad.loc[bad.index[0], "proc_fees"] = "good"
    with pytest.raises(SipasInputError, match="proc_fees.*'good'"):
        compute_sipas(bad, sipas, units, pops)


def test_criteria_absent(sipas, units, wave):
    frame, pops = wave
    with pytest.raises(SipasInputError, match="absent from the responses: staff_polite"):
        compute_sipas(frame.drop(columns="staff_polite"), sipas, units, pops)


def test_empty_wave(sipas, units, wave):
    frame, pops = wave
    with pytest.raises(SipasInputError, match="no responses"):
        compute_sipas(frame.iloc[:0], sipas, units, pops)


def test_unknown_unit_and_missing_population(sipas, units, wave):
    frame, pops = wave
    bad = frame.copy()
    bad.loc[bad.index[0], "unit_code"] = "ZZ"
    with pytest.raises(SipasInputError, match="missing from the unit tree: 'ZZ'"):
        compute_sipas(bad, sipas, units, pops)
    no_pop = pops[pops["unit_code"] != "P1C3"]
    with pytest.raises(SipasInputError, match="no dossiers.*'P1C3'"):
        compute_sipas(frame, sipas, units, no_pop)
    res = compute_sipas(frame, sipas, units, no_pop,
                        options=SipasOptions(missing_population="drop", drivers=False))
    assert (res.indices.query("unit_code == 'P1C3'")["status"] == "no_data").all()
    assert res.weighting["notes"]


def test_element_questions_reported(result, sipas):
    q = result.indices.query(f"unit_code == '{SCOPE}' and kind == 'question'")
    assert set(q["id"]) == {e.overall_question for e in sipas.analysis.elements}


def test_responses_at_an_inner_unit(sipas, units, wave):
    """Responses recorded at a province itself count for the province, not its communes."""
    frame, pops = wave
    extra = frame[frame["unit_code"] == "P1C1"].head(40).assign(unit_code="P1")
    both = pd.concat([frame, extra], ignore_index=True)
    pops2 = pd.concat([pops, extra.groupby("service_field").size().mul(5.0)
                       .rename("dossiers").reset_index().assign(unit_code="P1")],
                      ignore_index=True)
    res = compute_sipas(both, sipas, units, pops2, options=SipasOptions(drivers=False))
    d = both.copy()
    wt = _weights(res, both)
    d["w"], d["h"] = wt["weight"].to_numpy(), wt["stratum"].to_numpy()
    d["N"] = d["w"] * d.groupby("h")["h"].transform("size")
    x = pd.to_numeric(d["proc_time"].where(d["proc_time"] != "na"), errors="coerce")
    d["sat"] = np.where(x.isna(), np.nan, x.isin([4, 5]).astype(float))
    d["province"] = d["unit_code"].str[:2]
    ref = SurveyDesign(d, weights="w", strata="h", fpc="N", lonely_psu="adjust").proportion(
        "sat", by="province")
    got = res.indices.query("kind == 'criterion' and id == 'proc_time' and depth == 0")
    got = got.set_index("unit_code").loc[ref.index]
    assert_allclose(got["value"] / 100, ref["value"], rtol=1e-10)
    assert_allclose(got["se"] / 100, ref["se"], rtol=1e-10)
    c1 = res.indices.query("unit_code == 'P1C1' and kind == 'overall'")
    c1_before = compute_sipas(frame, sipas, units, pops, options=SipasOptions(drivers=False))
    before = c1_before.indices.query("unit_code == 'P1C1' and kind == 'overall'")
    assert_allclose(c1["value"].to_numpy(), before["value"].to_numpy(), rtol=1e-12)


def test_raking_and_trimming_recorded(sipas, units, wave, result):
    frame, pops = wave
    f = frame.assign(sex=frame["sex"].fillna("unknown"))
    margins = {"sex": {"male": 0.45, "female": 0.45, "other": 0.05, "unknown": 0.05}}
    res = compute_sipas(f, sipas, units, pops, options=SipasOptions(
        rake_margins=margins, trim=5.0, drivers=False))
    choices = res.weighting["choices"]
    assert choices["raking"]["variables"] == ["sex"]
    assert choices["trimming"]["upper_factor"] == 5.0
    assert res.meta["options"]["rake_margins"] == margins
    a = result.indices.query("kind == 'overall'")["value"].to_numpy()
    b = res.indices.query("kind == 'overall'")["value"].to_numpy()
    assert not np.allclose(a[~np.isnan(a)], b[~np.isnan(b)])


def test_indicator_ranking_follows_direction(result):
    r = result.rankings.query("kind == 'indicator' and id == 'late' and parent_code == 'P1' "
                              "and status == 'ranked'")
    assert (r["direction"] == "lower").all()
    best = r.loc[r["rank"] == 1, "value"].iloc[0]
    assert best == r["value"].min()


def test_indicator_on_absent_question(sipas, units, wave):
    frame, pops = wave
    with pytest.raises(SipasInputError, match="indicator 'late'.*absent.*late"):
        compute_sipas(frame.drop(columns="late"), sipas, units, pops)
