"""Kiosk devices: one-time enrolment codes, credentials stored as digests, revocation."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEvent, utcnow
from survey.models_devices import Device, EnrolmentCode
from survey.services import devices


@pytest.fixture
def unit(make_unit):
    return make_unit()


@pytest.fixture
def point(make_point, unit):
    return make_point(unit)


def _code(app, point, **kwargs):
    with app.app_context():
        row, code = devices.create_enrolment_code(db.session.get(type(point), point.id),
                                                  name=kwargs.pop("name", "Máy tính bảng 1"),
                                                  **kwargs)
        return row.id, code


def test_code_is_short_readable_and_stored_only_as_a_keyed_hash(app, point):
    code_id, code = _code(app, point)
    assert len(code) == devices.CODE_LENGTH
    assert set(code) <= set(devices.CODE_ALPHABET)
    with app.app_context():
        row = db.session.get(EnrolmentCode, code_id)
        assert code not in row.code_hash and len(row.code_hash) == 64
        assert row.expires_at - row.created_at == dt.timedelta(minutes=devices.ENROLMENT_MINUTES)
        assert row.questionnaire == "desk"
        # Keyed: the plain SHA-256 of the code is not what is stored.
        import hashlib
        assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()


def test_enrol_creates_a_device_whose_token_authenticates(app, unit, point, make_user):
    with app.app_context():
        user = make_user(role="desk_operator", units=[unit])
        sp = db.session.get(type(point), point.id)
        _, code = devices.create_enrolment_code(sp, name="Quầy 1", questionnaire="full", actor=user)
        # Typed loosely: lower case, with the dash shown on screen.
        device, token = devices.enrol(devices.format_code(code).lower())
        assert device.service_point_id == point.id and device.questionnaire == "full"
        assert device.name == "Quầy 1" and device.enrolled_by_id == user.id
        assert token not in device.token_hash and device.token_hash == devices.token_hash(token)
        assert devices.authenticate_device(token).id == device.id
        assert devices.authenticate_device(token + "x") is None
        assert devices.authenticate_device("") is None
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {devices.ENROLMENT_CODE_ISSUED, devices.DEVICE_ENROLLED} <= actions


def test_a_code_works_once(app, point):
    _, code = _code(app, point)
    with app.app_context():
        devices.enrol(code)
        with pytest.raises(devices.DeviceError) as error:
            devices.enrol(code)
        assert error.value.reason == "invalid"
        assert db.session.scalar(select(func.count()).select_from(Device)) == 1


def test_expired_and_unknown_codes_are_refused(app, point):
    past = utcnow() - dt.timedelta(hours=1)
    _, code = _code(app, point, now=past, minutes=30)
    with app.app_context():
        for attempt in (code, "ABCDEFGH", "", "x" * 500):
            with pytest.raises(devices.DeviceError):
                devices.enrol(attempt)
        assert db.session.scalar(select(func.count()).select_from(Device)) == 0


def test_a_code_of_a_closed_point_enrols_nothing(app, point):
    _, code = _code(app, point)
    with app.app_context():
        db.session.get(type(point), point.id).active = False
        db.session.commit()
        with pytest.raises(devices.DeviceError) as error:
            devices.enrol(code)
        assert error.value.reason == "inactive_point"
        assert db.session.scalar(select(func.count()).select_from(Device)) == 0


def test_bad_arguments_are_refused(app, point):
    with app.app_context():
        sp = db.session.get(type(point), point.id)
        for kwargs in ({"name": ""}, {"name": "x" * 101}, {"name": "a", "questionnaire": "long"},
                       {"name": "a", "minutes": 0}):
            with pytest.raises(devices.DeviceError):
                devices.create_enrolment_code(sp, **kwargs)


def test_revoked_device_no_longer_authenticates(app, point):
    _, code = _code(app, point)
    with app.app_context():
        device, token = devices.enrol(code)
        assert devices.revoke(device) is True
        assert devices.revoke(device) is False
        assert devices.authenticate_device(token) is None
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == devices.DEVICE_REVOKED)) == 1


def test_last_seen_is_kept_to_the_hour(app, point):
    _, code = _code(app, point)
    with app.app_context():
        device, token = devices.enrol(code)
        later = dt.datetime(2030, 5, 1, 9, 41, 17)
        seen = devices.authenticate_device(token, now=later)
        assert seen.last_seen_at == dt.datetime(2030, 5, 1, 9)


@pytest.mark.parametrize("header, token", [
    ("Device abc", "abc"), ("device  abc ", "abc"), ("Bearer abc", None), ("Device", None),
    ("", None), (None, None), ("Device " + "a" * 300, None)])
def test_parse_authorization(header, token):
    assert devices.parse_authorization(header) == token


def test_device_waves_prefer_the_device_questionnaire(app, unit, point, make_wave):
    full = make_wave(units=[unit])
    _, code = _code(app, point)
    with app.app_context():
        device, _ = devices.enrol(code)
        # No desk wave open: the tablet still gets the open full one.
        assert [w.id for w in devices.device_waves(device)] == [full.id]
    desk = make_wave(questionnaire="desk", units=[unit])
    make_wave(questionnaire="desk")  # elsewhere: not covering the point
    with app.app_context():
        device = db.session.get(Device, device.id)
        assert [w.id for w in devices.device_waves(device)] == [desk.id]
        device.questionnaire = "full"
        assert [w.id for w in devices.device_waves(device)] == [full.id]


@pytest.mark.parametrize("db_backend", ["postgresql", "sqlite"], indirect=True)
def test_one_code_used_by_two_tablets_at_once_enrols_one(app, point):
    _, code = _code(app, point)
    barrier = threading.Barrier(2)

    def attempt(_):
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                return devices.enrol(code)[0].id
            except devices.DeviceError:
                return None

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(attempt, range(2)))
    assert sum(r is not None for r in results) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Device)) == 1
