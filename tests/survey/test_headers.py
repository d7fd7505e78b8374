"""Security headers on every response: CSP without inline code, no framing, nosniff,
referrer policy, no-store on the officials' pages and on downloads."""

import re

from tests.survey.officials.conftest import official, province  # noqa: F401

SURVEY_TEMPLATES = "survey/templates"


def directives(policy: str) -> dict:
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def assert_common(response):
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_public_pages_api_and_errors_carry_the_headers(client, mini_link):
    for url in ("/", "/s/%s/%s" % mini_link, "/nowhere", "/static/survey.css",
                "/lang/en?next=/"):
        response = client.get(url)
        assert_common(response)
        assert response.headers.get("Cache-Control") != "no-store"
    api = client.post("/api/v1/responses", json={})
    assert api.status_code == 401
    assert_common(api)


def test_officials_pages_and_downloads_are_not_stored(official, province):
    for url in ("/quan-ly/", "/quan-ly/don-vi/TINH", "/quan-ly/don-vi/TINH/du-lieu.csv",
                "/quan-ly/dang-nhap"):
        response = official.get(url)
        assert response.status_code == 200, url
        assert_common(response)
        assert response.headers["Cache-Control"] == "no-store", url
        # A streamed download keeps its request context until the body is read and closed.
        response.get_data()
        response.close()


def test_templates_hold_no_inline_script_or_handler():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / SURVEY_TEMPLATES
    for path in root.rglob("*.html"):
        source = path.read_text()
        # Only JSON data blocks may be inline: they are not executed.
        for tag in re.findall(r"<script\b[^>]*>", source):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", source), path
        assert not re.search(r"\sstyle\s*=", source) and "<style" not in source, path


def test_session_cookie_is_secure_when_configured(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    response = client.get("/lang/en?next=/")
    assert "Secure" in response.headers["Set-Cookie"]
