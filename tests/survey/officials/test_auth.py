"""Signing in with accounts: the form, wrong passwords, sessions that end on the server,
lockout per account and throttling per address, and the password-reset link."""

import re

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEvent, User, UserSession
from survey.services import accounts

from .conftest import PASSWORD, sign_in


def test_pages_redirect_to_sign_in(client, province):
    response = client.get("/quan-ly/don-vi/TINH?wave=2025")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/quan-ly/dang-nhap?next=")
    assert "don-vi/TINH" in response.headers["Location"]
    for url in ("/quan-ly/", "/quan-ly/don-vi/TINH/bao-cao.pdf", "/quan-ly/don-vi/TINH/du-lieu.csv"):
        assert client.get(url).status_code == 302, url


def test_sign_in_page_is_vietnamese(client):
    page = client.get("/quan-ly/dang-nhap").get_data(as_text=True)
    assert "Mật khẩu" in page
    assert "Đăng nhập" in page
    assert 'name="email"' in page and 'name="password"' in page


def test_wrong_password_is_refused(client, make_user):
    user = make_user()
    response = sign_in(client, user.email, "wrong password")
    assert response.status_code == 401
    assert "Email hoặc mật khẩu không đúng" in response.get_data(as_text=True)
    assert client.get("/quan-ly/").status_code == 302
    # Empty or a prefix of the right one is no better; an unknown email neither.
    assert sign_in(client, user.email, "").status_code == 200          # form error: nothing sent
    assert sign_in(client, user.email, PASSWORD[:-1]).status_code == 401
    assert sign_in(client, "nobody@test.example", PASSWORD).status_code == 401
    assert client.get("/quan-ly/").status_code == 302


def test_email_is_case_insensitive(client, make_user, province):
    user = make_user(role="official", units=[province.root])
    assert sign_in(client, "  " + user.email.upper() + " ").status_code == 302
    assert client.get("/quan-ly/").status_code == 200


def test_disabled_user_cannot_sign_in(client, make_user):
    user = make_user(active=False)
    assert sign_in(client, user.email).status_code == 401


def test_right_password_signs_in_and_returns_to_the_page(client, province, make_user):
    user = make_user(role="official", units=[province.root])
    response = sign_in(client, user.email, next_url="/quan-ly/don-vi/TINH?wave=2025")
    assert response.status_code == 302
    assert response.headers["Location"] == "/quan-ly/don-vi/TINH?wave=2025"
    page = client.get("/quan-ly/")
    assert page.status_code == 200
    assert "Tỉnh Thử Nghiệm" in page.get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/s/other",
                                    "javascript:alert(1)"])
def test_next_never_leaves_the_officials_pages(client, make_user, target):
    user = make_user(role="methodologist")
    response = sign_in(client, user.email, next_url=target)
    assert response.headers["Location"] == "/quan-ly/"


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, value):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_copied_cookie_stops_working_after_sign_out(app, official, province):
    export = "/quan-ly/don-vi/TINH/du-lieu.csv?wave=2026"
    copied = _cookie(official)
    response = _with_cookie(app, copied).get(export)
    assert response.status_code == 200 and response.get_data()    # read: the body is streamed
    response.close()
    assert official.post("/quan-ly/dang-xuat").status_code == 302
    assert official.get("/quan-ly/").status_code == 302
    # The copy still carries a valid signature and user id, but its session is revoked.
    assert _with_cookie(app, copied).get(export).status_code == 302
    assert _with_cookie(app, copied).get("/quan-ly/").status_code == 302


def test_copied_cookie_stops_working_after_a_password_change(app, official):
    copied = _cookie(official)
    with app.app_context():
        user = db.session.get(User, official.user.id)
        accounts.set_password(user, "a brand new password")
    assert _with_cookie(app, copied).get("/quan-ly/").status_code == 302
    assert official.get("/quan-ly/").status_code == 302


@pytest.mark.parametrize("change", ["disable", "role", "scope"])
def test_disabling_or_changing_role_or_scope_signs_out(app, sign_in_as, make_unit, change):
    unit, other = make_unit(), make_unit()
    client = sign_in_as("official", units=[unit])
    assert client.get("/quan-ly/").status_code == 200
    with app.app_context():
        user = db.session.get(User, client.user.id)
        if change == "disable":
            accounts.disable_user(user)
        elif change == "role":
            accounts.update_user(user, role="desk_operator")
        else:
            accounts.update_user(user, unit_codes=[other.code])
    assert client.get("/quan-ly/").status_code == 302


def test_session_expires_on_the_server(app, official):
    with app.app_context():
        db.session.execute(UserSession.__table__.update().values(
            expires_at=UserSession.created_at))
        db.session.commit()
    assert official.get("/quan-ly/").status_code == 302


def test_session_holds_no_password_and_the_database_no_session_id(app, official):
    cookie = _cookie(official)
    assert PASSWORD not in cookie
    with app.app_context():
        stored = db.session.scalars(select(UserSession.id)).all()
    assert len(stored) == 1 and stored[0] not in cookie


def test_password_is_hashed_with_argon2(app, client):
    with app.app_context():
        user, password = accounts.create_user("x@test.example", "methodologist")
        assert user.password_hash.startswith("$argon2id$")
        assert password not in user.password_hash
    assert sign_in(client, "x@test.example", password).status_code == 302


class TestLockout:
    @pytest.fixture
    def app_config(self):
        return {"SIGN_IN_FREE_FAILURES": 3, "SIGN_IN_LOCK_SECONDS": 60,
                "SIGN_IN_ADDRESS_LIMIT": 1000}

    def test_account_is_locked_after_failures_with_a_growing_wait(self, app, client, make_user):
        user = make_user()
        for _ in range(2):
            assert sign_in(client, user.email, "wrong password").status_code == 401
        third = sign_in(client, user.email, "wrong password")
        assert third.status_code == 429
        assert third.headers["Retry-After"] == "60"
        assert "bị khoá trong 1 phút" in third.get_data(as_text=True)
        # Locked: even the right password is not checked now.
        locked = sign_in(client, user.email)
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) <= 60
        with app.app_context():
            db.session.execute(User.__table__.update().values(locked_until=None))
            db.session.commit()
        # The next failure locks for twice as long.
        fourth = sign_in(client, user.email, "wrong password")
        assert fourth.headers["Retry-After"] == "120"
        client.set_cookie("lang", "en")
        with app.app_context():
            db.session.execute(User.__table__.update().values(locked_until=None))
            db.session.commit()
        fifth = sign_in(client, user.email, "wrong password")
        assert fifth.headers["Retry-After"] == "240"
        assert "locked for 4 minutes" in fifth.get_data(as_text=True)

    def test_a_success_resets_the_count(self, app, client, make_user):
        user = make_user()
        for _ in range(2):
            sign_in(client, user.email, "wrong password")
        assert sign_in(client, user.email).status_code == 302
        with app.app_context():
            assert db.session.get(User, user.id).failed_sign_ins == 0

    def test_other_accounts_are_not_locked(self, client, make_user):
        victim, other = make_user(), make_user()
        for _ in range(3):
            sign_in(client, victim.email, "wrong password")
        assert sign_in(client, other.email).status_code == 302


class TestAddressThrottle:
    @pytest.fixture
    def app_config(self):
        return {"SIGN_IN_ADDRESS_LIMIT": 4, "SIGN_IN_ADDRESS_WINDOW": 600,
                "SIGN_IN_FREE_FAILURES": 100}

    def test_an_address_with_many_failures_must_wait(self, app, client, make_user):
        user = make_user()
        # Spread over several accounts (and unknown ones), as a guesser would.
        for email in ("a@test.example", "b@test.example", user.email, "c@test.example"):
            assert sign_in(client, email, "wrong password").status_code == 401
        refused = sign_in(client, user.email)          # the right password, too late
        assert refused.status_code == 429
        assert 590 <= int(refused.headers["Retry-After"]) <= 600
        assert "Có quá nhiều lần đăng nhập không thành công từ mạng của Ông/Bà" in refused.get_data(as_text=True)
        # Another address is not affected.
        other = app.test_client()
        response = other.post("/quan-ly/dang-nhap", data={"email": user.email, "password": PASSWORD},
                              environ_base={"REMOTE_ADDR": "10.9.8.7"})
        assert response.status_code == 302

    def test_failures_are_audited_with_their_address(self, app, client):
        sign_in(client, "a@test.example", "wrong password")
        with app.app_context():
            event = db.session.scalar(select(AuditEvent))
        assert (event.action, event.address) == ("sign_in.failed", "127.0.0.1")
        assert event.details == {"reason": "unknown account"}


class TestProxy:
    @pytest.fixture
    def app_config(self):
        return {"PROXY_FIX_X_FOR": 1}

    def test_the_forwarded_address_is_recorded(self, app, client):
        client.post("/quan-ly/dang-nhap", data={"email": "a@test.example", "password": "x" * 12},
                    headers={"X-Forwarded-For": "203.0.113.9"})
        with app.app_context():
            assert db.session.scalar(select(AuditEvent.address)) == "203.0.113.9"


class TestPasswordReset:
    def test_reset_link_works_once(self, app, client, make_user):
        user = make_user()
        with app.app_context():
            token = accounts.issue_reset_token(db.session.get(User, user.id))
        url = f"/quan-ly/dat-lai-mat-khau/{token}"
        page = client.get(url)
        assert page.status_code == 200
        assert "Chọn mật khẩu mới" in page.get_data(as_text=True)
        mismatch = client.post(url, data={"password": "new password 1", "confirm": "other one 12"})
        assert mismatch.status_code == 422
        short = client.post(url, data={"password": "short", "confirm": "short"})
        assert short.status_code == 422
        done = client.post(url, data={"password": "new password 1", "confirm": "new password 1"})
        assert done.status_code == 302
        assert sign_in(client, user.email, "new password 1").status_code == 302
        assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 401
        again = app.test_client().post(url, data={"password": "new password 2",
                                                  "confirm": "new password 2"})
        assert again.status_code == 404
        assert "không còn hiệu lực" in again.get_data(as_text=True) or "không hợp lệ" in again.get_data(as_text=True)
        assert sign_in(app.test_client(), user.email, "new password 2").status_code == 401

    def test_a_newer_link_replaces_the_older_one(self, app, client, make_user):
        user = make_user()
        with app.app_context():
            first = accounts.issue_reset_token(db.session.get(User, user.id))
            second = accounts.issue_reset_token(db.session.get(User, user.id))
        assert client.get(f"/quan-ly/dat-lai-mat-khau/{first}").status_code == 404
        assert client.get(f"/quan-ly/dat-lai-mat-khau/{second}").status_code == 200

    def test_expired_or_made_up_links_are_refused(self, app, client, make_user):
        from survey.models import PasswordResetToken

        user = make_user()
        with app.app_context():
            token = accounts.issue_reset_token(db.session.get(User, user.id))
            db.session.execute(PasswordResetToken.__table__.update().values(
                expires_at=PasswordResetToken.created_at))
            db.session.commit()
        assert client.get(f"/quan-ly/dat-lai-mat-khau/{token}").status_code == 404
        assert client.get("/quan-ly/dat-lai-mat-khau/made-up").status_code == 404
        assert client.get("/quan-ly/dat-lai-mat-khau/" + "x" * 500).status_code == 404

    def test_a_reset_lifts_the_lockout_and_ends_sessions(self, app, sign_in_as):
        client = sign_in_as("methodologist")
        with app.app_context():
            user = db.session.get(User, client.user.id)
            user.failed_sign_ins = 9
            db.session.commit()
            token = accounts.issue_reset_token(user)
            accounts.redeem_reset_token(token, "new password 1")
            user = db.session.get(User, client.user.id)
            assert (user.failed_sign_ins, user.locked_until) == (0, None)
            live = db.session.scalar(select(func.count()).select_from(UserSession)
                                     .where(UserSession.revoked_at.is_(None)))
        assert live == 0
        assert client.get("/quan-ly/").status_code == 302


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_sign_in_without_token_is_refused(self, client, make_user):
        user = make_user(role="methodologist")
        response = sign_in(client, user.email)
        assert response.status_code == 400
        assert client.get("/quan-ly/").status_code == 302

    def test_sign_in_with_token_works(self, client, make_user):
        user = make_user(role="methodologist")
        page = client.get("/quan-ly/dang-nhap").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post("/quan-ly/dang-nhap", data={"email": user.email, "password": PASSWORD,
                                                           "csrf_token": token})
        assert response.status_code == 302
        assert client.get("/quan-ly/").status_code == 200
