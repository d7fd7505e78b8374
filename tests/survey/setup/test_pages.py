"""The administrators' set-up pages: upload → preview → confirm, with CSRF on; an invalid
file shows its problems and writes nothing; exports; opening and closing a wave."""

import io
import re

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Population, Unit, Wave

from .helpers import UNITS, counts, csv_bytes, units_csv

from tests.factories import USER_PASSWORD as PASSWORD

BASE = "/quan-ly/quan-tri/thiet-lap"


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def _sign_in(client, email):
    token = _token(client.get("/quan-ly/dang-nhap").get_data(as_text=True))
    return client.post("/quan-ly/dang-nhap",
                       data={"email": email, "password": PASSWORD, "csrf_token": token})


@pytest.fixture
def admin(client, make_user):
    """A client signed in as an administrator."""
    assert _sign_in(client, make_user(role="administrator").email).status_code == 302
    return client


def test_pages_are_for_administrators_only(client, make_user):
    official = make_user(role="official")
    assert _sign_in(client, official.email).status_code == 302
    assert client.get(BASE + "/").status_code == 403


def _upload(client, table, data, filename, **form):
    token = _token(client.get(BASE + "/").get_data(as_text=True))
    return client.post(f"{BASE}/{table}/xem-truoc", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(data), filename), **form})


def _confirm(client, table, response):
    html = response.get_data(as_text=True)
    upload_token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    return client.post(f"{BASE}/{table}/ghi", data={"csrf_token": _token(html), "token": upload_token})


def test_pages_need_sign_in(client):
    response = client.get(BASE + "/")
    assert response.status_code == 302 and "/quan-ly/dang-nhap" in response.location


def test_upload_preview_confirm(app, admin):
    response = _upload(admin, "units", units_csv(), "đơn vị.csv")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "VD-STP" in html and "Ghi các thay đổi này" in html
    with app.app_context():
        assert counts()["Unit"] == 0  # nothing before the confirmation
    response = _confirm(admin, "units", response)
    assert response.status_code == 302
    with app.app_context():
        assert counts()["Unit"] == 4
    page = admin.get(BASE + "/").get_data(as_text=True)
    assert "Đơn vị: đã ghi các thay đổi (mới 4)." in page
    # The same file again: nothing to confirm.
    html = _upload(admin, "units", units_csv(), "u.csv").get_data(as_text=True)
    assert "không có gì thay đổi" in html.lower() and 'name="token"' not in html


def test_an_invalid_file_shows_its_problems_and_writes_nothing(app, admin):
    broken = units_csv([*UNITS, ("VD-X09", "Xã Chín", "", "commune", "VD-NOPE")])
    response = _upload(admin, "units", broken, "u.csv")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "VD-NOPE" in html and 'name="token"' not in html
    assert re.search(r"<td class=\"num\">6</td><td>parent_code</td>", html)
    with app.app_context():
        assert counts()["Unit"] == 0
    response = _upload(admin, "units", "code,name\nHà,Bà\n".encode("cp1258"), "u.csv")
    assert response.status_code == 422
    assert "Tệp không phải văn bản UTF-8" in response.get_data(as_text=True)
    response = _upload(admin, "units", b"PK\x03\x04 broken", "u.xlsx")
    assert response.status_code == 422 and "Excel" in response.get_data(as_text=True)
    with app.app_context():
        assert counts()["Unit"] == 0


def test_confirm_needs_csrf_and_a_token_of_this_session(app, admin, client, app_config, make_user):
    response = _upload(admin, "units", units_csv(), "u.csv")
    html = response.get_data(as_text=True)
    upload_token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    # Without the CSRF token: refused.
    assert admin.post(f"{BASE}/units/ghi", data={"token": upload_token}).status_code == 400
    # Another signed-in session cannot confirm this upload.
    other = app.test_client()
    _sign_in(other, make_user(role="administrator").email)
    csrf = _token(other.get(BASE + "/").get_data(as_text=True))
    response = other.post(f"{BASE}/units/ghi", data={"csrf_token": csrf, "token": upload_token})
    assert response.status_code == 302
    # A forged token is just "no longer available".
    response = admin.post(f"{BASE}/units/ghi", data={"csrf_token": csrf, "token": "../../etc/passwd"})
    assert response.status_code in (302, 400)
    with app.app_context():
        assert counts()["Unit"] == 0
    assert _confirm(admin, "units", _upload(admin, "units", units_csv(), "u.csv")).status_code == 302
    with app.app_context():
        assert counts()["Unit"] == 4


def test_populations_waves_exports_and_open_close(app, admin):
    for table, data in (("units", units_csv()), ("fields", csv_bytes("code,name", "TP,Tư pháp")),
                        ("points", csv_bytes("code,name,unit_code", "VD-X01-1,Bàn,VD-X01")),
                        ("waves", csv_bytes("code,name,questionnaire,start,end,units", "W1,Đợt 1,sipas,,,VD"))):
        assert _confirm(admin, table, _upload(admin, table, data, f"{table}.csv")).status_code == 302
    response = _upload(admin, "populations", csv_bytes("unit_code,field_code,dossiers", "VD-X01,TP,-3"),
                       "p.xlsx.csv", wave="W1")
    assert response.status_code == 422 and "không thể âm" in response.get_data(as_text=True)
    response = _upload(admin, "populations", csv_bytes("unit_code,field_code,dossiers", "VD-X01,TP,30"),
                       "p.csv", wave="W1")
    assert _confirm(admin, "populations", response).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Population.dossiers)) == 30
    assert _upload(admin, "populations", b"x", "p.csv", wave="NOPE").status_code == 400
    csv = admin.get(f"{BASE}/populations.csv?wave=W1")
    assert csv.status_code == 200 and csv.data.decode("utf-8-sig").splitlines() == [
        "unit_code,field_code,dossiers", "VD-X01,TP,30"]
    xlsx = admin.get(f"{BASE}/units.xlsx")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    assert admin.get(f"{BASE}/units.pdf").status_code == 404
    assert admin.get(f"{BASE}/nothing.csv").status_code == 404
    page = admin.get(BASE + "/").get_data(as_text=True)
    csrf = _token(page)
    assert admin.post(f"{BASE}/dot/W1/mo", data={"csrf_token": csrf}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Wave.status)) == "open"
    admin.post(f"{BASE}/dot/W1/mo", data={"csrf_token": csrf})
    assert "đã mở" in admin.get(BASE + "/").get_data(as_text=True)
    assert admin.post(f"{BASE}/dot/W1/dong", data={"csrf_token": csrf}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Wave.status)) == "closed"
    assert admin.post(f"{BASE}/dot/W1/xoa", data={"csrf_token": csrf}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Unit.code).where(Unit.parent_id.is_(None))) == "VD"


def test_a_file_over_the_limit_is_a_clear_413(app, admin):
    app.config["SETUP_MAX_BYTES"] = 2000
    response = _upload(admin, "units", units_csv() + b"#" * 200_000, "u.csv")
    assert response.status_code == 413
    assert "Tệp lớn hơn" in response.get_data(as_text=True)
    # Just over the limit but within the request allowance: the importer's own problem.
    response = _upload(admin, "units", units_csv() + b"#" * 3000, "u.csv")
    assert response.status_code == 422 and "Tệp lớn hơn" in response.get_data(as_text=True)
    with app.app_context():
        assert counts()["Unit"] == 0
