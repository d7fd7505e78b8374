"""A citizen answers the whole SIPAS questionnaire on a phone in Debian's Chromium."""

import re

import pytest
from questionnaires import load_bundled
from sqlalchemy import select

from survey.extensions import db
from survey.models import Response

pytestmark = pytest.mark.browser

# What this citizen answers where the choice matters for the path through the form.
CHOSEN = {"channel": "in_person", "trips": "3", "late": "true", "apology": "false",
          "harassment": "none", "extra_payment": "none", "feedback_sent": "false"}


def pick(page, question, value):
    """Tap the label of one option, as a thumb would."""
    option = page.locator(f"input[name='{question}'][value='{value}']")
    page.locator(f"label[for='{option.get_attribute('id')}']").click()


def answer_visible_questions(page, element):
    """Answer every question of ``element`` that is shown; return what was answered."""
    answered = {}
    for q in element.questions:
        box = page.locator(f"[data-question='{q.id}']")
        if q.type == "note" or not box.is_visible():
            continue
        if q.type == "scale":
            value = "4"
        elif q.type in ("single", "yesno"):
            value = CHOSEN.get(q.id, str(q.choices[0].value) if q.choices else "true")
        elif q.type == "multiple":
            value = str(q.choices[0].value)
        elif q.type == "integer":
            page.locator(f"input[name='{q.id}']").fill(str(q.min))
            answered[q.id] = q.min
            continue
        else:
            page.locator(f"textarea[name='{q.id}']").fill("Cán bộ hướng dẫn tận tình.")
            answered[q.id] = "Cán bộ hướng dẫn tận tình."
            continue
        pick(page, q.id, value)
        answered[q.id] = value
    return answered


def test_citizen_answers_every_page_on_a_phone(app, live_server, phone, make_wave, make_point,
                                               make_field):
    q = load_bundled("sipas")
    wave = make_wave(questionnaire="sipas", is_demo=True)
    point = make_point(wave.units[0] if hasattr(wave, "units") and wave.units else None)
    field = make_field(name="Hộ tịch")
    page = phone

    page.goto(f"{live_server}/s/{wave.code}/{point.code}")
    assert "Phần 1/" in page.locator("#progress").inner_text()
    # Nothing wider than the phone: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # The first page asks for the service field; sending it empty is refused in Vietnamese.
    page.get_by_role("button", name=re.compile("Tiếp")).click()
    assert page.locator("#error-summary").is_visible()
    page.select_option("#field", field.code)
    page.get_by_role("button", name=re.compile("Tiếp")).click()

    expected = {}
    for number, element in enumerate(q.elements):
        heading = page.locator("h1.element-title")
        if heading.inner_text().strip() != q.text(element.title, "vi"):
            continue  # the server skipped this element (not relevant)
        if element.id == "service":
            # Submitting the page unanswered shows errors next to fields and in a summary.
            page.get_by_role("button", name=re.compile("Tiếp")).click()
            assert page.locator("#error-summary").is_visible()
            assert page.locator("[data-question='channel'] .error-message").is_visible()
            # The apology question appears instantly (JavaScript) only when the result was late.
            assert not page.locator("[data-question='apology']").is_visible()
            pick(page, "late", "true")
            assert page.locator("[data-question='apology']").is_visible()
        expected.update(answer_visible_questions(page, element))
        is_last = number == len(q.elements) - 1
        name = "Gửi" if is_last else "Tiếp"
        page.get_by_role("button", name=re.compile(name)).click()

    page.wait_for_url(re.compile(r"/cam-on"))
    assert "Cảm ơn" in page.content()

    with app.app_context():
        rows = db.session.scalars(select(Response)).all()
        assert len(rows) == 1
        stored = rows[0].answers
        assert rows[0].channel == "in_person"
        assert rows[0].service_field_id == field.id
    assert stored["late"] is True and stored["apology"] is False
    assert stored["trips"] == 3
    for qid, value in expected.items():
        question = q.questions[qid]
        if question.type == "scale":
            assert stored[qid] == int(value), qid
        elif question.type == "multiple":
            assert stored[qid] == [value], qid
        elif question.type == "text":
            assert stored[qid] == value, qid
        elif question.type == "single" and isinstance(question.choices[0].value, int):
            assert stored[qid] == int(value), qid
        elif question.type == "single":
            assert stored[qid] == value, qid
