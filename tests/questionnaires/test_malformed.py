"""Every file in broken/ must fail with exactly the problems listed in TABLE.

Each entry is (line, field, fragment of the message). The whole list is compared, so a
file that reports one problem too many or too few fails as well: the loader must list
every problem at once, not stop at the first.
"""

from pathlib import Path

import pytest

from questionnaires import DefinitionError, load_definition

BROKEN = Path(__file__).parent / "broken"

Q = "elements[main].questions"
TABLE = {
    "yaml_syntax.yaml": [(4, "", "YAML syntax error at column 6")],
    "empty.yaml": [(None, "", "the file is empty")],
    "not_a_mapping.yaml": [(1, "", "the definition must be a mapping")],
    "duplicate_key.yaml": [(14, f"{Q}[trips].min", "duplicate key 'min' (first on line 12)")],
    "missing_keys.yaml": [
        (1, "version", "missing key 'version'"),
        (5, "elements[main].title", "missing key 'title'"),
        (7, f"{Q}[trips].type", "missing key 'type'"),
    ],
    "bad_ids.yaml": [
        (1, "id", "questionnaire id 'Bad Id' must use lowercase"),
        (6, "elements[1main].id", "element id '1main' must use lowercase letters"),
        (9, "elements[1main].questions[Trips].id", "question id 'Trips' must use lowercase"),
        (12, "elements[1main].questions[not].id", "'not' is a reserved word"),
    ],
    "languages.yaml": [
        (3, "languages[2]", "language 'en' is listed twice"),
        (3, "languages", "'vi' (Vietnamese) must be the first language"),
    ],
    "missing_texts.yaml": [
        (4, "title", "missing Vietnamese text (vi)"),
        (7, "elements[main].title", "missing English text (en)"),
        (11, f"{Q}[late].label.fr", "text in undeclared language 'fr'"),
        (12, f"{Q}[late].hint", "must be texts by language"),
        (16, f"{Q}[apology].explain.vi", "empty or invalid Vietnamese text (vi)"),
    ],
    "duplicate_ids.yaml": [
        (14, "elements[main].id", "duplicate element id 'main' (first defined on line 6)"),
        (17, f"{Q}[trips].id", "duplicate question id 'trips' (first defined on line 9)"),
    ],
    "unknown_keys.yaml": [
        (9, f"{Q}[trips].label", "missing key 'label'"),
        (11, f"{Q}[trips].lable", "unknown key 'lable' (did you mean 'label'?)"),
        (14, f"{Q}[trips].na", "key 'na' does not apply to questions of type 'integer'"),
        (15, "colour", "unknown key 'colour'"),
    ],
    "unknown_type.yaml": [(10, f"{Q}[mood].type", "unknown question type 'slider'")],
    "integer_bounds.yaml": [
        (9, f"{Q}[trips].max", "missing key 'max'"),
        (16, f"{Q}[days].min", "min must not exceed max"),
        (21, f"{Q}[hours].min", "min must be a whole number"),
    ],
    "choices.yaml": [
        (8, "choice_lists.yes_no_maybe[1].value", "duplicate choice value 'yes' (first on line 7)"),
        (9, "choice_lists.yes_no_maybe[2].value", "choice value 'a b' must be"),
        (17, f"{Q}[extra_payment].choices", "choice list 'frequency' is not defined"),
        (18, f"{Q}[channel].choices", "missing key 'choices'"),
        (24, f"{Q}[improve].choices", "choices must be a non-empty list"),
        (29, f"{Q}[topics].min_choices", "min_choices must not exceed max_choices"),
    ],
    "text_length.yaml": [
        (12, f"{Q}[comment].max_length", "max_length must be at most 5000"),
        (16, f"{Q}[remark].max_length", "max_length must be a whole number of at least 1"),
    ],
    "constraints.yaml": [
        (14, f"{Q}[trips].constraint", "a constraint needs a constraint_message"),
        (20, f"{Q}[days].constraint_message", "constraint_message without a constraint"),
        (24, f"{Q}[intro].required", "key 'required' does not apply to questions of type 'note'"),
    ],
    "references.yaml": [
        (8, "elements[main].relevant", "element condition refers to question 'late' on the same page"),
        (16, f"{Q}[apology].relevant", "condition refers to the question itself ('apology')"),
        (22, f"{Q}[trips].relevant", "condition refers to unknown question 'tripz' (did you mean 'trips'?)"),
        (23, f"{Q}[trips].required", "condition refers to unknown question 'chanel'"),
        (24, f"{Q}[trips].constraint", "condition refers to unknown question 'dayz'"),
        (31, f"{Q}[days].relevant", "'.' (this question) can only be used in constraint and required"),
    ],
    "expression_syntax.yaml": [
        (15, f"{Q}[apology].relevant", "expression syntax error at column 9: unexpected ')'"),
        (21, f"{Q}[trips].relevant", "expression syntax error at column 6: unexpected character '='"),
    ],
    "analysis_criteria.yaml": [
        (21, "analysis.elements[access].weight", "weight must be a positive number"),
        (24, "analysis.elements[access].criteria[1]", "criterion 'channel' is not a scale question"),
        (25, "analysis.elements[access].criteria[2]", "criterion refers to unknown question 'infoo'"),
        (26, "analysis.elements[access].criteria[3].weight", "weight must be a positive number"),
        (26, "analysis.elements[access].criteria[3]", "criterion 'info' is listed twice"),
        (29, "analysis.elements[empty].criteria", "element 'empty' has no criteria"),
    ],
    "analysis_method.yaml": [
        (16, "analysis.satisfied", "satisfied must be a list of distinct scale values 1-5"),
        (17, "analysis.method", "method must be 'share' or 'mean100', not 'median'"),
        (18, "analysis.overall", "overall 'late' is not a scale question"),
        (23, "analysis.elements[access].overall_question",
         "overall_question refers to unknown question 'overall_access'"),
    ],
    "indicators.yaml": [
        (22, "analysis.indicators[late_result].direction", "direction must be 'lower' or 'higher'"),
        (23, "analysis.indicators[late_result].id",
         "duplicate indicator id 'late_result' (first defined on line 19)"),
        (25, "analysis.indicators[late_result].when", "condition refers to unknown question 'lat'"),
        (26, "analysis.indicators[late_result].among", "expression syntax error at column 9"),
        (28, "analysis.indicators[apology].direction", "missing key 'direction'"),
        (31, "analysis.expectations", "expectations question 'improve' is not a multiple-choice"),
    ],
    # Several unrelated problems in one file: all are reported, in line order.
    "many_problems.yaml": [
        (1, "version", "missing key 'version'"),
        (3, "title", "missing English text (en)"),
        (11, f"{Q}[trips].min", "min must not exceed max"),
        (13, f"{Q}[trips].id", "duplicate question id 'trips' (first defined on line 8)"),
        (16, f"{Q}[trips].relevant", "condition refers to unknown question 'tripz'"),
        (18, f"{Q}[comment].type", "unknown question type 'txt'"),
        (21, "analysis.method", "method must be 'share' or 'mean100'"),
        (25, "analysis.elements[access].criteria[0]", "criterion 'comment' is not a scale question"),
    ],
}


def test_every_broken_file_is_in_the_table():
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(TABLE)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_broken_file_reports_exactly_its_problems(name):
    path = BROKEN / name
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    problems = info.value.problems
    assert [(p.line, p.field) for p in problems] == [(line, field) for line, field, _ in TABLE[name]]
    for problem, (_, _, fragment) in zip(problems, TABLE[name]):
        assert fragment in problem.message
        assert problem.file == str(path)


def test_error_text_lists_one_problem_a_line():
    path = BROKEN / "many_problems.yaml"
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    lines = str(info.value).splitlines()
    assert len(lines) == len(TABLE["many_problems.yaml"])
    assert lines[0] == f"{path}:1: version: missing key 'version'"


def test_problems_from_uploaded_text_use_the_given_name():
    text = (BROKEN / "unknown_type.yaml").read_text(encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definition("upload.yaml", text=text)
    assert [(p.file, p.line) for p in info.value.problems] == [("upload.yaml", 10)]


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Tiêu đề".encode("utf-16"))
    with pytest.raises(DefinitionError, match="not UTF-8"):
        load_definition(path)


def test_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, "
              f"*a{i-1}, *a{i-1}, *a{i-1}]" for i in range(1, 9)]
    with pytest.raises(DefinitionError, match="too many values"):
        load_definition("bomb.yaml", text="\n".join(lines))


def test_comma_inside_flow_text_gets_a_hint():
    text = (BROKEN.parent / "fixtures" / "mini.yaml").read_text(encoding="utf-8")
    text = text.replace('{vi: "Có, nhiều lần", en: "Yes, many times"}',
                        "{vi: Có, nhiều lần, en: Yes, many times}")
    with pytest.raises(DefinitionError) as info:
        load_definition("mini.yaml", text=text)
    messages = [p.message for p in info.value.problems]
    assert len(messages) == 2
    assert all("put the text in quotes" in m for m in messages)
