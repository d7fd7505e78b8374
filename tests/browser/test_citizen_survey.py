"""A citizen answers the whole SIPAS questionnaire on a phone in Debian's Chromium."""

import re

import pytest
from questionnaires import load_bundled
from sqlalchemy import select

from survey.extensions import db
from survey.models import Response
from tests.browser.questionnaire_filling import answer_every_element, pick

pytestmark = pytest.mark.browser


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

    def check_service_page(element):
        if element.id != "service":
            return
        # Submitting the page unanswered shows errors next to fields and in a summary.
        page.get_by_role("button", name=re.compile("Tiếp")).click()
        assert page.locator("#error-summary").is_visible()
        assert page.locator("[data-question='channel'] .error-message").is_visible()
        # The result questions appear instantly (JavaScript) only to those who received
        # it, and the apology question only when the result was late.
        assert not page.locator("[data-question='late']").is_visible()
        pick(page, "result_received", "true")
        assert not page.locator("[data-question='apology']").is_visible()
        pick(page, "late", "true")
        assert page.locator("[data-question='apology']").is_visible()

    expected = answer_every_element(page, q, before=check_service_page)

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
