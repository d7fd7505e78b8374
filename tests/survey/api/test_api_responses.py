"""``POST /api/v1/responses``: created once, duplicates recognised, every bad input a 4xx."""

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Response
from tests.factories import enrol_device
from tests.survey.public.helpers import mini_questionnaire

URL = "/api/v1/responses"
GOOD_ANSWERS = {"channel": "in_person", "visits": 2, "late": True, "apology": False,
                "seats": "na", "topics": ["online", "info"], "comments": "Nhanh gọn",
                "overall": 5}


@pytest.fixture
def link(app, client, make_wave, make_point, make_field):
    """The wave and point codes; ``client`` sends as a kiosk enrolled at the point."""
    wave = make_wave(questionnaire=mini_questionnaire())
    point = make_point(wave.units[0])
    make_field("land", name="Đất đai")
    client.environ_base["HTTP_AUTHORIZATION"] = f"Device {enrol_device(app, point)}"
    return wave.code, point.code


@pytest.fixture
def body(link):
    """Return a factory of valid request bodies, each with a new submission id."""
    def make(**changes):
        data = {"wave": link[0], "point": link[1], "field": "land",
                "submission_id": str(uuid.uuid4()), "started_at": "2026-03-01T08:30:00+07:00",
                "answers": dict(GOOD_ANSWERS)}
        data.update(changes)
        return data
    return make


def rows(app):
    with app.app_context():
        return list(db.session.scalars(select(Response)))


def count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Response.id)))


def test_created_then_duplicate(app, client, body):
    data = body()
    first = client.post(URL, json=data)
    assert first.status_code == 201 and first.get_json() == {"status": "created"}
    again = client.post(URL, json=data)
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}
    stored = rows(app)
    assert len(stored) == 1
    row = stored[0]
    assert row.submission_id == data["submission_id"]
    assert row.mode == "kiosk" and row.channel == "in_person"
    assert row.answers == {**GOOD_ANSWERS, "topics": ["info", "online"]}
    # Only the hour of submission and the (bounded) answering time are kept.
    assert row.duration_seconds == 24 * 3600 and row.submitted_at.minute == 0
    assert row.service_field_id is not None


def test_field_and_started_at_may_be_null(app, client, body):
    response = client.post(URL, json=body(field=None, started_at=None))
    assert response.status_code == 201
    row = rows(app)[0]
    assert row.service_field_id is None and row.duration_seconds is None


def test_online_channel_is_stored_as_online(app, client, body):
    answers = {"channel": "online_full", "visits": 1, "late": False, "overall": 4}
    assert client.post(URL, json=body(answers=answers)).status_code == 201
    assert rows(app)[0].channel == "online"


def test_duplicate_is_recognised_after_the_wave_closed(app, client, body, link):
    data = body()
    assert client.post(URL, json=data).status_code == 201
    with app.app_context():
        from survey.models import Wave
        db.session.scalar(select(Wave).where(Wave.code == link[0])).status = "closed"
        db.session.commit()
    assert client.post(URL, json=data).get_json() == {"status": "duplicate"}
    assert client.post(URL, json=body()).status_code == 410


@pytest.mark.parametrize("changes, question, code, message", [
    ({"overall": 6}, "overall", "not_a_choice", "Vui lòng chọn một trong các phương án đã cho."),
    ({"channel": "by_pigeon"}, "channel", "not_a_choice",
     "Vui lòng chọn một trong các phương án đã cho."),
    ({"visits": 21}, "visits", "out_of_range", "Vui lòng nhập một số nguyên từ 1 đến 20."),
    ({"visits": "nhiều"}, "visits", "not_an_integer", "Vui lòng nhập một số nguyên."),
    ({"visits": 13}, "visits", "constraint", "Số lần không thể là 13."),
    ({"comments": "x" * 21}, "comments", "too_long",
     "Vui lòng rút gọn câu trả lời, tối đa 20 ký tự."),
    ({"topics": ["info", "staff", "online"]}, "topics", "too_many_choices",
     "Vui lòng chọn nhiều nhất 2 phương án."),
    ({"overall": None}, "overall", "required", "Vui lòng trả lời câu hỏi này."),
    ({"late": False}, "apology", "not_relevant",
     "Câu hỏi này không áp dụng với các câu trả lời khác của Ông/Bà, vì vậy cần để trống."),
    ({"no_such_question": 1}, "no_such_question", "unknown_question",
     "Phiếu khảo sát không có câu hỏi “no_such_question”."),
    ({"info": "đã đọc"}, "info", "not_answerable", "Mục này chỉ để thông tin, không cần trả lời."),
])
def test_bad_answers_are_422_with_vietnamese_messages(app, client, body, changes, question,
                                                      code, message):
    answers = {**GOOD_ANSWERS, **changes}
    answers = {k: v for k, v in answers.items() if v is not None}
    response = client.post(URL, json=body(answers=answers))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    # The first problem is the one we made; others may follow from it (an invalid channel
    # leaves the premises page without a reason to be answered).
    assert errors[0] == {"question": question, "code": code, "message": message}
    assert len(errors) == 1 or changes == {"channel": "by_pigeon"}
    assert count(app) == 0


def test_messages_follow_accept_language(client, body):
    answers = {**GOOD_ANSWERS, "visits": 99}
    response = client.post(URL, json=body(answers=answers),
                           headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.get_json()["errors"][0]["message"] == \
        "Please enter a whole number from 1 to 20."
    # The page cookie does not decide the API's language.
    client.set_cookie("lang", "en")
    response = client.post(URL, json=body(answers=answers))
    assert response.get_json()["errors"][0]["message"] == \
        "Vui lòng nhập một số nguyên từ 1 đến 20."


def test_unknown_service_field_is_422(app, client, body):
    response = client.post(URL, json=body(field="no-such-field"))
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{"question": None, "code": "unknown_field",
                                              "message": "Không có lĩnh vực “no-such-field”."}]
    assert count(app) == 0


def test_unknown_wave_is_404(app, client, body):
    response = client.post(URL, json=body(wave="NOPE"))
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found",
                                   "message": "Không tìm thấy đợt khảo sát hoặc điểm phục vụ."}
    assert count(app) == 0


def test_another_point_than_the_kiosks_is_403(app, client, body):
    response = client.post(URL, json=body(point="NOPE"))
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    assert count(app) == 0


def test_closed_wave_is_410(app, client, make_wave, make_point, body):
    wave = make_wave(questionnaire=mini_questionnaire(), status="closed")
    point = make_point(wave.units[0])
    response = client.post(URL, json=body(wave=wave.code, point=point.code),
                           headers={"Authorization": f"Device {enrol_device(app, point)}"})
    assert response.status_code == 410
    assert response.get_json()["error"] == "gone"
    assert "Đợt khảo sát đã kết thúc" in response.get_json()["message"]
    assert count(app) == 0


@pytest.mark.parametrize("raw, content_type, message", [
    (b"{not json", "application/json", "Nội dung yêu cầu không phải là JSON hợp lệ."),
    (b'{"a": NaN}', "application/json", "Nội dung yêu cầu không phải là JSON hợp lệ."),
    (b"[1, 2]", "application/json", "Nội dung yêu cầu phải là một đối tượng JSON."),
    (b"wave=x", "application/x-www-form-urlencoded",
     "Nội dung yêu cầu phải là JSON (Content-Type: application/json)."),
])
def test_malformed_bodies_are_400(app, client, link, raw, content_type, message):
    response = client.post(URL, data=raw, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json() == {"error": "bad_request", "message": message}
    assert count(app) == 0


@pytest.mark.parametrize("changes, message", [
    ({"answers": None}, "Thiếu các khóa: answers."),
    ({"submission_id": None, "wave": None}, "Thiếu các khóa: wave, submission_id."),
    ({"extra": 1}, "Các khóa không được hỗ trợ: extra."),
    ({"submission_id": "not-a-uuid"}, "“submission_id” phải là một UUID."),
    ({"submission_id": 12}, "“submission_id” phải là một chuỗi không rỗng."),
    ({"answers": [1]}, "“answers” phải là một đối tượng JSON."),
    ({"field": 3}, "“field” phải là một chuỗi hoặc null."),
    ({"started_at": "hôm qua"}, "“started_at” phải là thời điểm theo ISO 8601 hoặc null."),
])
def test_missing_or_wrong_keys_are_400(app, client, body, changes, message):
    data = body()
    for key, value in changes.items():
        if value is None and key in ("answers", "submission_id", "wave"):
            del data[key]
        else:
            data[key] = value
    response = client.post(URL, json=data)
    assert response.status_code == 400
    assert response.get_json()["message"] == message
    assert count(app) == 0


def test_body_over_one_megabyte_is_413(app, client, body):
    data = body(answers={**GOOD_ANSWERS, "comments": "x" * (1024 * 1024)})
    response = client.post(URL, data=json.dumps(data), content_type="application/json")
    assert response.status_code == 413
    assert response.get_json() == {
        "error": "too_large",
        "message": "Dữ liệu gửi lên lớn hơn 1 MB nên đã bị từ chối. Vui lòng rút gọn câu trả lời."}
    assert count(app) == 0


def test_unknown_api_route_and_method_answer_json(client, link):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    wrong = client.get(URL)
    assert wrong.status_code == 405 and wrong.get_json()["error"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]
    assert wrong.get_json()["message"] == "Không thể dùng địa chỉ này theo cách này."


class TestWithCsrfOn:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_api_needs_no_csrf_token(self, app, client, body):
        assert client.post(URL, json=body()).status_code == 201
        assert count(app) == 1
