"""The tablets page of a service point, the kiosk's enrolment and the kiosk page."""

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import select

from questionnaires import load_bundled
from survey.extensions import db
from survey.models import AuditEvent, Response, ServicePoint, utcnow
from survey.models_devices import Device, EnrolmentCode
from survey.services import devices
from tests.factories import synthetic_answers


@pytest.fixture
def desk(make_unit, make_point, make_wave):
    """(unit, point, desk wave) with the point under the open desk wave."""
    unit = make_unit()
    point = make_point(unit)
    return unit, point, make_wave(questionnaire="desk", units=[unit])


def tablets_url(point):
    return f"/quan-ly/diem-tiep-nhan/{point.code}/may-tinh-bang"


def issue(client, point, name="Quầy số 2", questionnaire="desk"):
    response = client.post(tablets_url(point), data={"name": name, "questionnaire": questionnaire})
    assert response.status_code == 201, response.get_data(as_text=True)[:500]
    return re.search(r'id="enrolment-code"[^>]*>([A-Z0-9-]+)<', response.get_data(as_text=True)).group(1)


def test_desk_operator_issues_a_code_enrols_lists_and_revokes(app, desk, sign_in_as):
    unit, point, _ = desk
    operator = sign_in_as("desk_operator", units=[unit])
    page = operator.get(tablets_url(point))
    assert page.status_code == 200 and "Chưa có máy tính bảng nào" in page.get_data(as_text=True)
    code = issue(operator, point, questionnaire="full")
    with app.app_context():
        stored = db.session.scalar(select(EnrolmentCode))
        assert code.replace("-", "") not in stored.code_hash
    tablet = app.test_client()
    response = tablet.post("/kiosk/dang-ky", data={"code": code})
    assert response.status_code == 303 and response.headers["Location"] == "/kiosk"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Path=/kiosk" in cookie and "SameSite=Strict" in cookie
    listing = operator.get(tablets_url(point)).get_data(as_text=True)
    assert "Quầy số 2" in listing and "Phiếu khảo sát đầy đủ" in listing
    with app.app_context():
        device = db.session.scalar(select(Device))
        assert (device.service_point_id, device.questionnaire) == (point.id, "full")
        device_id = device.id
    revoked = operator.post(f"{tablets_url(point)}/{device_id}/thu-hoi")
    assert revoked.status_code == 303
    assert tablet.get("/kiosk").status_code == 302           # back to enrolment
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("device.%"))))
    assert actions[-3:] == [devices.ENROLMENT_CODE_ISSUED, devices.DEVICE_ENROLLED, devices.DEVICE_REVOKED]
    assert all(e.unit_code == unit.code and e.details["point"] == point.code for e in events)
    assert all(e.actor_email == operator.user.email for e in events)


def test_points_of_other_units_are_404_for_a_desk_operator(desk, make_unit, make_point, sign_in_as):
    unit, point, _ = desk
    elsewhere = make_point(make_unit())
    operator = sign_in_as("desk_operator", units=[unit])
    assert operator.get(tablets_url(elsewhere)).status_code == 404
    assert operator.post(tablets_url(elsewhere), data={"name": "x", "questionnaire": "desk"}).status_code == 404
    assert operator.get("/quan-ly/diem-tiep-nhan/NO-SUCH/may-tinh-bang").status_code == 404


def test_a_device_of_another_point_cannot_be_revoked_through_this_one(app, desk, make_point, sign_in_as):
    unit, point, _ = desk
    other = make_point(unit)
    with app.app_context():
        _, code = devices.create_enrolment_code(db.session.get(ServicePoint, other.id), name="B")
        device, _ = devices.enrol(code)
        device_id = device.id
    admin = sign_in_as("administrator")
    assert admin.post(f"{tablets_url(point)}/{device_id}/thu-hoi").status_code == 404
    with app.app_context():
        assert db.session.get(Device, device_id).revoked_at is None


@pytest.mark.parametrize("data", [{"name": "", "questionnaire": "desk"},
                                  {"name": "x" * 101, "questionnaire": "desk"},
                                  {"name": "A", "questionnaire": "<script>"}])
def test_bad_enrolment_forms_are_422_and_issue_nothing(app, desk, sign_in_as, data):
    _, point, _ = desk
    admin = sign_in_as("administrator")
    assert admin.post(tablets_url(point), data=data).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(EnrolmentCode)) is None


# A NUL byte is refused by the app's input check before the view (400).
@pytest.mark.parametrize("code, status", [("", 422), ("WRONG123", 422), ("x" * 40, 422),
                                          ("\x00", 400)])
def test_a_bad_code_gets_a_friendly_4xx(client, code, status):
    response = client.post("/kiosk/dang-ky?lang=en", data={"code": code})
    assert response.status_code == status
    assert "kiosk_device" not in response.headers.get("Set-Cookie", "")


def test_kiosk_page_renders_the_device_questionnaire_without_links_out(app, desk, client):
    _, point, wave = desk
    with app.app_context():
        _, code = devices.create_enrolment_code(db.session.get(ServicePoint, point.id), name="A")
    client.post("/kiosk/dang-ky", data={"code": code})
    for query, word in (("", "Bắt đầu"), ("?lang=en", "Start")):
        response = client.get("/kiosk" + query)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and word in html
        assert response.headers["Cache-Control"] == "no-cache"
        assert f'"wave": "{wave.code}"' in html and f'"point": "{point.code}"' in html
        links = re.findall(r'<a [^>]*href="([^"]+)"', html)
        assert links and all(link.startswith("/kiosk") for link in links), links
        assert 'data-question="staff_polite"' in html and "<script>" not in html


def test_kiosk_without_an_open_wave_says_so(app, make_point, client):
    point = make_point()
    with app.app_context():
        _, code = devices.create_enrolment_code(db.session.get(ServicePoint, point.id), name="A")
    client.post("/kiosk/dang-ky", data={"code": code})
    response = client.get("/kiosk")
    assert response.status_code == 200 and 'id="kiosk-closed"' in response.get_data(as_text=True)


def test_service_worker_may_control_the_kiosk(client):
    response = client.get("/kiosk/sw.js")
    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/kiosk"
    assert response.mimetype == "text/javascript"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_api_keeps_the_hour_and_duration_of_an_answer_queued_offline(app, desk, client):
    _, point, wave = desk
    with app.app_context():
        _, code = devices.create_enrolment_code(db.session.get(ServicePoint, point.id), name="A")
        _, token = devices.enrol(code)
    given = utcnow().replace(microsecond=0) - dt.timedelta(hours=3)
    body = {"wave": wave.code, "point": point.code, "submission_id": str(uuid.uuid4()),
            "started_at": (given - dt.timedelta(seconds=70)).isoformat(),
            "submitted_at": given.isoformat() + "Z",
            "answers": synthetic_answers(load_bundled("desk"), 5)}
    response = client.post("/api/v1/responses", json=body, headers={"Authorization": f"Device {token}"})
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        row = db.session.scalar(select(Response))
        assert row.submitted_at == given.replace(minute=0, second=0)
        assert row.duration_seconds == 70 and row.mode == "kiosk"
    # A submission before its start, or in the future beyond clock skew, is refused.
    for submitted in (given - dt.timedelta(hours=1), "2999-01-01T00:00:00Z"):
        bad = dict(body, submission_id=str(uuid.uuid4()),
                   submitted_at=submitted if isinstance(submitted, str) else submitted.isoformat())
        refused = client.post("/api/v1/responses", json=bad, headers={"Authorization": f"Device {token}"})
        assert refused.status_code == 422
        assert refused.get_json()["errors"][0]["code"] == "submitted_at"
