"""The administrators' pages: users (create, change, disable, reset link) and the audit
log with its filters and CSV export."""

import csv
import io
import re

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import AuditEvent, User

from .conftest import sign_in

USERS = "/quan-ly/quan-tri/nguoi-dung"
AUDIT = "/quan-ly/quan-tri/nhat-ky"


@pytest.fixture
def admin(sign_in_as):
    return sign_in_as("administrator")


def _user(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            user.units  # noqa: B018
        return user


def test_create_user_shows_the_password_once(app, admin, make_unit):
    make_unit("AD-X")
    page = admin.get(USERS).get_data(as_text=True)
    assert "Thêm người dùng" in page and admin.user.email in page
    response = admin.post(USERS, data={"email": "Hoa@Tinh.example", "name": "Lê Thị Hoa",
                                       "role": "official", "units": "AD-X"})
    assert response.status_code == 201
    password = re.search(r'<code id="secret">([^<]+)</code>', response.get_data(as_text=True)).group(1)
    assert sign_in(app.test_client(), "hoa@tinh.example", password).status_code == 302
    assert password not in admin.get(USERS).get_data(as_text=True)
    user = _user(app, "hoa@tinh.example")
    assert (user.name, user.role, [u.code for u in user.units]) == ("Lê Thị Hoa", "official", ["AD-X"])


@pytest.mark.parametrize("data, message", [
    ({"email": "x", "role": "official", "units": "AD-X"}, "không phải là địa chỉ email"),
    ({"email": "x@tinh.example", "role": "official", "units": "AD-X NOPE"}, "Không có đơn vị nào có mã “NOPE”"),
    ({"email": "x@tinh.example", "role": "official", "units": ""}, "cần được gán ít nhất một đơn vị"),
    ({"email": "x@tinh.example", "role": "boss", "units": "AD-X"}, "Not a valid choice"),
])
def test_create_user_refusals_are_clear_and_write_nothing(app, admin, make_unit, data, message):
    make_unit("AD-X")
    response = admin.post(USERS, data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True) or message.lower() in response.get_data(as_text=True).lower()
    assert _user(app, "x@tinh.example") is None


def test_change_role_and_scope_signs_the_user_out(app, admin, sign_in_as, make_unit):
    first, second = make_unit("AD-1"), make_unit("AD-2")
    official = sign_in_as("official", units=[first])
    url = f"{USERS}/{official.user.id}"
    page = admin.get(url).get_data(as_text=True)
    assert "AD-1" in page
    response = admin.post(url, data={"name": "Mới", "role": "official", "units": "AD-2, AD-1"})
    assert response.status_code == 302
    assert official.get("/quan-ly/").status_code == 302
    user = _user(app, official.user.email)
    assert sorted(u.code for u in user.units) == ["AD-1", "AD-2"] and user.name == "Mới"
    unchanged = admin.post(url, data={"name": "Mới", "role": "official", "units": "AD-1 AD-2"},
                           follow_redirects=True)
    assert "Không có gì thay đổi" in unchanged.get_data(as_text=True)


def test_disable_and_reset_link(app, admin, sign_in_as, make_unit):
    official = sign_in_as("official", units=[make_unit()])
    uid = official.user.id
    reset = admin.post(f"{USERS}/{uid}/dat-lai-mat-khau")
    assert reset.status_code == 200
    link = re.search(r'<code id="secret">([^<]+)</code>', reset.get_data(as_text=True)).group(1)
    path = link.split("localhost", 1)[1]
    assert app.test_client().get(path).status_code == 200
    assert admin.post(f"{USERS}/{uid}/vo-hieu-hoa").status_code == 302
    assert official.get("/quan-ly/").status_code == 302
    assert sign_in(app.test_client(), official.user.email).status_code == 401
    assert app.test_client().get(path).status_code == 404
    assert admin.post(f"{USERS}/{uid}/dat-lai-mat-khau").status_code == 403


def test_an_administrator_cannot_lock_themselves_out(admin):
    uid = admin.user.id
    assert admin.post(f"{USERS}/{uid}/vo-hieu-hoa").status_code == 403
    assert admin.post(f"{USERS}/{uid}", data={"role": "official", "units": ""}).status_code == 403
    assert admin.get("/quan-ly/").status_code == 200


def test_unknown_user_is_404(admin):
    assert admin.get(f"{USERS}/999999").status_code == 404
    assert admin.post(f"{USERS}/999999/vo-hieu-hoa").status_code == 404


def test_audit_page_filters_and_exports_csv(app, admin, make_user, client):
    other = make_user(role="methodologist")
    sign_in(client, other.email, "wrong password")
    sign_in(client, other.email)
    page = admin.get(AUDIT).get_data(as_text=True)
    assert "sign_in.failed" in page and other.email in page
    only_failures = admin.get(AUDIT, query_string={"action": "sign_in.failed"}).get_data(as_text=True)
    assert only_failures.count("<tr>") == 2            # header + one line
    by_user = admin.get(AUDIT, query_string={"user": admin.user.email.upper()}).get_data(as_text=True)
    assert other.email not in by_user.split("<tbody>")[1]
    future = admin.get(AUDIT, query_string={"from": "2999-01-01"}).get_data(as_text=True)
    assert "Không có dòng nhật ký nào" in future
    assert admin.get(AUDIT, query_string={"from": "yesterday"}).status_code == 400
    assert admin.get(AUDIT, query_string={"from": "2026-02-01", "to": "2026-01-01"}).status_code == 400
    assert admin.get(AUDIT, query_string={"page": "x"}).status_code == 400

    response = admin.get(AUDIT + ".csv", query_string={"user": other.email})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["action"], r["address"]) for r in rows] == [("sign_in", "127.0.0.1"),
                                                          ("sign_in.failed", "127.0.0.1")]
    with app.app_context():
        exported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.exported"))
        assert exported.actor_email == admin.user.email
        assert exported.details["actor_email"] == other.email
