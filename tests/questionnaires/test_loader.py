"""Loading valid definitions: the model, defaults, canonical JSON, hash, relevance, bundles."""

import hashlib
import json
from pathlib import Path

import pytest

from questionnaires import (
    AnalysisSpec,
    DefinitionError,
    Expression,
    Problem,
    Questionnaire,
    bundled_names,
    load_bundled,
    load_definition,
)

FIXTURE = Path(__file__).parent / "fixtures" / "mini.yaml"

MINIMAL = """\
id: tiny
version: 2017.10
languages: [vi]
title: {vi: Nhỏ}
elements:
  - id: main
    title: {vi: Chính}
    questions:
      - id: late
        type: yesno
        label: {vi: Trễ hẹn}
      - id: said
        type: single
        label: {vi: "Câu trả lời"}
        relevant: "apology == 'no'"
        choices:
          - {value: yes, label: {vi: Yes}}
          - {value: no, label: {vi: No}}
      - id: apology
        type: single
        label: {vi: Xin lỗi}
        choices:
          - {value: yes, label: {vi: Có}}
          - {value: no, label: {vi: Không}}
"""


@pytest.fixture(scope="module")
def q():
    return load_definition(FIXTURE)


def test_fixture_model(q):
    assert (q.id, q.version, q.languages) == ("mini", "2024.10", ("vi", "en"))
    assert q.title == {"vi": "Phiếu thử", "en": "Test form"}
    assert [e.id for e in q.elements] == ["about", "access", "final"]
    assert list(q.questions)[:3] == ["intro_note", "channel", "trips"]
    trips = q.questions["trips"]
    assert (trips.type, trips.min, trips.max, trips.element_id) == ("integer", 0, 20, "about")
    assert isinstance(trips.relevant, Expression) and trips.relevant.references == {"channel"}
    assert trips.constraint_message == {"vi": "Ít nhất một lần", "en": "At least once"}
    # A named choice list is inlined into the question.
    assert [c.value for c in q.questions["extra_payment"].choices] == ["none", "some", "many"]
    assert q.questions["extra_payment"].choices[1].label["vi"] == "Có, một vài lần"
    assert [c.value for c in q.questions["age_band"].choices] == [1, 2]


def test_defaults(q):
    assert q.questions["channel"].required is True
    assert q.questions["improve_first"].required is False
    assert q.questions["comment"].required is False
    assert q.questions["intro_note"].required is False
    assert q.questions["age_band"].required is False
    assert q.questions["access_seats"].required.source == "access_info != 'na'"
    assert q.questions["overall"].na is False and q.questions["access_info"].na is True
    text = load_definition("t.yaml", text=MINIMAL.replace(
        "type: yesno", "type: text"))
    assert text.questions["late"].max_length == 500
    assert load_definition("t.yaml", text=MINIMAL).analysis == AnalysisSpec()


def test_analysis(q):
    a = q.analysis
    assert (a.satisfied, a.method, a.overall, a.expectations) == (
        (4, 5), "share", "mean_of_elements", "improve_first")
    [access] = a.elements
    assert [(c.question, c.weight) for c in access.criteria] == [("access_info", 1), ("access_seats", 2)]
    assert access.overall_question == "overall"
    assert [(i.id, i.direction) for i in a.indicators] == [("extra_payment", "lower"),
                                                          ("three_trips", "lower")]
    assert a.indicators[0].among.evaluate({"extra_payment": "none"}) is True
    assert a.indicators[1].among is None


def test_yaml_12_booleans_and_literal_version():
    # yes/no stay text (YAML 1.1 would make them booleans) and 2017.10 is not 2017.1.
    tiny = load_definition("tiny.yaml", text=MINIMAL)
    assert tiny.version == "2017.10"
    assert [c.value for c in tiny.questions["said"].choices] == ["yes", "no"]
    assert tiny.questions["said"].choices[0].label == {"vi": "Yes"}


def test_forward_references_are_allowed():
    # `said` depends on `apology`, which comes later in the form.
    tiny = load_definition("tiny.yaml", text=MINIMAL)
    assert tiny.relevant_questions({"apology": "no"}) == ["late", "said", "apology"]
    assert tiny.relevant_questions({}) == ["late", "apology"]


def test_round_trip_and_hash(q):
    d = q.to_dict()
    again = Questionnaire.from_dict(json.loads(json.dumps(d)))
    assert again == q
    assert again.to_dict() == d
    assert again.content_hash == q.content_hash
    canonical = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert q.content_hash == hashlib.sha256(canonical.encode()).hexdigest()
    # Expressions are stored as their source; choice lists are inlined.
    trips = d["elements"][0]["questions"][2]
    assert trips["relevant"] == "channel == 'in_person'"
    assert "choice_lists" not in d
    assert d["analysis"]["elements"][0]["criteria"][0] == {"question": "access_info", "weight": 1}


def test_hash_ignores_formatting_but_not_content(q):
    text = FIXTURE.read_text(encoding="utf-8")
    reformatted = "# a comment\n" + text.replace("min: 0\n", "min:   0   # zero\n")
    assert load_definition("x.yaml", text=reformatted).content_hash == q.content_hash
    changed = text.replace("max: 20", "max: 21")
    assert load_definition("x.yaml", text=changed).content_hash != q.content_hash


def test_text_falls_back_to_vietnamese(q):
    assert q.text({"vi": "Xin chào", "en": "Hello"}, "en") == "Hello"
    assert q.text({"vi": "Xin chào"}, "en") == "Xin chào"
    assert q.text({"vi": "Xin chào", "en": "Hello"}, "fr") == "Xin chào"
    assert q.text(None, "vi") == ""


def test_relevance(q):
    about, access, _ = q.elements
    assert q.element_relevant(access, {"channel": "in_person"})
    assert not q.element_relevant("access", {"channel": "online"})
    assert q.element_relevant(about, {})
    online = q.relevant_questions({"channel": "online", "late": True})
    assert "trips" not in online and "access_info" not in online and "apology" in online
    in_person = q.relevant_questions({"channel": "in_person", "late": False})
    assert in_person == ["intro_note", "channel", "trips", "late", "age_band", "access_info",
                         "access_seats", "extra_payment", "overall", "improve_first", "comment"]


def test_problem_str():
    assert str(Problem("f.yaml", 3, "title", "missing Vietnamese text (vi)")) == \
        "f.yaml:3: title: missing Vietnamese text (vi)"
    assert str(Problem("f.yaml", None, "", "the file is empty")) == "f.yaml: the file is empty"


def test_definition_error_is_a_value_error():
    with pytest.raises(ValueError):
        load_definition("x.yaml", text="id: [")


def test_bundled_definitions_load():
    names = bundled_names()
    assert {"sipas", "desk"} <= set(names)
    for name in names:
        q = load_bundled(name)
        assert q.id and q.version and q.languages[0] == "vi"
        assert Questionnaire.from_dict(q.to_dict()).content_hash == q.content_hash


def test_bundled_sipas_has_scale_criteria():
    q = load_bundled("sipas")
    criteria = [c.question for e in q.analysis.elements for c in e.criteria]
    assert criteria
    assert all(q.questions[c].type == "scale" for c in criteria)


def test_load_bundled_unknown_name():
    with pytest.raises(KeyError, match="nope"):
        load_bundled("nope")
    with pytest.raises(KeyError):
        load_bundled("../pyproject")


def test_missing_file_raises_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_definition(tmp_path / "absent.yaml")


def test_error_for_bad_definition_is_definition_error():
    with pytest.raises(DefinitionError) as info:
        load_definition("x.yaml", text=MINIMAL.replace("type: yesno", "type: yesnoo"))
    assert [p.field for p in info.value.problems] == ["elements[main].questions[late].type"]
