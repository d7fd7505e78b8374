"""Form strings become the values an API client would send; channels map to Response."""

import pytest

from survey.public.flow import channel_of, coerce_form_value

from .helpers import mini_questionnaire


@pytest.fixture(scope="module")
def questions():
    return mini_questionnaire().questions


@pytest.mark.parametrize("qid, posted, expected", [
    ("seats", ["4"], 4),
    ("seats", ["na"], "na"),
    ("seats", ["six"], "six"),                 # left for check_answers to refuse
    ("visits", [" 12 "], 12),
    ("visits", ["1.5"], "1.5"),
    ("late", ["true"], True),
    ("late", ["false"], False),
    ("channel", ["in_person"], "in_person"),
    ("topics", ["online", "info"], ["online", "info"]),
    ("topics", [], None),
    ("comments", ["  Tốt lắm  "], "Tốt lắm"),
    ("comments", ["   "], None),
    ("overall", [""], None),
])
def test_form_values_are_coerced(questions, qid, posted, expected):
    assert coerce_form_value(questions[qid], posted) == expected


@pytest.mark.parametrize("answer, channel", [
    ("in_person", "in_person"), ("online_full", "online"), ("online_partial", "online"),
    ("post", "post"), (None, "in_person"), (["post"], "in_person"),
])
def test_channel_answer_maps_to_the_response_channel(answer, channel):
    answers = {} if answer is None else {"channel": answer}
    assert channel_of(answers) == channel
