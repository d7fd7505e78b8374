"""Waves are compared measure by measure only where the definitions are identical."""

import dataclasses

import numpy as np
import pandas as pd

from analysis.sipas import comparable_keys, compare_waves, restrict_previous, signatures
from questionnaires import load_bundled


def _reworded(q):
    element = q.elements[0]
    question = dataclasses.replace(element.questions[0], label={"vi": "Khác", "en": "Other"})
    element = dataclasses.replace(element, questions=(question,) + element.questions[1:])
    return dataclasses.replace(q, elements=(element,) + q.elements[1:])


def test_wording_does_not_count_but_criteria_and_scoring_do():
    sipas = load_bundled("sipas")
    assert signatures(_reworded(sipas)) == signatures(sipas)
    spec = sipas.analysis
    first = spec.elements[0]
    fewer = dataclasses.replace(first, criteria=first.criteria[:-1])
    changed = dataclasses.replace(sipas, analysis=dataclasses.replace(
        spec, elements=(fewer,) + spec.elements[1:]))
    now, before = signatures(changed), signatures(sipas)
    assert now[f"element|{first.id}"] != before[f"element|{first.id}"]
    assert now["overall|overall"] != before["overall|overall"]
    assert now[f"criterion|{first.criteria[0].question}"] == before[f"criterion|{first.criteria[0].question}"]
    assert now[f"element|{spec.elements[1].id}"] == before[f"element|{spec.elements[1].id}"]
    strict = dataclasses.replace(sipas, analysis=dataclasses.replace(spec, satisfied=(5,)))
    assert signatures(strict)[f"criterion|{first.criteria[0].question}"] != before[
        f"criterion|{first.criteria[0].question}"]


def test_the_desk_overall_is_not_the_full_surveys_overall():
    desk, sipas = signatures(load_bundled("desk")), signatures(load_bundled("sipas"))
    keys = comparable_keys({"signatures": desk}, {"signatures": sipas})
    assert ("overall", "overall") not in keys
    shared = {k for k in desk if k in sipas and desk[k] == sipas[k]}
    assert {tuple(k.split("|", 1)) for k in shared} == keys


def test_results_without_signatures_compare_whole_by_content_hash():
    meta = {"questionnaire": {"content_hash": "a"}, "signatures": {"overall|overall": "x"}}
    assert comparable_keys(meta, {"questionnaire": {"content_hash": "a"}}) == {("overall", "overall")}
    assert comparable_keys(meta, {"questionnaire": {"content_hash": "b"}}) == set()
    assert comparable_keys(meta, None) is None


def _table(values):
    rows = [{"unit_code": "A", "kind": k, "id": i, "value": v, "se": 2.0, "df": 50.0, "status": "ok"}
            for (k, i), v in values.items()]
    return pd.DataFrame(rows)


def test_compare_waves_says_not_comparable_for_a_changed_definition():
    now = _table({("overall", "overall"): 80.0, ("criterion", "c1"): 70.0, ("criterion", "new"): 60.0})
    before = _table({("overall", "overall"): 50.0, ("criterion", "c1"): 50.0})
    out = compare_waves(now, before, comparable={("criterion", "c1")}).set_index("id")
    assert out.loc["overall", "verdict"] == "not_comparable"
    assert bool(out.loc["overall", "definition_changed"]) and np.isnan(out.loc["overall", "previous"])
    assert out.loc["c1", "verdict"] == "better" and out.loc["c1", "previous"] == 50.0
    assert not out.loc["new", "definition_changed"]
    everything = compare_waves(now, before).set_index("id")
    assert everything.loc["overall", "verdict"] == "better"
    assert not everything["definition_changed"].any()
    assert list(restrict_previous(before, {("criterion", "c1")})["id"]) == ["c1"]


def test_rank_changes_only_against_the_same_definition():
    from analysis.sipas import SipasOptions, compute_sipas
    from analysis.synthetic import synthetic_responses

    rows = [("P1", None)] + [(f"P1C{i}", "P1") for i in range(1, 5)]
    units = pd.DataFrame({"code": [r[0] for r in rows], "name": [r[0] for r in rows],
                          "name_en": None, "kind": None, "parent_code": [r[1] for r in rows]})
    opts = SipasOptions(drivers=False, rank_draws=100)

    def wave(q, seed):
        frame = synthetic_responses(q, pd.DataFrame({"unit_code": units["code"][1:]}), 800, seed=seed,
                                    fields=["land", "civil"])
        cells = frame.groupby(["unit_code", "service_field"]).size().rename("n").reset_index()
        cells["dossiers"] = cells["n"] * 10
        return frame, cells.drop(columns="n")

    sipas, desk = load_bundled("sipas"), load_bundled("desk")
    frame1, pops1 = wave(sipas, 1)
    before = compute_sipas(frame1, sipas, units, pops1, options=opts)
    frame, pops = wave(desk, 2)
    now = compute_sipas(frame, desk, units, pops, options=opts, previous=before)
    overall = now.rankings.query("kind == 'overall'")
    assert len(overall) and overall["previous_rank"].isna().all()
    frame3, pops3 = wave(sipas, 3)
    again = compute_sipas(frame3, sipas, units, pops3, options=opts, previous=before)
    assert again.rankings.query("kind == 'overall'")["previous_rank"].notna().all()
    assert now.meta["signatures"] == signatures(desk)

    from analysis.report import build_report

    for lang, words in (("vi", "không so sánh được"), ("en", "not comparable")):
        context = build_report(now, "P1", questionnaire=desk, units=units, lang=lang, compare=before)
        headline = context["headline"]
        assert (headline["previous"], headline["previous_text"], headline["change_text"]) == (
            None, words, words)
        assert headline["verdict"] == "not_comparable"
    same = build_report(again, "P1", questionnaire=sipas, units=units, lang="vi", compare=before)
    assert same["headline"]["previous"] is not None
    assert same["headline"]["previous_text"] != "không so sánh được"
