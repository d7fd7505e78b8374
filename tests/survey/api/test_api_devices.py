"""``POST /api/v1/responses`` from a kiosk: ``Authorization: Device <token>``."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Response, ServicePoint
from survey.models_devices import Device
from survey.services import devices
from tests.factories import synthetic_answers
from questionnaires import load_bundled

URL = "/api/v1/responses"


@pytest.fixture
def kiosk(app, make_unit, make_point, make_wave):
    """An enrolled desk kiosk at a point covered by an open desk wave: (wave, point, token)."""
    unit = make_unit()
    point = make_point(unit)
    wave = make_wave(questionnaire="desk", units=[unit])
    with app.app_context():
        _, code = devices.create_enrolment_code(db.session.get(ServicePoint, point.id), name="Quầy 1")
        device, token = devices.enrol(code)
        return wave, point, token, device.id


def _body(wave, point, answers=None, **changes):
    data = {"wave": wave.code, "point": point.code, "submission_id": str(uuid.uuid4()),
            "started_at": None, "answers": answers or synthetic_answers(load_bundled("desk"), 3)}
    data.update(changes)
    return data


def _auth(token):
    return {"Authorization": f"Device {token}"}


def test_kiosk_submission_is_stored_with_mode_kiosk(app, client, kiosk):
    wave, point, token, _ = kiosk
    data = _body(wave, point)
    first = client.post(URL, json=data, headers=_auth(token))
    assert first.status_code == 201, first.get_json()
    again = client.post(URL, json=data, headers=_auth(token))
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}
    with app.app_context():
        rows = list(db.session.scalars(select(Response)))
        assert [(r.mode, r.service_point_id, r.wave_id) for r in rows] == [("kiosk", point.id, wave.id)]


def test_kiosk_submission_records_its_device(app, client, kiosk, device_auth):
    wave, point, token, device_id = kiosk
    other = device_auth(point)                     # a second tablet at the same desk
    assert client.post(URL, json=_body(wave, point), headers=_auth(token)).status_code == 201
    assert client.post(URL, json=_body(wave, point), headers=other).status_code == 201
    with app.app_context():
        devices_of_rows = list(db.session.scalars(select(Response.device_id).order_by(Response.id)))
    assert devices_of_rows[0] == device_id
    assert devices_of_rows[1] is not None and devices_of_rows[1] != device_id


@pytest.mark.parametrize("header", ["Device nope", "Device ", "device " + "x" * 40])
def test_unknown_credential_is_401_with_a_clear_message(app, client, kiosk, header):
    wave, point, _, _ = kiosk
    response = client.post(URL, json=_body(wave, point), headers={"Authorization": header,
                                                                   "Accept-Language": "en"})
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "unauthorized" and "not enrolled" in body["message"]
    assert response.headers["WWW-Authenticate"].startswith("Device")
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 0


def test_revoked_device_is_401_in_vietnamese_by_default(app, client, kiosk):
    wave, point, token, device_id = kiosk
    with app.app_context():
        devices.revoke(db.session.get(Device, device_id))
    response = client.post(URL, json=_body(wave, point), headers=_auth(token))
    assert response.status_code == 401
    assert "máy tính bảng" in response.get_json()["message"].lower()
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 0


def test_a_kiosk_cannot_post_for_another_point(app, client, kiosk, make_point):
    wave, point, token, _ = kiosk
    other = make_point(wave.units[0])
    response = client.post(URL, json=_body(wave, other), headers=_auth(token))
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 0


def test_a_desk_kiosk_cannot_post_to_the_full_wave(app, client, kiosk, make_wave):
    wave, point, token, _ = kiosk
    with app.app_context():
        unit = db.session.get(ServicePoint, point.id).unit
        full = make_wave(units=[unit])
    data = _body(full, point, answers=synthetic_answers(load_bundled("sipas"), 1))
    response = client.post(URL, json=data, headers=_auth(token))
    assert response.status_code == 403
    # The desk wave still takes its answers.
    assert client.post(URL, json=_body(wave, point), headers=_auth(token)).status_code == 201


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_the_same_kiosk_submission_posted_ten_times_at_once_is_stored_once(app, kiosk):
    wave, point, token, _ = kiosk
    data = _body(wave, point)
    barrier = threading.Barrier(10)

    def post(_):
        client = app.test_client()
        barrier.wait(timeout=30)
        return client.post(URL, json=data, headers=_auth(token)).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(post, range(10)))
    assert sorted(codes) == [200] * 9 + [201]
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 1
