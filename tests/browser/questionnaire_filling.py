"""Filling the SIPAS questionnaire in a browser, as a citizen does: shared by the browser tests."""

import re

# What this citizen answers where the choice matters for the path through the form.
CHOSEN = {"channel": "in_person", "trips": "3", "late": "true", "apology": "false",
          "harassment": "none", "extra_payment": "none", "feedback_sent": "false"}
COMMENT = "Cán bộ hướng dẫn tận tình."


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
            page.locator(f"textarea[name='{q.id}']").fill(COMMENT)
            answered[q.id] = COMMENT
            continue
        pick(page, q.id, value)
        answered[q.id] = value
    return answered


def answer_every_element(page, questionnaire, before=None):
    """Answer each page of ``questionnaire`` the server shows, then send it.

    ``page`` shows the first element (after the service-field page). ``before(element)``,
    when given, runs on each shown element before it is answered. Returns what was answered;
    the caller waits for the thank-you page.
    """
    expected = {}
    for number, element in enumerate(questionnaire.elements):
        heading = page.locator("h1.element-title")
        if heading.inner_text().strip() != questionnaire.text(element.title, "vi"):
            continue  # the server skipped this element (not relevant)
        if before is not None:
            before(element)
        expected.update(answer_visible_questions(page, element))
        is_last = number == len(questionnaire.elements) - 1
        name = "Gửi" if is_last else "Tiếp"
        page.get_by_role("button", name=re.compile(name)).click()
    return expected
