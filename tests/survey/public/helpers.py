"""Helpers for driving the web survey through the test client, as a browser would."""

import html
import re

from questionnaires import load_definition

# A small questionnaire exercising every question type, bounds and an element condition.
MINI_YAML = """
id: mini
version: "1"
languages: [vi, en]
title: {vi: Phiếu thử nghiệm, en: Test questionnaire}
description: {vi: Phiếu ngắn để kiểm thử., en: A short form for tests.}
elements:
  - id: first
    title: {vi: Phần đầu, en: First part}
    questions:
      - id: channel
        type: single
        label: {vi: Hình thức nộp hồ sơ, en: How you applied}
        choices:
          - {value: in_person, label: {vi: Trực tiếp, en: In person}}
          - {value: online_full, label: {vi: Trực tuyến toàn trình, en: Fully online}}
      - id: visits
        type: integer
        min: 1
        max: 20
        constraint: ". != 13"
        constraint_message: {vi: Số lần không thể là 13., en: The number cannot be 13.}
        label: {vi: Số lần đi lại, en: Number of trips}
      - id: late
        type: yesno
        label: {vi: Có trễ hẹn không, en: Was it late}
      - id: apology
        type: yesno
        relevant: "late == true"
        label: {vi: Có thư xin lỗi không, en: Did you get an apology}
  - id: premises
    title: {vi: Cơ sở vật chất, en: Premises}
    relevant: "channel == 'in_person'"
    questions:
      - id: seats
        type: scale
        na: true
        label: {vi: Đủ chỗ ngồi, en: Enough seats}
        explain: {vi: Ghế chờ tại Bộ phận Một cửa., en: Waiting seats at the desk.}
  - id: last
    title: {vi: Phần cuối, en: Last part}
    questions:
      - id: info
        type: note
        label: {vi: Sắp xong rồi., en: Almost done.}
      - id: topics
        type: multiple
        max_choices: 2
        label: {vi: Cần cải thiện, en: To improve}
        choices:
          - {value: info, label: {vi: Thông tin, en: Information}}
          - {value: staff, label: {vi: Thái độ, en: Attitude}}
          - {value: online, label: {vi: Dịch vụ công trực tuyến, en: Online services}}
      - id: comments
        type: text
        max_length: 20
        label: {vi: Góp ý khác, en: Other comments}
      - id: overall
        type: scale
        label: {vi: Hài lòng chung, en: Overall satisfaction}
"""


def mini_questionnaire():
    """Return the small test questionnaire."""
    return load_definition("mini.yaml", text=MINI_YAML)


FIELDSET_RE = re.compile(r'<(?:fieldset|div) class="question q-(\w+)[^"]*" id="q-(\w+)"\s*'
                         r'data-question="\w+"( hidden)?')


def page_text(response) -> str:
    """Return the response body as text with HTML entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def hidden_value(response, name: str) -> str:
    """Return the value of the hidden input ``name`` in the page."""
    body = response.get_data(as_text=True)
    match = re.search(r'<input[^>]*name="%s"[^>]*value="([^"]*)"' % re.escape(name), body)
    assert match, f"no hidden input {name!r} in the page"
    return html.unescape(match.group(1))


def form_action(response) -> str:
    """Return the action URL of the survey form."""
    match = re.search(r'<form method="post" action="([^"]+)" id="survey-form"',
                      response.get_data(as_text=True))
    assert match, "no survey form in the page"
    return html.unescape(match.group(1))


def visible_questions(response) -> list[str]:
    """Return the ids of the questions shown (not hidden) on the page, in order."""
    return [qid for _type, qid, hidden in FIELDSET_RE.findall(response.get_data(as_text=True))
            if not hidden]


def all_questions(response) -> dict[str, bool]:
    """Return {question id: shown} for every question rendered on the page."""
    return {qid: not hidden
            for _type, qid, hidden in FIELDSET_RE.findall(response.get_data(as_text=True))}


def checked_values(response, name: str) -> list[str]:
    """Return the values of the checked radio buttons or checkboxes named ``name``."""
    body = response.get_data(as_text=True)
    values = []
    for tag in re.findall(r"<input[^>]*>", body):
        if f'name="{name}"' in tag and re.search(r"\schecked[\s>/]", tag):
            values.append(html.unescape(re.search(r'value="([^"]*)"', tag).group(1)))
    return values


def input_value(response, name: str) -> str | None:
    """Return the value of a text-like input or textarea named ``name``."""
    body = response.get_data(as_text=True)
    match = re.search(r'<textarea[^>]*name="%s"[^>]*>(.*?)</textarea>' % re.escape(name),
                      body, re.S)
    if match:
        return html.unescape(match.group(1)).strip("\r\n")
    for tag in re.findall(r"<input[^>]*>", body):
        if f'name="{name}"' in tag:
            value = re.search(r'value="([^"]*)"', tag)
            return html.unescape(value.group(1)) if value else None
    return None


def post_page(client, response, answers: dict, nav: str = "next", *, csrf=True,
              extra: dict | None = None):
    """Send the survey form shown in ``response`` with ``answers`` and the button ``nav``."""
    data = {"_state": hidden_value(response, "_state"), "_nav": nav}
    if csrf and 'name="csrf_token"' in response.get_data(as_text=True):
        data["csrf_token"] = hidden_value(response, "csrf_token")
    data.update(answers)
    data.update(extra or {})
    return client.post(form_action(response), data=data)


def progress(response) -> str:
    """Return the progress text, e.g. "Phần 2/7"."""
    match = re.search(r'<p class="progress-text" id="progress">([^<]+)</p>',
                      response.get_data(as_text=True))
    assert match, "no progress indicator"
    return html.unescape(match.group(1))


def default_answer(question):
    """Return a plausible form value for ``question`` (None for notes and free text)."""
    if question.type == "scale":
        return "4"
    if question.type in ("single", "multiple"):
        return str(question.choices[0].value)
    if question.type == "yesno":
        return "false"
    if question.type == "integer":
        return str(question.min)
    return None


def answer_survey(client, response, questionnaire, overrides=None, *, max_pages=30):
    """Answer every page shown, as a respondent without JavaScript would.

    Returns ``(last_response, visited)`` where ``visited`` lists the questions shown on
    each page.  A 422 page (a question revealed by an answer on the same page) is
    answered again with the newly shown questions.
    """
    overrides = overrides or {}
    visited = []
    for _ in range(max_pages):
        if response.status_code == 303:
            return response, visited
        assert response.status_code in (200, 422), page_text(response)[:2000]
        shown = visible_questions(response)
        visited.append(shown)
        if not shown and 'name="field"' in response.get_data(as_text=True):
            response = post_page(client, response, {"field": overrides.get("field", "unknown")})
            continue
        answers = {}
        for qid in shown:
            value = overrides.get(qid, default_answer(questionnaire.questions[qid]))
            if value is not None:
                answers[qid] = value
        response = post_page(client, response, answers)
    raise AssertionError("the survey did not end")
