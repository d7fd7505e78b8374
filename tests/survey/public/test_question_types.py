"""Every question type through the registry: validation, rendering, export, read-back.

The last tests register a throwaway type in the test itself, with its own partial template,
and take it through the loader, check_answers, a rendered page, the exports and the
synthetic generator: adding a type needs its registry entry and its template, nothing else.
"""

import io
import re

import pandas as pd
import pytest
from jinja2 import ChoiceLoader, DictLoader

from analysis.exports import ExportPlan, export_frame, read_responses_csv
from analysis.exports.convert import csv_text
from analysis.synthetic import synthetic_responses
from questionnaires import check_answers, load_definition
from questionnaires.types import (UNANSWERED, ExportSpec, FormReading, Option, QuestionType,
                                  question_type, register, type_names, unregister)
from questionnaires.types.builtin import integral, shown
from questionnaires.types.base import AnswerError
from survey.public.flow import coerce_form_value
from survey.public.forms import element_form
from survey.public.pages import _question_views

from .helpers import mini_questionnaire

# One question of each type in the mini questionnaire, with a good posted value, the
# stored value it becomes, and a bad value with the error code it gets.
CASES = {
    "scale": ("overall", ["4"], 4, "7", "not_a_choice"),
    "single": ("channel", ["in_person"], "in_person", "fax", "not_a_choice"),
    "multiple": ("topics", ["info", "online"], ["info", "online"], ["wifi"], "not_a_choice"),
    "integer": ("visits", [" 12 "], 12, "1.5", "not_an_integer"),
    "yesno": ("late", ["false"], False, "maybe", "not_a_choice"),
    "text": ("comments", ["  Tốt lắm  "], "Tốt lắm", "x" * 21, "too_long"),
    "note": ("info", [], None, "hello", "not_answerable"),
}
BASE = {"channel": "in_person", "visits": 2, "late": False, "seats": 4, "overall": 4}


def test_every_builtin_type_has_a_case():
    assert set(type_names()) == set(CASES)


def render(app, questionnaire, element_id, values, lang="vi"):
    """The HTML of one element's questions, as the survey page renders them."""
    element = questionnaire.element(element_id)
    relevant = set(questionnaire.relevant_questions(values))
    with app.test_request_context():
        form = element_form(element, lambda d: questionnaire.text(d, lang), values, "token")
        views = _question_views(questionnaire, element, form, lang, relevant, {})
        template = app.jinja_env.from_string(
            '{% from "public/_question.html" import render_question %}'
            "{% for v in views %}{{ render_question(v) }}{% endfor %}")
        return template.render(views=views)


def export_and_read_back(questionnaire, answers):
    """Export one response as CSV and read it back into the responses frame."""
    frame = pd.DataFrame([{"unit_code": "X01", "service_point": "X01-1",
                           "service_field": "land", **answers}], dtype=object)
    plan = ExportPlan(questionnaire)
    header = ",".join(v.name for v in plan.csv_variables) + "\r\n"
    return plan, read_responses_csv(io.StringIO(header + csv_text(frame, plan)), questionnaire)


@pytest.mark.parametrize("type_name", sorted(CASES))
def test_type_validates_reads_the_form_and_refuses_bad_values(type_name):
    q = mini_questionnaire()
    qid, posted, stored, bad, code = CASES[type_name]
    question = q.questions[qid]
    assert question.kind is question_type(type_name)
    value = coerce_form_value(question, posted) if posted else None
    assert value == (stored if question.kind.answerable else None)
    if question.kind.answerable:
        assert question.kind.from_form(question, question.kind.to_form(stored)
                                       if isinstance(stored, list)
                                       else [question.kind.to_form(stored)]) == stored
        check = check_answers(q, {**BASE, qid: value})
        assert check.ok and check.values[qid] == stored
    refused = check_answers(q, {**BASE, qid: bad})
    assert [e.code for e in refused.errors_for(qid)] == [code]


@pytest.mark.parametrize("type_name", sorted(CASES))
def test_type_renders_its_partial_with_the_reading_of_survey_js(app, type_name):
    q = mini_questionnaire()
    qid, _, stored, _, _ = CASES[type_name]
    question = q.questions[qid]
    page = render(app, q, question.element_id, {**BASE, qid: stored} if stored is not None else BASE)
    box = re.search(r'<(fieldset|div) class="question q-%s[^>]*data-question="%s"[^>]*>'
                    % (type_name, qid), page)
    assert box, page
    assert f'data-read="{question.kind.form.read}"' in box.group(0)
    if question.kind.form.numeric:
        assert "data-numeric" in box.group(0)
    if question.kind.field in ("radio", "checkboxes"):
        for option in question.kind.options(question):
            assert f'value="{option.value}"' in page
        for value in ([question.kind.to_form(stored)] if not isinstance(stored, list)
                      else question.kind.to_form(stored)):
            assert re.search(r'checked[^>]*value="%s"|value="%s"[^>]*checked' % (value, value), page)
    elif question.kind.field == "number":
        assert f'min="{question.min}"' in page and f'value="{stored}"' in page
    elif question.kind.field == "textarea":
        assert f'maxlength="{question.max_length}"' in page and stored in page
    else:
        assert "<fieldset" not in box.group(0) and "Sắp xong rồi." in page


@pytest.mark.parametrize("type_name", sorted(set(CASES) - {"note"}))
def test_type_exports_and_reads_back(type_name):
    q = mini_questionnaire()
    qid, _, stored, _, _ = CASES[type_name]
    answers = {**BASE, "seats": "na", qid: stored}
    plan, back = export_and_read_back(q, answers)
    var = next(v for v in plan.variables if v.name == qid)
    assert var.kind == type_name
    assert back.loc[0, qid] == stored
    assert back.loc[0, "seats"] == "na"
    book = plan.codebook()
    row = book[book.iloc[:, 0] == qid].iloc[0]
    assert row.iloc[2] == question_type(type_name).title["vi"]


def test_notes_are_not_exported():
    plan = ExportPlan(mini_questionnaire())
    assert "info" not in [v.name for v in plan.variables]


# -- a throwaway type, registered here ----------------------------------------------------------
STARS_TEMPLATE = """<div class="stars" data-stars="{{ q.id }}">
{%- for option in v.field %}{{ option(**attrs) }}<label for="{{ option.id }}">{{ option.label.text }}</label>{% endfor -%}
</div>"""
STARS_WORDS = {k: {"vi": f"{k} sao", "en": f"{k} star" + ("s" if k > 1 else "")} for k in range(1, 6)}


def _coerce_stars(q, raw):
    number = integral(raw)
    if number is None or not 1 <= number <= 5:
        return UNANSWERED, [AnswerError(q.id, "not_a_choice", {"value": shown(raw)})]
    return number, []


STARS = QuestionType(
    name="stars", title={"vi": "Số sao (1–5)", "en": "Stars (1–5)"},
    coerce=_coerce_stars, default_required=False, field="radio", template="stars",
    options=lambda q: [Option(str(k), STARS_WORDS[k]) for k in STARS_WORDS],
    form=FormReading(numeric=True),
    export=lambda q: ExportSpec(values=tuple((k, k, w) for k, w in STARS_WORDS.items()),
                                storage="number"),
    parse_text=lambda q, text: int(text), sample="count",
    sample_values=lambda q: list(STARS_WORDS), skip_share=0.1)

STARS_YAML = """
id: stars-test
version: "1"
languages: [vi, en]
title: {vi: Phiếu thử, en: Test}
elements:
  - id: only
    title: {vi: Phần duy nhất, en: Only part}
    questions:
      - id: visits
        type: integer
        min: 1
        max: 5
        label: {vi: Số lần đi lại, en: Trips}
      - id: rating
        type: stars
        relevant: "visits < 5"
        label: {vi: Chấm điểm, en: Rate us}
"""


@pytest.fixture
def stars():
    register(STARS)
    try:
        yield load_definition("stars.yaml", text=STARS_YAML)
    finally:
        unregister("stars")


def test_a_registered_type_is_loaded_and_checked(stars):
    assert stars.questions["rating"].kind is STARS
    assert stars.to_dict()["elements"][0]["questions"][1] == {
        "id": "rating", "type": "stars", "label": {"vi": "Chấm điểm", "en": "Rate us"},
        "relevant": "visits < 5", "required": False}
    assert check_answers(stars, {"visits": 2, "rating": "4"}).values == {"visits": 2, "rating": 4}
    assert [e.code for e in check_answers(stars, {"visits": 2, "rating": 9}).errors] == ["not_a_choice"]
    assert [e.code for e in check_answers(stars, {"visits": 5, "rating": 3}).errors] == ["not_relevant"]


def test_an_unregistered_type_is_refused_by_the_loader(stars):
    unregister("stars")
    with pytest.raises(Exception, match="unknown question type 'stars'"):
        load_definition("stars.yaml", text=STARS_YAML)
    register(STARS)


def test_a_registered_type_renders_through_its_own_template(app, stars):
    app.jinja_loader = ChoiceLoader([DictLoader({"public/types/stars.html": STARS_TEMPLATE}),
                                     app.jinja_loader])
    page = render(app, stars, "only", {"visits": 2, "rating": 4}, lang="en")
    assert 'data-stars="rating"' in page and 'data-read="one" data-numeric' in page
    assert re.search(r'checked[^>]*value="4"|value="4"[^>]*checked', page)
    assert "5 stars" in page and "1 star<" in page
    assert coerce_form_value(stars.questions["rating"], ["3"]) == 3


def test_a_registered_type_is_exported_read_back_and_generated(stars):
    plan, back = export_and_read_back(stars, {"visits": 2, "rating": 5})
    var = next(v for v in plan.variables if v.name == "rating")
    assert var.values[4] == (5, 5, "5 sao") and var.storage == "number"
    assert back.loc[0, "rating"] == 5
    coded = export_frame(pd.DataFrame([{"unit_code": "X", "rating": 5}], dtype=object), plan, "coded")
    assert coded.loc[0, "rating"] == 5.0
    assert "Số sao (1–5)" in set(plan.codebook()["kind"])
    frame = synthetic_responses(stars, pd.DataFrame({"unit_code": ["X01"]}), 300, seed=1,
                                fields=["land"])
    answered = frame["rating"].dropna()
    assert set(answered) <= {1, 2, 3, 4, 5} and len(answered) > 100
    assert frame.loc[frame["visits"] == 5, "rating"].isna().all()
    for row in frame.head(50).to_dict("records"):
        answers = {k: row[k] for k in ("visits", "rating") if row[k] is not None}
        assert check_answers(stars, answers).ok
