"""The hostile requests of issue 8 (part A), one row each: refused with a 4xx in the
visitor's language, nothing stored, no 5xx — on both databases."""

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Response
from tests.factories import enrol_device
from tests.factories import USER_PASSWORD
from tests.survey.public.helpers import hidden_value, mini_questionnaire

API = "/api/v1/responses"
INVALID_VI = "ký tự không được phép"
INVALID_EN = "characters that are not allowed"
GOOD_ANSWERS = {"channel": "in_person", "visits": 2, "late": False, "seats": 4, "overall": 5}


@pytest.fixture
def site(app, client, make_wave, make_point, make_field, make_unit):
    """A province with a mini-questionnaire wave, a point, the field TP and its codes;
    ``client`` sends as a kiosk enrolled at the point."""
    root = make_unit("TINH", name="Tỉnh Thử", kind="province")
    wave = make_wave(questionnaire=mini_questionnaire(), units=[root],
                     starts_on=dt.date(2026, 1, 1))
    point = make_point(root)
    make_field("TP", name="Tư pháp")
    client.environ_base["HTTP_AUTHORIZATION"] = f"Device {enrol_device(app, point)}"
    return {"wave": wave.code, "point": point.code}


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Response.id)))


def api_body(site, **changes):
    body = {"wave": site["wave"], "point": site["point"], "field": "TP",
            "submission_id": str(uuid.uuid4()), "answers": dict(GOOD_ANSWERS)}
    body.update(changes)
    return body


class Raw(str):
    """A JSON body given as text (too deep for the test client's encoder)."""


def nested_body(site, depth: int) -> Raw:
    """A valid body whose comment is a list nested ``depth`` levels (plus body + answers)."""
    text = json.dumps(api_body(site, answers={"comments": "@"}))
    return Raw(text.replace('"@"', "[" * depth + '"x"' + "]" * depth))


# (id, request(site) -> (method, url, kwargs), status, Vietnamese text, English text)
PAGE_CASES = [
    ("nul-wave-in-path", lambda s: ("GET", f"/s/%00/{s['point']}", {}), 400, INVALID_VI,
     INVALID_EN),
    ("nul-point-in-path", lambda s: ("GET", f"/s/{s['wave']}/%00", {}), 400, INVALID_VI,
     INVALID_EN),
    ("nul-field-query", lambda s: ("GET", f"/s/{s['wave']}/{s['point']}?field=%00", {}), 400,
     INVALID_VI, INVALID_EN),
    ("control-in-query-name", lambda s: ("GET", f"/s/{s['wave']}/{s['point']}?%01=1", {}), 400,
     INVALID_VI, INVALID_EN),
    ("nul-thanks", lambda s: ("GET", f"/s/{s['wave']}/%00/cam-on", {}), 400, INVALID_VI,
     INVALID_EN),
    ("nul-lang", lambda s: ("GET", "/lang/%00", {}), 400, INVALID_VI, INVALID_EN),
    ("nul-lang-next", lambda s: ("GET", "/lang/en?next=/%00", {}), 400, INVALID_VI, INVALID_EN),
    ("officials-nul-unit", lambda s: ("GET", "/quan-ly/don-vi/%00", {}), 400, INVALID_VI,
     INVALID_EN),
    ("officials-nul-field", lambda s: ("GET", "/quan-ly/don-vi/TINH?field=%00", {}), 400,
     INVALID_VI, INVALID_EN),
    ("officials-nul-wave", lambda s: ("GET", "/quan-ly/?wave=%00", {}), 400, INVALID_VI,
     INVALID_EN),
]

API_CASES = [
    ("nul-wave", lambda s: api_body(s, wave=s["wave"] + "\x00"), 400,
     "“wave” chứa ký tự không được phép", "“wave” contains characters that are not allowed"),
    ("nul-point", lambda s: api_body(s, point="\x00"), 400,
     "“point” chứa ký tự không được phép", "“point” contains characters"),
    ("nul-field", lambda s: api_body(s, field="TP\x00"), 400,
     "“field” chứa ký tự không được phép", "“field” contains characters"),
    ("surrogate-wave", lambda s: api_body(s, wave="x\ud800y"), 400,
     "“wave” chứa ký tự không được phép", "“wave” contains characters"),
    ("nested-900", lambda s: nested_body(s, 900), 400, "lồng nhau quá sâu", "nested too deeply"),
    ("nested-5000", lambda s: nested_body(s, 5000), 400, "lồng nhau quá sâu",
     "nested too deeply"),
    ("nested-10", lambda s: nested_body(s, 8), 400, "lồng nhau quá sâu", "nested too deeply"),
    ("started-at-year-1", lambda s: api_body(s, started_at="0001-01-01T00:00:00+01:00"), 400,
     "“started_at” phải là thời điểm theo ISO 8601", "“started_at” must be an ISO 8601 time"),
    ("started-at-year-9999", lambda s: api_body(s, started_at="9999-12-31T23:59:59-01:00"), 400,
     "“started_at” phải là thời điểm theo ISO 8601", "“started_at” must be an ISO 8601 time"),
    ("started-at-future", lambda s: api_body(s, started_at="9999-12-31T23:59:59"), 422,
     "phải nằm trong thời gian khảo sát", "must lie within the survey period"),
    ("started-at-before-wave", lambda s: api_body(s, started_at="2025-06-01T08:00:00+07:00"), 422,
     "phải nằm trong thời gian khảo sát", "must lie within the survey period"),
    ("unknown-answer-keys", lambda s: api_body(s, answers={f"q{i}": 1 for i in range(5000)}), 422,
     "không có câu hỏi “q0”", "There is no question “q0”"),
]


def _page_request(client, site, case, lang):
    method, url, kwargs = case[1](site)
    if lang == "en":
        client.set_cookie("lang", "en")
    return client.open(url, method=method, **kwargs)


@pytest.mark.parametrize("case", PAGE_CASES, ids=[c[0] for c in PAGE_CASES])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_hostile_page_requests(app, client, site, case, lang, sign_in_as):
    sign_in_as("methodologist", client=client)
    response = _page_request(client, site, case, lang)
    assert response.status_code == case[2]
    text = response.get_data(as_text=True)
    assert (case[3] if lang == "vi" else case[4]) in text
    assert stored(app) == 0


@pytest.mark.parametrize("case", API_CASES, ids=[c[0] for c in API_CASES])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_hostile_api_requests(app, client, site, case, lang):
    body = case[1](site)
    sent = {"data": body, "content_type": "application/json"} if isinstance(body, Raw) else {
        "json": body}
    response = client.post(API, headers={"Accept-Language": lang}, **sent)
    assert response.status_code == case[2]
    body = response.get_json()
    messages = [body["message"]] if "message" in body else [e["message"] for e in body["errors"]]
    assert any((case[3] if lang == "vi" else case[4]) in m for m in messages), messages
    assert stored(app) == 0


def test_api_error_list_is_capped(app, client, site):
    response = client.post(API, json=api_body(site, answers={f"q{i}": 1 for i in range(5000)}))
    body = response.get_json()
    assert response.status_code == 422
    assert len(body["errors"]) == 50 and body["total"] == 5000
    # Wrong values for known questions: every one is a problem, only 50 are listed.
    many = {"channel": "x", "visits": "many", "late": "perhaps", "seats": 9, "overall": 0,
            "unknown": 1}
    response = client.post(API, json=api_body(site, answers=many, field="nope"))
    body = response.get_json()
    assert response.status_code == 422 and body["total"] == len(body["errors"]) == 7
    assert stored(app) == 0


def test_field_page_posting_nul_is_refused(app, client, site):
    """A field page posting ``field=TP%00`` is refused before the view reads it."""
    start = client.get(f"/s/{site['wave']}/{site['point']}")
    assert start.status_code == 200 and 'name="field"' in start.get_data(as_text=True)
    data = {"_state": hidden_value(start, "_state"), "_nav": "next", "field": "TP\x00"}
    response = client.post(f"/s/{site['wave']}/{site['point']}/p/1", data=data)
    assert response.status_code == 400
    assert INVALID_VI in response.get_data(as_text=True)
    # The same page posting the real code goes on: the refusal was about the NUL only.
    data["field"] = "TP"
    assert client.post(f"/s/{site['wave']}/{site['point']}/p/1", data=data).status_code == 200
    assert stored(app) == 0


def test_lone_surrogate_in_a_text_answer_is_replaced(app, client, site):
    answers = {**GOOD_ANSWERS, "comments": "x\ud800y"}
    response = client.post(API, json=api_body(site, answers=answers))
    assert response.status_code == 201
    with app.app_context():
        row = db.session.scalar(select(Response))
        assert row.answers["comments"] == "x\ufffdy"
    # The wave still reads (the dashboard's reader decodes every stored row).
    from survey.services.exports import read_wave_frame
    from survey.models import Wave
    with app.app_context():
        frame = read_wave_frame(db.session.scalar(select(Wave)))
        assert list(frame["comments"]) == ["x\ufffdy"]


def test_same_submission_id_with_another_body_is_409(app, client, site):
    started = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=10)
    vietnam = dt.timezone(dt.timedelta(hours=7))
    body = api_body(site, started_at=started.astimezone(vietnam).isoformat())
    assert client.post(API, json=body).status_code == 201
    # The same body — keys in another order, the start time in another zone — is a retry.
    same = dict(reversed(list(body.items())))
    same["answers"] = dict(reversed(list(body["answers"].items())))
    same["started_at"] = started.isoformat()
    again = client.post(API, json=same)
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}
    # Only the hour and the duration are stored: a start that cannot give them is another
    # submission.
    earlier = (started - dt.timedelta(hours=3)).isoformat()
    for changes in ({"answers": {**GOOD_ANSWERS, "overall": 1}}, {"field": None},
                    {"started_at": earlier}, {"started_at": None},
                    {"answers": {**GOOD_ANSWERS, "comments": "thêm"}}):
        other = client.post(API, json={**body, **changes}, headers={"Accept-Language": "vi"})
        assert other.status_code == 409, changes
        assert other.get_json()["error"] == "conflict"
        assert "đã được dùng cho một phiếu trả lời khác" in other.get_json()["message"]
    assert stored(app) == 1
    with app.app_context():
        assert db.session.scalar(select(Response)).answers["overall"] == 5


@pytest.mark.parametrize("next_url", ["/quan-ly/\r\nSet-Cookie: x=1", "/quan-ly/%0d%0aX: y",
                                      "/%09/evil.example", "//evil.example"])
def test_sign_in_with_hostile_next_goes_to_the_index(client, site, next_url, make_user):
    user = make_user(role="methodologist")
    response = client.post("/quan-ly/dang-nhap", data={"email": user.email, "password": USER_PASSWORD,
                                                      "next": next_url})
    assert response.status_code == 302
    assert response.headers["Location"] == "/quan-ly/"


@pytest.mark.parametrize("lang, text", [("vi", "Có quá nhiều phiếu được gửi từ đây"),
                                        ("en", "Too many answers were sent from here")])
def test_api_flood_is_429_and_stores_nothing_beyond_the_limit(app, client, site, lang, text):
    app.config["RATELIMIT_SUBMIT_PER_ADDRESS"] = "3 per minute"
    statuses = [client.post(API, json=api_body(site), headers={"Accept-Language": lang}).status_code
                for _ in range(6)]
    assert statuses == [201] * 3 + [429] * 3
    refused = client.post(API, json=api_body(site), headers={"Accept-Language": lang})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["error"] == "too_many_requests"
    assert text in refused.get_json()["message"]
    assert stored(app) == 3


def test_point_flood_from_many_addresses_is_429(app, client, site):
    app.config["RATELIMIT_SUBMIT_PER_POINT"] = "4 per hour"
    statuses = [client.post(API, json=api_body(site),
                            environ_base={"REMOTE_ADDR": f"10.0.{i}.1"}).status_code
                for i in range(7)]
    assert statuses == [201] * 4 + [429] * 3
    assert stored(app) == 4


def test_start_time_slightly_ahead_is_stored_as_no_time_spent(app, client, site):
    ahead = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).isoformat()
    assert client.post(API, json=api_body(site, started_at=ahead)).status_code == 201
    with app.app_context():
        row = db.session.scalar(select(Response))
        assert row.duration_seconds == 0
        assert row.submitted_at.minute == row.submitted_at.second == 0
