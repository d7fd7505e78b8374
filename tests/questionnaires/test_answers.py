"""check_answers: coercion of form strings and JSON values, relevance, required, constraints."""

from pathlib import Path

import pytest

from questionnaires import AnswerError, check_answers, load_definition

FIXTURE = Path(__file__).parent / "fixtures" / "mini.yaml"

# A complete, valid set of answers for the fixture, as a browser form would post them.
FORM = {
    "channel": "in_person", "trips": "2", "late": "no", "age_band": "1",
    "access_info": "4", "access_seats": "5", "extra_payment": "none", "overall": "4",
    "improve_first": ["staff", "information"], "comment": "  Tốt  ",
}


@pytest.fixture(scope="module")
def q():
    return load_definition(FIXTURE)


def codes(check):
    return [(e.question_id, e.code) for e in check.errors]


def test_complete_form_is_clean_and_typed(q):
    check = check_answers(q, FORM)
    assert check.ok, check.errors
    assert check.values == {
        "channel": "in_person", "trips": 2, "late": False, "age_band": 1,
        "access_info": 4, "access_seats": 5, "extra_payment": "none", "overall": 4,
        "improve_first": ["information", "staff"], "comment": "Tốt",
    }


def test_json_values_give_the_same_result_as_form_strings(q):
    json_answers = dict(FORM, trips=2, late=False, age_band=1, access_info=4,
                        access_seats=5, overall=4, comment="Tốt")
    assert check_answers(q, json_answers).values == check_answers(q, FORM).values


@pytest.mark.parametrize("raw, expected", [
    ("1", 1), ("5", 5), (" 3 ", 3), (4, 4), (4.0, 4), ("na", "na"), ("NA", "na"),
])
def test_scale_coercion(q, raw, expected):
    assert check_answers(q, dict(FORM, access_info=raw)).values["access_info"] == expected


@pytest.mark.parametrize("raw", ["0", "6", 6, "4.5", 4.5, True, "abc", ["4"]])
def test_scale_rejects_values_outside_the_scale(q, raw):
    check = check_answers(q, dict(FORM, access_info=raw))
    assert codes(check) == [("access_info", "not_a_choice")]
    assert "access_info" not in check.values


def test_scale_na_refused_where_not_offered(q):
    check = check_answers(q, dict(FORM, overall="na"))
    assert check.errors == [AnswerError("overall", "not_a_choice", {"value": "na"})]


@pytest.mark.parametrize("raw, expected", [("12", 12), (" 7 ", 7), (12, 12), (3.0, 3), ("+3", 3)])
def test_integer_coercion(q, raw, expected):
    assert check_answers(q, dict(FORM, trips=raw)).values["trips"] == expected


@pytest.mark.parametrize("raw", ["1e3", "1_0", "2.5", 2.5, True, False, "two", "١٢", [2]])
def test_integer_rejects_non_integers(q, raw):
    check = check_answers(q, dict(FORM, trips=raw))
    assert codes(check) == [("trips", "not_an_integer")]
    assert check.errors[0].params["value"] == (raw if not isinstance(raw, list) else repr(raw))


@pytest.mark.parametrize("raw", ["21", -1, "99999999999999999999"])
def test_integer_bounds(q, raw):
    check = check_answers(q, dict(FORM, trips=raw))
    assert len(check.errors) == 1
    error = check.errors[0]
    assert error.question_id == "trips"
    # 20 digits are not an integer we accept at all; the others are out of range.
    if raw == "99999999999999999999":
        assert error.code == "not_an_integer"
    else:
        assert (error.code, error.params) == ("out_of_range", {"min": 0, "max": 20})


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_blank_means_unanswered(q, raw):
    check = check_answers(q, dict(FORM, trips=raw))
    assert "trips" not in check.values
    assert codes(check) == [("trips", "required")]


@pytest.mark.parametrize("raw, expected", [
    ("yes", True), ("no", False), ("true", True), ("false", False), (" Yes ", True),
    (True, True), (False, False),
])
def test_yesno_coercion(q, raw, expected):
    answers = dict(FORM, late=raw)
    if expected:
        answers["apology"] = "no"
    assert check_answers(q, answers).values["late"] is expected


@pytest.mark.parametrize("raw", ["1", 1, "maybe", 0])
def test_yesno_rejects_other_values(q, raw):
    assert codes(check_answers(q, dict(FORM, late=raw))) == [("late", "not_a_choice")]


def test_single_choice_returns_the_choice_typed_value(q):
    # age_band's choice values are integers: the form string "2" becomes the int 2.
    assert check_answers(q, dict(FORM, age_band="2")).values["age_band"] == 2
    assert check_answers(q, dict(FORM, age_band=2)).values["age_band"] == 2
    check = check_answers(q, dict(FORM, age_band="3"))
    assert check.errors == [AnswerError("age_band", "not_a_choice", {"value": "3"})]
    # An invalid channel counts as unanswered, so what depends on it is not asked.
    assert codes(check_answers(q, dict(FORM, channel="phone"))) == [
        ("channel", "not_a_choice"), ("trips", "not_relevant"), ("access_info", "not_relevant"),
        ("access_seats", "not_relevant")]


def test_multiple_choice_is_ordered_and_deduplicated(q):
    check = check_answers(q, dict(FORM, improve_first=["staff", "information", "staff"]))
    assert check.values["improve_first"] == ["information", "staff"]
    assert check_answers(q, dict(FORM, improve_first="premises")).values["improve_first"] == ["premises"]


def test_multiple_choice_errors(q):
    too_many = check_answers(q, dict(FORM, improve_first=["staff", "information", "premises"]))
    assert too_many.errors == [AnswerError("improve_first", "too_many_choices", {"max": 2})]
    unknown = check_answers(q, dict(FORM, improve_first=["staff", "wifi"]))
    assert unknown.errors == [AnswerError("improve_first", "not_a_choice", {"value": "wifi"})]
    assert "improve_first" not in unknown.values
    # An empty list is simply unanswered (multiple is optional by default).
    assert check_answers(q, dict(FORM, improve_first=[])).ok


def test_multiple_choice_reads_all_values_of_a_multidict(q):
    class MultiDict(dict):
        def getlist(self, key):
            return ["premises", "staff"] if key == "improve_first" else [self[key]]

    answers = MultiDict(FORM, improve_first="premises")
    assert check_answers(q, answers).values["improve_first"] == ["premises", "staff"]


def test_text_is_trimmed_and_limited(q):
    assert "comment" not in check_answers(q, dict(FORM, comment="   ")).values
    assert check_answers(q, dict(FORM, comment="x" * 20)).values["comment"] == "x" * 20
    check = check_answers(q, dict(FORM, comment="x" * 21))
    assert check.errors == [AnswerError("comment", "too_long", {"max_length": 20})]
    assert codes(check_answers(q, dict(FORM, comment={"a": 1}))) == [("comment", "not_text")]


def test_text_loses_control_characters_but_keeps_line_breaks(q):
    raw = "Tốt\x00 lắm\r\nrất\x07\tổn\x1b"
    assert check_answers(q, dict(FORM, comment=raw)).values["comment"] == "Tốt lắm\nrất\tổn"
    assert check_answers(q, dict(FORM, comment="\x00\x01 ")).values.get("comment") is None


def test_answer_to_a_note_is_refused(q):
    assert codes(check_answers(q, dict(FORM, intro_note="hi"))) == [("intro_note", "not_answerable")]


def test_unknown_question(q):
    check = check_answers(q, dict(FORM, tripz="3"))
    assert codes(check) == [("tripz", "unknown_question")]
    assert check.values == check_answers(q, FORM).values


def test_answer_to_irrelevant_question_is_refused_and_dropped(q):
    # trips is asked only in person; the whole access page too.
    check = check_answers(q, dict(FORM, channel="online"))
    assert codes(check) == [("trips", "not_relevant"), ("access_info", "not_relevant"),
                            ("access_seats", "not_relevant")]
    for qid in ("trips", "access_info", "access_seats"):
        assert qid not in check.values
    assert check.values["channel"] == "online"


def test_irrelevant_invalid_answer_reports_not_relevant_only(q):
    check = check_answers(q, dict(FORM, channel="post", trips="abc"))
    assert ("trips", "not_relevant") in codes(check)
    assert ("trips", "not_an_integer") not in codes(check)


def test_relevance_uses_clean_values(q):
    # late="maybe" is invalid, so late is unanswered and apology is not relevant.
    check = check_answers(q, dict(FORM, late="maybe", apology="yes"))
    assert codes(check) == [("late", "not_a_choice"), ("apology", "not_relevant")]
    # With late="yes", apology is asked and required.
    assert codes(check_answers(q, dict(FORM, late="yes"))) == [("apology", "required")]


def test_required_skips_irrelevant_questions(q):
    answers = {k: v for k, v in FORM.items() if k not in ("trips", "access_info", "access_seats")}
    check = check_answers(q, dict(answers, channel="online"))
    assert check.ok, check.errors


def test_required_default_and_optional_types(q):
    check = check_answers(q, {})
    # scale/single/integer/yesno are required by default; note, text and multiple are not;
    # age_band says required: false; trips and the access page depend on channel.
    assert codes(check) == [("channel", "required"), ("late", "required"),
                            ("extra_payment", "required"), ("overall", "required")]


def test_required_as_expression(q):
    answers = {k: v for k, v in FORM.items() if k != "access_seats"}
    assert codes(check_answers(q, answers)) == [("access_seats", "required")]
    assert check_answers(q, dict(answers, access_info="na")).ok


def test_partial_elements_restrict_the_required_check(q):
    check = check_answers(q, {"channel": "in_person", "trips": "1", "late": "no"},
                          partial_elements={"about"})
    assert check.ok, check.errors
    check = check_answers(q, {"channel": "in_person"}, partial_elements=["about", "access"])
    assert codes(check) == [("trips", "required"), ("late", "required"),
                            ("access_info", "required"), ("access_seats", "required")]
    with pytest.raises(ValueError, match="nowhere"):
        check_answers(q, {}, partial_elements={"nowhere"})


def test_partial_elements_still_refuse_bad_answers_elsewhere(q):
    check = check_answers(q, {"channel": "in_person", "trips": "1", "late": "no",
                              "overall": "9"}, partial_elements={"about"})
    assert codes(check) == [("overall", "not_a_choice")]


def test_constraint_uses_this_and_carries_the_message(q):
    check = check_answers(q, dict(FORM, trips="0"))
    assert check.errors == [AnswerError("trips", "constraint",
                                        {"message": {"vi": "Ít nhất một lần", "en": "At least once"}})]
    assert "trips" not in check.values


def test_valid_answers_survive_other_errors(q):
    check = check_answers(q, dict(FORM, trips="0", overall="9", comment="x" * 99, tripz=1))
    assert {e.question_id for e in check.errors} == {"trips", "overall", "comment", "tripz"}
    expected = {k: v for k, v in check_answers(q, FORM).values.items()
                if k not in ("trips", "overall", "comment")}
    assert check.values == expected
