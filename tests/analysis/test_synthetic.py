"""The synthetic response generator: valid answers, believable patterns, speed."""

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from analysis.synthetic import point_code, synthetic_responses
from questionnaires import check_answers, load_bundled, load_definition

FIELDS = ["TP", "DD", "XD", "KD"]


def _units(m=20):
    return pd.DataFrame({"unit_code": [f"U{i:02d}" for i in range(m)]})


def _answers(record, questionnaire):
    """A generated row as a stored answer set: unanswered questions absent."""
    return {k: v for k, v in record.items()
            if k in questionnaire.questions and v is not None and not (isinstance(v, float) and np.isnan(v))}


def _errors(frame, questionnaire, rows=300):
    sample = frame.sample(min(rows, len(frame)), random_state=0)
    problems = []
    for record in sample.to_dict("records"):
        answers = _answers(record, questionnaire)
        check = check_answers(questionnaire, answers)
        problems += check.errors
        # Stored values are already clean: checking changes nothing.
        assert check.values == answers
    return problems


@pytest.fixture(scope="module")
def sipas():
    return load_bundled("sipas")


@pytest.fixture(scope="module")
def big(sipas):
    """40,000 SIPAS rows over 20 units (enough to see rates of a few per thousand)."""
    return synthetic_responses(sipas, _units(), 40_000, seed=5, fields=FIELDS)


def test_columns_and_stored_types(big, sipas):
    expected = ["unit_code", "service_point", "service_field", "channel"]
    assert list(big.columns[:4]) == expected
    answerable = [q for q, d in sipas.questions.items() if d.type != "note" and q != "channel"]
    assert list(big.columns[4:]) == answerable
    assert set(big["access_info"].dropna()) <= {1, 2, 3, 4, 5, "na"}
    assert set(big["late"].dropna()) == {True, False}
    # Only those who received the result are asked whether it was late.
    assert (big["late"].isna() == (big["result_received"] == False)).all()  # noqa: E712
    assert set(big["trips"].dropna()) == {1, 2, 3}
    assert all(isinstance(v, list) for v in big["improve_first"].dropna())
    assert set(big["service_field"]) == set(FIELDS)
    codes = {point_code(u, k) for u in _units()["unit_code"] for k in (1, 2, 3)}
    assert set(big["service_point"]) <= codes and big["service_point"].nunique() > 40


@pytest.mark.parametrize("name", ["sipas", "desk"])
def test_rows_pass_check_answers(name):
    q = load_bundled(name)
    frame = synthetic_responses(q, _units(6), 2000, seed=1, fields=FIELDS)
    assert _errors(frame, q) == []
    if "channel" not in q.questions:
        # Without a channel question the column is the response's own channel.
        assert set(frame["channel"]) == {"in_person", "online", "post"}


def test_generic_definition_rules_are_honoured():
    q = load_definition("/dev/null", text=textwrap.dedent("""
        id: custom
        version: "1"
        languages: [vi]
        title: {vi: Phiếu thử}
        elements:
          - id: main
            title: {vi: Chính}
            questions:
              - {id: visits, type: integer, min: 0, max: 40, label: {vi: Số lần},
                 constraint: ". != 13", constraint_message: {vi: Không được 13}}
              - id: kind
                type: single
                label: {vi: Loại}
                choices: [{value: a, label: {vi: A}}, {value: b, label: {vi: B}}, {value: c, label: {vi: C}}]
              - id: why
                type: multiple
                min_choices: 2
                max_choices: 3
                required: "kind == 'a'"
                relevant: "kind in ['a', 'b']"
                label: {vi: Vì sao}
                choices: [{value: x1, label: {vi: X1}}, {value: x2, label: {vi: X2}},
                          {value: x3, label: {vi: X3}}, {value: x4, label: {vi: X4}}]
              - {id: rate, type: scale, relevant: "'x1' in why or visits > 20", label: {vi: Điểm},
                 constraint: ". != 1 or kind != 'c'", constraint_message: {vi: Không}}
              - {id: info, type: note, label: {vi: Ghi chú}}
          - id: extra
            title: {vi: Thêm}
            relevant: "kind == 'c'"
            questions:
              - {id: ok, type: yesno, label: {vi: Được không}}
              - {id: say, type: text, max_length: 10, label: {vi: Ý kiến}}
        """))
    frame = synthetic_responses(q, _units(5), 3000, seed=2, fields=["f"])
    assert "info" not in frame
    assert _errors(frame, q, rows=3000) == []
    assert (frame["visits"].dropna() != 13).all()
    assert frame.loc[frame["kind"] == "a", "why"].map(len).between(2, 3).all()
    assert frame.loc[frame["kind"] == "c", "why"].isna().all()
    assert frame.loc[frame["kind"] != "c", "ok"].isna().all()
    assert frame.loc[frame["kind"] == "c", "ok"].notna().all()
    assert frame["say"].dropna().str.len().le(10).all()


def test_seeded(sipas):
    a = synthetic_responses(sipas, _units(), 500, seed=9, fields=FIELDS)
    b = synthetic_responses(sipas, _units(), 500, seed=9, fields=FIELDS)
    c = synthetic_responses(sipas, _units(), 500, seed=10, fields=FIELDS)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def _satisfied(series):
    scored = series[series.isin([1, 2, 3, 4, 5])]
    return scored.isin([4, 5]).mean()


def test_units_differ_and_a_few_are_clearly_weaker(big):
    by_unit = big.groupby("unit_code")["overall_satisfaction"].apply(_satisfied)
    assert 0.75 < _satisfied(big["overall_satisfaction"]) < 0.92
    assert by_unit.max() - by_unit.min() > 0.15
    weak = by_unit < by_unit.median() - 0.10
    assert 1 <= weak.sum() <= len(by_unit) // 3


def test_criteria_are_correlated_within_a_respondent(big):
    scored = big[["staff_polite", "result_lawful"]].apply(pd.to_numeric, errors="coerce").dropna()
    assert scored.corr().iloc[0, 1] > 0.3


def test_headline_rates_are_believable(big):
    extra = big["extra_payment"].isin(["some", "many"]).mean()
    assert 0.002 <= extra <= 0.01
    assert 0.03 <= (big["trips"].dropna() == 3).mean() <= 0.08
    assert 0.01 <= big["late"].mean() <= 0.04
    assert 0.005 <= big["harassment"].isin(["some", "many"]).mean() <= 0.03


def test_apology_only_and_always_when_late(big):
    late = big["late"] == True  # noqa: E712  (object column of bools)
    assert big.loc[late, "apology"].notna().all()
    assert big.loc[~late, "apology"].isna().all()
    assert 0.2 < big.loc[late, "apology"].astype(bool).mean() < 0.6


def test_online_share_varies_by_unit(big):
    online = big["channel"].isin(["online_full", "online_partial"]).groupby(big["unit_code"]).mean()
    assert online.max() - online.min() > 0.2
    assert big.loc[big["channel"] == "online_full", "trips"].isna().all()


def test_problems_lower_satisfaction(big):
    late = big["late"] == True  # noqa: E712
    assert _satisfied(big.loc[late, "overall_satisfaction"]) < _satisfied(big.loc[~late, "overall_satisfaction"]) - 0.1


def test_demographics_are_plausible(big):
    sex = big["sex"].value_counts(normalize=True)
    assert 0.4 < sex["female"] < 0.6 and sex.get("other", 0) < 0.03
    assert big["ethnicity"].value_counts(normalize=True)["kinh"] > 0.7
    assert 0.9 < big["age_band"].notna().mean() < 1.0


def test_units_frame_columns_steer_the_draw(sipas):
    units = pd.DataFrame({"unit_code": ["BIG", "SMALL"], "dossiers": [9, 1], "quality": [0.0, -1.0],
                          "online_share": [0.0, 0.5]})
    frame = synthetic_responses(sipas, units, 5000, seed=3, fields=["TP"], points_per_unit=1)
    assert 0.85 < (frame["unit_code"] == "BIG").mean() < 0.95
    assert set(frame["service_point"]) == {"BIG-1", "SMALL-1"}
    sat = frame.groupby("unit_code")["overall_satisfaction"].apply(_satisfied)
    assert sat["SMALL"] < sat["BIG"] - 0.2
    online = frame["channel"].str.startswith("online").groupby(frame["unit_code"]).mean()
    assert online["BIG"] == 0 and online["SMALL"] > 0.35


@pytest.mark.parametrize("kwargs", [{"n": -1}, {"fields": []}, {"points_per_unit": 0}])
def test_bad_arguments(sipas, kwargs):
    arguments = {"n": 10, "seed": 1, "fields": FIELDS, **kwargs}
    with pytest.raises(ValueError):
        synthetic_responses(sipas, _units(), **arguments)


def test_imports_no_flask_or_sqlalchemy():
    code = ("import sys, analysis.synthetic; "
            "print(sorted(m for m in ('flask', 'sqlalchemy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_large_frame_keeps_its_shape(sipas):
    # Speed is measured in bench/bench_sipas_table.py, not asserted here (noisy machines).
    frame = synthetic_responses(sipas, _units(40), 200_000, seed=1, fields=FIELDS)
    assert len(frame) == 200_000
    assert set(frame["unit_code"]) <= set(_units(40)["unit_code"])
