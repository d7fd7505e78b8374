"""The officials' pages are behind the configured password, and closed without one."""

import pytest

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


def test_wrong_password_is_refused(client):
    response = sign_in(client, "wrong")
    assert response.status_code == 401
    assert "Mật khẩu không đúng" in response.get_data(as_text=True)
    assert client.get("/quan-ly/").status_code == 302
    # Empty or a prefix of the right one is no better.
    assert sign_in(client, "").status_code == 200          # form error: nothing sent
    assert sign_in(client, PASSWORD[:-1]).status_code == 401
    assert client.get("/quan-ly/").status_code == 302


def test_right_password_signs_in_and_returns_to_the_page(client, province):
    response = sign_in(client, next_url="/quan-ly/don-vi/TINH?wave=2025")
    assert response.status_code == 302
    assert response.headers["Location"] == "/quan-ly/don-vi/TINH?wave=2025"
    page = client.get("/quan-ly/")
    assert page.status_code == 200
    assert "Tỉnh Thử Nghiệm" in page.get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/s/other",
                                    "javascript:alert(1)"])
def test_next_never_leaves_the_officials_pages(client, target):
    response = sign_in(client, next_url=target)
    assert response.headers["Location"] == "/quan-ly/"


def test_sign_out_forgets_the_session(official):
    assert official.get("/quan-ly/").status_code == 200
    response = official.post("/quan-ly/dang-xuat")
    assert response.status_code == 302
    assert official.get("/quan-ly/").status_code == 302


def test_changing_the_password_signs_everybody_out(app, official):
    app.config["OFFICIALS_PASSWORD"] = "a new password"
    assert official.get("/quan-ly/").status_code == 302


def test_session_holds_no_password(official):
    cookie = official.get_cookie("session")
    assert cookie is not None
    assert PASSWORD not in cookie.value


class TestWithoutPassword:
    @pytest.fixture
    def app_config(self):
        return {"OFFICIALS_PASSWORD": None}

    @pytest.mark.parametrize("url", ["/quan-ly/", "/quan-ly/dang-nhap", "/quan-ly/don-vi/X"])
    def test_pages_answer_503_with_a_clear_message(self, client, url):
        response = client.get(url)
        assert response.status_code == 503
        text = response.get_data(as_text=True)
        assert "OFFICIALS_PASSWORD" in text
        assert "mật khẩu" in text

    def test_sign_in_is_refused_too(self, client):
        assert sign_in(client, "").status_code == 503
        assert sign_in(client, "None").status_code == 503


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"OFFICIALS_PASSWORD": PASSWORD, "WTF_CSRF_ENABLED": True}

    def test_sign_in_without_token_is_refused(self, client):
        response = sign_in(client)
        assert response.status_code == 400
        assert client.get("/quan-ly/").status_code == 302

    def test_sign_in_with_token_works(self, client):
        import re

        page = client.get("/quan-ly/dang-nhap").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post("/quan-ly/dang-nhap", data={"password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        assert client.get("/quan-ly/").status_code == 200
