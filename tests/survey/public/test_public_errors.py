"""Bad input to the web survey: a 4xx, a clear Vietnamese message, nothing stored."""

import datetime as dt
import re

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Response

from .helpers import (checked_values, form_action, hidden_value, input_value,
                      mini_questionnaire, page_text, post_page, visible_questions)

FIRST_PAGE_OK = {"channel": "in_person", "visits": "2", "late": "false"}


def count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Response.id)))


def last_page(client, link):
    """Return the last page of the mini survey reached through the online channel."""
    start = client.get("/s/%s/%s" % link)
    return post_page(client, start, {"channel": "online_full", "visits": "1",
                                     "late": "false"})


def summary_links(response):
    """Return the anchors of the error summary."""
    block = re.search(r'<div class="error-summary".*?</div>', response.get_data(as_text=True),
                      re.S)
    assert block, "no error summary"
    return re.findall(r'href="#([^"]+)"', block.group(0))


@pytest.mark.parametrize("answers, question, message", [
    ({"channel": "by_pigeon"}, "channel", "Vui lòng chọn một trong các phương án đã cho."),
    ({"visits": "25"}, "visits", "Vui lòng nhập một số nguyên từ 1 đến 20."),
    ({"visits": "0"}, "visits", "Vui lòng nhập một số nguyên từ 1 đến 20."),
    ({"visits": "ba"}, "visits", "Vui lòng nhập một số nguyên."),
    ({"visits": "13"}, "visits", "Số lần không thể là 13."),
    ({"late": "maybe"}, "late", "Vui lòng chọn một trong các phương án đã cho."),
    ({"channel": ""}, "channel", "Vui lòng trả lời câu hỏi này."),
    ({"apology": "true"}, "apology",
     "Câu hỏi này không áp dụng với các câu trả lời khác của Ông/Bà, vì vậy cần để trống."),
])
def test_bad_answer_on_the_first_page(app, client, mini_link, answers, question, message):
    start = client.get("/s/%s/%s" % mini_link)
    response = post_page(client, start, {**FIRST_PAGE_OK, **answers})
    text = page_text(response)
    assert response.status_code == 422
    assert text.count(message) == 2                # next to the field and in the summary
    assert summary_links(response) == [f"q-{question}"]
    assert f'<p class="error-message" id="q-{question}-error">' in text
    assert re.search(rf'aria-describedby="q-{question}-error"[^>]*aria-invalid="true"', text) \
        or question == "apology"
    assert "Vui lòng kiểm tra các câu trả lời sau" in text
    # Every valid answer stays filled in.
    for qid, value in FIRST_PAGE_OK.items():
        if qid in answers:
            continue
        shown = input_value(response, qid) if qid == "visits" else checked_values(response, qid)
        assert shown in (value, [value])
    assert count(app) == 0


def test_answer_outside_the_scale_is_refused(app, client, mini_link):
    start = client.get("/s/%s/%s" % mini_link)
    premises = post_page(client, start, FIRST_PAGE_OK)
    response = post_page(client, premises, {"seats": "6"})
    assert response.status_code == 422
    assert "Vui lòng chọn một trong các phương án đã cho." in page_text(response)
    assert visible_questions(response) == ["seats"]
    assert count(app) == 0


def test_text_over_its_limit_and_too_many_choices_are_refused(app, client, mini_link):
    last = last_page(client, mini_link)
    response = post_page(client, last, {"comments": "x" * 21, "overall": "5",
                                        "topics": ["info", "staff", "online"]})
    text = page_text(response)
    assert response.status_code == 422
    assert "Vui lòng rút gọn câu trả lời, tối đa 20 ký tự." in text
    assert "Vui lòng chọn nhiều nhất 2 phương án." in text
    assert summary_links(response) == ["q-topics", "q-comments"]
    assert checked_values(response, "overall") == ["5"]
    assert count(app) == 0


def test_missing_required_answer_on_the_last_page(app, client, mini_link):
    last = last_page(client, mini_link)
    response = post_page(client, last, {"comments": "Ổn"})
    assert response.status_code == 422
    assert "Vui lòng trả lời câu hỏi này." in page_text(response)
    assert input_value(response, "comments") == "Ổn"
    assert count(app) == 0
    assert post_page(client, response, {"comments": "Ổn", "overall": "3"}).status_code == 303
    assert count(app) == 1


def test_english_error_messages(client, mini_link):
    client.set_cookie("lang", "en")
    start = client.get("/s/%s/%s" % mini_link)
    response = post_page(client, start, {**FIRST_PAGE_OK, "visits": "99"})
    text = page_text(response)
    assert response.status_code == 422
    assert "Please enter a whole number from 1 to 20." in text
    assert "Vui lòng" not in text


@pytest.mark.parametrize("extra", [{"unknown_q": "1"}, {"seats": "4"}, {"overall": "4"}])
def test_unknown_question_id_is_a_bad_request(app, client, mini_link, extra):
    # "seats" and "overall" exist, but not on this page.
    start = client.get("/s/%s/%s" % mini_link)
    response = post_page(client, start, {**FIRST_PAGE_OK, **extra})
    text = page_text(response)
    assert response.status_code == 400
    assert "Biểu mẫu có các trường không thuộc câu hỏi của trang này" in text
    assert "Chưa có gì được lưu." in text and next(iter(extra)) in text
    assert count(app) == 0


def test_body_over_one_megabyte_is_refused(app, client, mini_link):
    last = last_page(client, mini_link)
    response = post_page(client, last, {"overall": "4", "comments": "x" * (1024 * 1024 + 1)})
    assert response.status_code == 413
    assert "Dữ liệu gửi lên lớn hơn 1 MB nên đã bị từ chối." in page_text(response)
    assert count(app) == 0


def test_tampered_state_is_a_bad_request(app, client, mini_link):
    last = last_page(client, mini_link)
    token = hidden_value(last, "_state")
    forged = URLSafeSerializer("not-the-key", salt="survey-state").dumps(
        {"wave": mini_link[0], "point": mini_link[1],
         "submission_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
         "started_at": "2026-01-01T00:00:00", "field_page": False, "field": None,
         "answers": {"channel": "online_full", "visits": 1, "late": False}})
    for bad in (token[:-3] + "abc", forged, ""):
        response = client.post(form_action(last), data={"_state": bad, "_nav": "next",
                                                        "overall": "4"})
        assert response.status_code == 400
        assert "Phiên trả lời không hợp lệ hoặc đã bị thay đổi." in page_text(response)
    assert count(app) == 0


def test_state_of_another_link_is_refused(client, mini_link, make_point, make_wave):
    other = make_point(make_wave(questionnaire=mini_questionnaire()).units[0])
    start = client.get("/s/%s/%s" % mini_link)
    response = client.post(f"/s/{mini_link[0]}/{other.code}/p/1",
                           data={"_state": hidden_value(start, "_state"), **FIRST_PAGE_OK})
    assert response.status_code in (400, 404)


def test_unknown_page_number_and_button(client, mini_link):
    start = client.get("/s/%s/%s" % mini_link)
    state = hidden_value(start, "_state")
    url = "/s/%s/%s/p/" % mini_link
    assert client.post(url + "9", data={"_state": state}).status_code == 400
    response = client.post(url + "1", data={"_state": state, "_nav": "jump",
                                          **FIRST_PAGE_OK})
    assert response.status_code == 400 and "Nút bấm không hợp lệ." in page_text(response)


@pytest.mark.parametrize("path", ["/s/NOPE/%(point)s", "/s/%(wave)s/NOPE",
                                  "/s/NOPE/%(point)s/cam-on", "/khong-co"])
def test_unknown_survey_link_is_404(client, mini_link, path):
    response = client.get(path % {"wave": mini_link[0], "point": mini_link[1]})
    text = page_text(response)
    assert response.status_code == 404
    assert "Lỗi 404" in text
    assert ("Đường dẫn khảo sát này không tồn tại" in text
            or "Địa chỉ này không tồn tại" in text)
    assert "Not Found" not in text


def test_inactive_point_is_404(client, make_wave, make_point):
    wave = make_wave(questionnaire=mini_questionnaire())
    point = make_point(wave.units[0], active=False)
    assert client.get(f"/s/{wave.code}/{point.code}").status_code == 404


@pytest.mark.parametrize("wave_kwargs", [
    {"status": "closed"},
    {"status": "open", "ends_on": dt.date(2020, 12, 31), "starts_on": dt.date(2020, 1, 1)},
])
def test_closed_wave_is_410(client, make_wave, make_point, wave_kwargs):
    wave = make_wave(questionnaire=mini_questionnaire(), **wave_kwargs)
    point = make_point(wave.units[0])
    response = client.get(f"/s/{wave.code}/{point.code}")
    text = page_text(response)
    assert response.status_code == 410
    assert "Đợt khảo sát đã kết thúc" in text
    assert "Gone" not in text


def test_wave_closed_while_answering_is_410_and_stores_nothing(app, client, mini_link):
    last = last_page(client, mini_link)
    with app.app_context():
        from survey.models import Wave
        wave = db.session.scalar(select(Wave).where(Wave.code == mini_link[0]))
        wave.status = "closed"
        db.session.commit()
    response = post_page(client, last, {"overall": "4"})
    assert response.status_code == 410
    assert "Đợt khảo sát đã kết thúc" in page_text(response)
    assert count(app) == 0


def test_unsupported_method_is_a_localized_405(client, mini_link):
    response = client.delete("/s/%s/%s" % mini_link)
    assert response.status_code == 405
    assert "Thao tác không được phép" in page_text(response)


class TestCsrf:
    """CSRF on: the token comes from the page, as a browser would send it."""

    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_valid_token_is_accepted(self, app, client, mini_link):
        start = client.get("/s/%s/%s" % mini_link)
        assert 'name="csrf_token"' in start.get_data(as_text=True)
        last = post_page(client, start, {"channel": "online_full", "visits": "1",
                                         "late": "false"})
        assert last.status_code == 200
        assert post_page(client, last, {"overall": "4"}).status_code == 303
        assert count(app) == 1

    @pytest.mark.parametrize("token", [None, "wrong-token"])
    def test_missing_or_wrong_token_is_refused(self, app, client, mini_link, token):
        start = client.get("/s/%s/%s" % mini_link)
        extra = {} if token is None else {"csrf_token": token}
        response = post_page(client, start, FIRST_PAGE_OK, csrf=False, extra=extra)
        text = page_text(response)
        assert response.status_code == 400
        assert "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này." in text
        assert "CSRF" not in text
        assert count(app) == 0

    def test_token_refusal_speaks_english_to_english_visitors(self, client, mini_link):
        client.set_cookie("lang", "en")
        start = client.get("/s/%s/%s" % mini_link)
        response = post_page(client, start, FIRST_PAGE_OK, csrf=False)
        assert response.status_code == 400
        assert "The form has expired or was not sent from this site." in page_text(response)


class TestUnexpectedError:
    @pytest.fixture
    def app_config(self):
        return {"PROPAGATE_EXCEPTIONS": False}

    def test_crash_is_a_localized_500_page_or_json(self, app):
        def boom():
            raise RuntimeError("bug")
        app.add_url_rule("/boom", "boom", boom)
        app.add_url_rule("/api/v1/boom", "api_boom", boom)
        client = app.test_client()
        page = client.get("/boom")
        assert page.status_code == 500
        assert "Hệ thống gặp lỗi ngoài dự kiến" in page_text(page)
        assert "RuntimeError" not in page_text(page)
        api = client.get("/api/v1/boom", headers={"Accept-Language": "en"})
        assert api.status_code == 500
        assert api.get_json() == {"error": "server_error", "message": "An unexpected error "
                                  "occurred on our side. Please try again in a few minutes."}


def test_jumping_to_the_last_page_cannot_skip_required_pages(app, client, mini_link):
    start = client.get("/s/%s/%s" % mini_link)
    response = client.post("/s/%s/%s/p/3" % mini_link,
                           data={"_state": hidden_value(start, "_state"), "overall": "4"})
    assert response.status_code == 422
    assert summary_links(response) == ["q-channel", "q-visits", "q-late"]
    assert "Vui lòng trả lời câu hỏi này." in page_text(response)
    assert count(app) == 0
