"""The API's credentials and contract: anonymous 401, one-time codes (201/200/409/403/410),
two uses of one code at once (real threads, both databases), rate limits per device and
per code with nothing stored beyond them, personal tokens for result tables (scoped, 404
outside), the published questionnaire, and the generated OpenAPI document."""

import http.client
import json
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Response, ServiceField, ServicePoint, Wave
from survey.models_invitations import ApiToken, InvitationCode
from survey.services import api_tokens, invitations
from tests.factories import enrol_device
from tests.survey.api.test_api_responses import GOOD_ANSWERS
from tests.survey.public.helpers import mini_questionnaire

URL = "/api/v1/responses"


@pytest.fixture
def site(app, make_wave, make_point, make_field):
    """An open mini wave, a point, the field ``land`` and a way to issue codes."""
    wave = make_wave(questionnaire=mini_questionnaire())
    point = make_point(wave.units[0])
    field = make_field("land", name="Đất đai")

    def codes(count=1, *, with_field=True):
        with app.app_context():
            return invitations.issue_codes(db.session.get(Wave, wave.id),
                                           db.session.get(ServicePoint, point.id),
                                           db.session.get(ServiceField, field.id) if with_field else None,
                                           count)[1]
    return {"wave": wave, "point": point, "codes": codes}


def body(site, **changes):
    data = {"wave": site["wave"].code, "point": site["point"].code, "field": "land",
            "submission_id": str(uuid.uuid4()), "started_at": None, "answers": dict(GOOD_ANSWERS)}
    data.update(changes)
    return data


def stored(app, **where) -> int:
    with app.app_context():
        query = select(func.count(Response.id))
        for column, value in where.items():
            query = query.where(getattr(Response, column) == value)
        return db.session.scalar(query)


@pytest.mark.parametrize("headers, lang, text", [
    ({}, "vi", "Không nhận phiếu gửi ẩn danh"),
    ({"Accept-Language": "en"}, "en", "Anonymous submissions are not accepted"),
    ({"Authorization": "Basic dXNlcjpwdw=="}, "vi", "Không nhận phiếu gửi ẩn danh"),
    ({"Authorization": "Bearer sipas_x", "Accept-Language": "en-GB,en;q=0.8"}, "en",
     "Anonymous submissions"),
])
def test_anonymous_submissions_are_401_json(app, client, site, headers, lang, text):
    response = client.post(URL, json=body(site), headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert text in response.get_json()["message"]
    assert "WWW-Authenticate" in response.headers
    # Refused before the body is read: even a broken body is a 401.
    assert client.post(URL, data=b"{not json", content_type="application/json",
                       headers=headers).status_code == 401
    assert stored(app) == 0


def test_a_code_submits_once_201_200_409(app, client, site):
    code = site["codes"]()[0]
    auth = {"Authorization": f"Code {code}"}
    data = body(site)
    first = client.post(URL, json=data, headers=auth)
    assert first.status_code == 201 and first.get_json() == {"status": "created"}
    assert client.post(URL, json=data, headers=auth).get_json() == {"status": "duplicate"}
    changed = client.post(URL, json={**data, "answers": {**GOOD_ANSWERS, "overall": 1}},
                          headers=auth)
    assert changed.status_code == 409 and changed.get_json()["error"] == "conflict"
    other = client.post(URL, json=body(site), headers=auth)
    assert other.status_code == 410 and "đã được sử dụng" in other.get_json()["message"]
    assert stored(app) == 1 and stored(app, mode="code") == 1
    with app.app_context():
        assert db.session.scalar(select(InvitationCode.used_on)) is not None
        # A code is no device: the response records none.
        assert db.session.scalar(select(Response.device_id)) is None


def test_a_code_fills_in_its_field_and_refuses_other_places(app, client, site, make_point):
    code = site["codes"]()[0]
    auth = {"Authorization": f"Code {code}", "Accept-Language": "en"}
    for changes in ({"field": "other"}, {"point": make_point(site["wave"].units[0]).code}):
        refused = client.post(URL, json=body(site, **changes), headers=auth)
        assert refused.status_code == 403, refused.get_json()
        assert "another survey" in refused.get_json()["message"]
    assert client.post(URL, json=body(site, field=None), headers=auth).status_code == 201
    with app.app_context():
        row = db.session.scalar(select(Response))
        assert row.service_field.code == "land" and row.mode == "code"


def test_unknown_and_expired_codes(app, client, site):
    unknown = client.post(URL, json=body(site), headers={"Authorization": "Code 2345678923"})
    assert unknown.status_code == 401 and "Mã này không tồn tại" in unknown.get_json()["message"]
    code = site["codes"]()[0]
    with app.app_context():
        db.session.get(Wave, site["wave"].id).status = "closed"
        db.session.commit()
    expired = client.post(URL, json=body(site), headers={"Authorization": f"Code {code}"})
    assert expired.status_code == 410
    assert stored(app) == 0


def test_422_lists_problems_with_a_code_and_keeps_the_code(app, client, site):
    code = site["codes"]()[0]
    auth = {"Authorization": f"Code {code}"}
    bad = client.post(URL, json=body(site, answers={**GOOD_ANSWERS, "overall": 9}), headers=auth)
    assert bad.status_code == 422 and bad.get_json()["total"] == 1
    assert client.post(URL, json=body(site), headers=auth).status_code == 201


@pytest.mark.parametrize("app_config", [{"RATELIMIT_SUBMIT_PER_CODE": "1000 per minute"}])
def test_one_code_sent_eight_times_at_once_is_accepted_once(app, server, site):
    """Real concurrency (threads, one connection each): exactly one response is stored."""
    code = site["codes"]()[0]
    bodies = [body(site) for _ in range(8)]
    barrier = threading.Barrier(len(bodies))

    def post(data):
        conn = http.client.HTTPConnection("127.0.0.1", server, timeout=60)
        barrier.wait()
        conn.request("POST", URL, json.dumps(data), {"Content-Type": "application/json",
                                                     "Authorization": f"Code {code}"})
        status = conn.getresponse().status
        conn.close()
        return status

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        statuses = list(pool.map(post, bodies))
    assert sorted(statuses) == [201] + [410] * 7
    assert stored(app) == 1 and stored(app, mode="code") == 1


@pytest.mark.parametrize("lang, text", [("vi", "Có quá nhiều"), ("en", "Too many")])
def test_an_abusive_kiosk_hits_its_limit_and_nothing_beyond_is_stored(app, client, site, lang,
                                                                      text):
    app.config["RATELIMIT_SUBMIT_PER_DEVICE"] = "4 per minute"
    auth = {"Authorization": f"Device {enrol_device(app, site['point'])}", "Accept-Language": lang}
    statuses = [client.post(URL, json=body(site), headers=auth).status_code for _ in range(9)]
    assert statuses == [201] * 4 + [429] * 5
    refused = client.post(URL, json=body(site), headers=auth)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["error"] == "too_many_requests" and text in refused.get_json()["message"]
    assert stored(app) == statuses.count(201) == 4


def test_a_code_has_its_own_limit(app, client, site):
    app.config["RATELIMIT_SUBMIT_PER_CODE"] = "3 per hour"
    code = site["codes"]()[0]
    auth = {"Authorization": f"Code {code.lower()}"}
    statuses = [client.post(URL, json=body(site), headers=auth).status_code for _ in range(5)]
    assert statuses == [201, 410, 410, 429, 429]
    assert stored(app) == 1


def test_published_questionnaire(client, site):
    got = client.get(f"/api/v1/waves/{site['wave'].code}/questionnaire")
    assert got.status_code == 200
    data = got.get_json()
    assert data["wave"] == site["wave"].code and data["definition"]["id"] == data["qid"]
    assert client.get("/api/v1/waves/NOPE/questionnaire").status_code == 404


@pytest.fixture
def province(make_unit, make_wave, make_point, create_response):
    """A province with two communes, an open mini wave and a few responses in each commune."""
    root = make_unit("TINH", kind="province")
    a, b = make_unit("XA-A", parent=root), make_unit("XA-B", parent=root)
    wave = make_wave(questionnaire=mini_questionnaire(), units=[root])
    for unit, mode in ((a, "web"), (a, "code"), (b, "kiosk")):
        point = make_point(unit)
        for _ in range(3):
            create_response(wave, point, mode=mode)
    return {"wave": wave, "root": root, "a": a, "b": b}


def create_token(app, user) -> str:
    with app.app_context():
        from survey.models import User
        return api_tokens.create_token(db.session.get(User, user.id), "thử nghiệm")[1]


def test_results_need_a_token_and_are_scoped(app, client, province, make_user):
    wave = province["wave"].code
    url = f"/api/v1/units/XA-A/waves/{wave}/results"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer sipas_nope"}).status_code == 401
    official = make_user(role="official", units=[province["a"]])
    token = create_token(app, official)
    auth = {"Authorization": f"Bearer {token}"}
    got = client.get(url, headers=auth)
    assert got.status_code == 200, got.get_json()
    data = got.get_json()
    assert data["unit"] == "XA-A" and data["n_responses"] >= 6
    assert data["modes"] == {"web": 3, "kiosk": 0, "api": 0, "code": 3}
    outside = client.get(f"/api/v1/units/XA-B/waves/{wave}/results", headers=auth)
    assert outside.status_code == 404 and outside.get_json()["error"] == "not_found"
    assert client.get(f"/api/v1/units/XA-A/waves/NOPE/results", headers=auth).status_code == 404
    desk = make_user(role="desk_operator", units=[province["a"]])
    assert client.get(url, headers={"Authorization": f"Bearer {create_token(app, desk)}"}
                      ).status_code == 401


def test_token_page_creates_shows_once_and_revokes(app, client, sign_in_as, province):
    page_client = sign_in_as("official", units=[province["root"]])
    page = page_client.get("/quan-ly/tai-khoan/api")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    extra = {"csrf_token": csrf.group(1)} if csrf else {}
    made = page_client.post("/quan-ly/tai-khoan/api", data={"action": "create", "name": "Báo cáo",
                                                          **extra})
    token = re.search(r'<code id="new-token">([^<]+)</code>', made.get_data(as_text=True)).group(1)
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.token_hash == api_tokens.token_hash(token) and token not in (row.prefix, row.name)
    assert token not in page_client.get("/quan-ly/tai-khoan/api").get_data(as_text=True)
    url = f"/api/v1/units/TINH/waves/{province['wave'].code}/results"
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    page_client.post("/quan-ly/tai-khoan/api", data={"action": "revoke", "token": str(row.id), **extra})
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert page_client.post("/quan-ly/tai-khoan/api", data={"action": "revoke", "token": str(row.id),
                                                          **extra}).status_code == 404


def test_openapi_document_is_generated_from_the_validating_schemas(client):
    from survey.api.schemas import ResponseIn

    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    post = doc["paths"]["/api/v1/responses"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"] == \
        "#/components/schemas/ResponseIn"
    assert set(post["responses"]) >= {"200", "201", "401", "409", "422", "429"}
    assert {"device": [], "code": []} == {**post["security"][0], **post["security"][1]}
    generated = ResponseIn.model_json_schema(ref_template="#/components/schemas/{model}")
    assert doc["components"]["schemas"]["ResponseIn"]["required"] == generated["required"]
    assert doc["components"]["schemas"]["ResponseIn"]["additionalProperties"] is False
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "POST /api/v1/responses" in page.get_data(as_text=True)
    assert "<script" not in page.get_data(as_text=True)
