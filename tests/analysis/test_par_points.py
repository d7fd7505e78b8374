"""PAR Index survey points: the definition's table, checked against hand-worked values."""

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.sipas import compute_sipas
from analysis.sipas.points import par_points
from analysis.synthetic import synthetic_responses
from questionnaires import DefinitionError, load_bundled, load_definition

HEAD = """\
id: tiny
version: "1"
languages: [vi, en]
title: {vi: Nhỏ, en: Small}
elements:
  - id: main
    title: {vi: Chính, en: Main}
    questions:
      - {id: a, type: scale, label: {vi: A, en: A}}
      - {id: b, type: scale, label: {vi: B, en: B}}
analysis:
  elements:
    - {id: e1, label: {vi: E1, en: E1}, criteria: [a]}
    - {id: e2, label: {vi: E2, en: E2}, criteria: [b]}
"""
GOOD = HEAD + """\
  par_points:
    edition: "2022"
    source: {vi: QĐ thử, en: Test decision}
    components:
      - id: banded
        label: {vi: Theo khung, en: Banded}
        index: e1
        max_points: 2.5
        bands:
          - {min: 90, points: 2.5}
          - {min: 80, points: 2}
          - {min: 65, points: 1}
          - {min: 0, points: 0}
      - id: linear
        label: {vi: Tỷ lệ, en: Proportional}
        index: overall
        max_points: 4
"""


def _indices(rows):
    """An indices table: (unit, kind, id, value, se, status)."""
    df = pd.DataFrame(rows, columns=["unit_code", "kind", "id", "value", "se", "status"])
    df["depth"], df["n"], df["n_eff"] = 1, 100, 90.0
    df["small_sample"] = df["status"] == "small_sample"
    df["vs_parent"] = ""
    return df


def test_points_against_a_hand_worked_table():
    spec = load_definition("tiny.yaml", text=GOOD).analysis
    idx = _indices([
        ("U1", "element", "e1", 92.3, 1.0, "ok"), ("U1", "overall", "overall", 85.5, 2.0, "ok"),
        ("U2", "element", "e1", 80.0, 1.0, "ok"), ("U2", "overall", "overall", 50.0, 2.0, "ok"),
        ("U3", "element", "e1", 79.99, 1.0, "ok"), ("U3", "overall", "overall", 100.0, 0.0, "ok"),
        ("U4", "element", "e1", 10.0, 1.0, "small_sample"),
        ("U4", "overall", "overall", np.nan, np.nan, "no_data"),
    ])
    got = par_points(idx, spec).set_index(["unit_code", "id"])
    # By hand: bands 92.3 -> 2.5, 80.0 -> 2 (a threshold is inclusive), 79.99 -> 1, 10 -> 0;
    # proportional 4 × 85.5 / 100 = 3.42, 4 × 50 / 100 = 2, 4 × 100 / 100 = 4.
    expected = {("U1", "banded"): 2.5, ("U1", "linear"): 3.42, ("U1", "total"): 5.92,
                ("U2", "banded"): 2.0, ("U2", "linear"): 2.0, ("U2", "total"): 4.0,
                ("U3", "banded"): 1.0, ("U3", "linear"): 4.0, ("U3", "total"): 5.0,
                ("U4", "banded"): 0.0}
    for key, value in expected.items():
        assert_allclose(got.loc[key, "value"], value, rtol=1e-12, err_msg=str(key))
    assert math.isnan(got.loc[("U4", "linear"), "value"])
    assert math.isnan(got.loc[("U4", "total"), "value"])       # a component has no value
    assert got.loc[("U4", "banded"), "status"] == "small_sample"
    assert got.loc[("U4", "total"), "status"] == "no_data"
    # SE: proportional points scale the index SE; banded points have none.
    assert_allclose(got.loc[("U1", "linear"), "se"], 4 * 2.0 / 100)
    assert math.isnan(got.loc[("U1", "banded"), "se"])
    assert set(got["max_points"].round(6)) == {2.5, 4.0, 6.5}
    assert spec.par_points.max_total == 6.5


BAD = {
    "unknown_index": ("index: e1", "index: e9",
                      "analysis.par_points.components[banded].index: index must be 'overall' "
                      "or an element id of the analysis (e1, e2), not 'e9'"),
    "rising_min": ("{min: 80, points: 2}", "{min: 95, points: 2}",
                   "analysis.par_points.components[banded].bands[1].min: bands must be listed "
                   "from the highest min down, each min below the one before (90)"),
    "points_rise": ("{min: 65, points: 1}", "{min: 65, points: 2.2}",
                    "analysis.par_points.components[banded].bands[2].points: points must not "
                    "rise as min falls (a lower index cannot earn more points)"),
    "above_max": ("{min: 90, points: 2.5}", "{min: 90, points: 3}",
                  "analysis.par_points.components[banded].bands[0].points: points must be "
                  "between 0 and max_points (2.5), not 3"),
    "no_zero": ("{min: 0, points: 0}", "{min: 10, points: 0}",
                "analysis.par_points.components[banded].bands[3].min: the last band must "
                "start at min 0, so that every index gets points"),
    "bad_max": ("max_points: 4", "max_points: -4",
                "analysis.par_points.components[linear].max_points: max_points must be a "
                "positive number, not -4"),
    "reserved_id": ("id: linear", "id: total",
                    "analysis.par_points.components[total].id: component id 'total' is used "
                    "twice or is reserved ('total')"),
    "no_edition": ('edition: "2022"', 'edition: ""',
                   "analysis.par_points.edition: edition must be a non-empty text, e.g. '2022'"),
    "index_over_100": ("{min: 90, points: 2.5}", "{min: 120, points: 2.5}",
                       "analysis.par_points.components[banded].bands[0].min: min must be an "
                       "index between 0 and 100, not 120"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_points_table_is_refused_with_its_place(case):
    old, new, message = BAD[case]
    assert old in GOOD
    with pytest.raises(DefinitionError) as err:
        load_definition("tiny.yaml", text=GOOD.replace(old, new, 1))
    assert [f"{p.field}: {p.message}" for p in err.value.problems] == [message]
    assert all(p.line for p in err.value.problems)


def test_bundled_points_tables_sum_to_their_edition():
    assert load_bundled("sipas").analysis.par_points.max_total == 10
    assert load_bundled("par_leaders").analysis.par_points.max_total == 22


@pytest.fixture(scope="module")
def wave():
    q = load_bundled("sipas")
    units = pd.DataFrame({
        "code": ["P", "D1", "D2", "C1", "C2", "C3"],
        "name": ["Tỉnh", "Sở 1", "Sở 2", "Xã 1", "Xã 2", "Xã 3"],
        "kind": ["province", "department", "department", "commune", "commune", "commune"],
        "parent_code": [None, "P", "P", "P", "P", "P"]})
    answering = pd.DataFrame({"unit_code": units["code"][1:]})
    frame = synthetic_responses(q, answering, 2500, seed=5, fields=["TP"])
    pops = pd.DataFrame({"unit_code": units["code"][1:], "service_field": "TP",
                         "dossiers": 1000})
    return q, units, compute_sipas(frame, q, units, pops, wave="2026")


def test_points_of_a_wave_follow_its_indices_and_rank_within_the_same_kind(wave):
    q, units, result = wave
    pts = result.points
    for comp in q.analysis.par_points.components:
        idx = result.indices.query("kind == 'element' and id == @comp.index")
        mine = pts[pts["id"] == comp.id].set_index("unit_code").loc[idx["unit_code"]]
        assert_allclose(mine["value"], 2 * idx["value"].to_numpy() / 100, rtol=1e-12)
    total = pts[pts["id"] == "total"].set_index("unit_code")
    overall = result.indices.query("kind == 'overall'").set_index("unit_code")["value"]
    # Equal element weights: 5 elements × 2 points add up to 10 × overall / 100.
    assert_allclose(total.loc[overall.index, "value"], overall / 10, rtol=1e-12)
    rk = result.rankings.query("kind == 'points' and id == 'total' and status == 'ranked'")
    leagues = rk.groupby(["parent_code", "unit_kind"])["rank"].apply(sorted).to_dict()
    # As every ranking: communes with communes, departments with departments, roots alone.
    assert leagues == {("P", "commune"): [1, 2, 3], ("P", "department"): [1, 2],
                       ("*", "province"): [1]}
    best = rk.query("unit_kind == 'department'").sort_values("rank")["unit_code"].tolist()
    assert best == total.loc[["D1", "D2"], "value"].sort_values(ascending=False).index.tolist()


@pytest.mark.parametrize("lang,title,total", [
    ("vi", "Điểm điều tra xã hội học của Chỉ số cải cách hành chính", "Tổng điểm"),
    ("en", "PAR Index survey points", "Total points")])
def test_pdf_report_shows_the_points_in_both_languages(wave, lang, title, total):
    import io
    import re

    from pypdf import PdfReader

    from analysis.report import build_report, render_pdf
    from analysis.report.formatting import fmt_number
    q, units, result = wave
    ctx = build_report(result, "D1", questionnaire=q, units=units, lang=lang,
                       wave={"code": "2026", "name": "Đợt 2026", "name_en": "Wave 2026"})
    text = re.sub(r"\s+", " ", "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(ctx))).pages))
    value = result.points.query("unit_code == 'D1' and id == 'total'")["value"].iloc[0]
    assert title in text and total in text
    assert fmt_number(value, lang) in text and fmt_number(10, lang) in text
    assert "2022" in text and "876/QĐ-BNV" in text
