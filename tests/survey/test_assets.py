"""Static URLs carry the content's hash; only a versioned URL is cached for long."""

import hashlib
import re
from pathlib import Path

from flask import url_for

import survey
from survey.assets import content_version


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_links_carry_the_content_hash(app, client, mini_link):
    static = Path(survey.__file__).parent / "static"
    page = client.get("/s/%s/%s" % mini_link).get_data(as_text=True)
    assert f'href="/static/survey.css?v={_digest(static / "survey.css")}"' in page
    assert f'src="/static/survey.js?v={_digest(static / "survey.js")}"' in page
    from survey.public.views import QUESTIONNAIRES_STATIC

    expressions = Path(QUESTIONNAIRES_STATIC) / "expressions.js"
    assert f'src="/static-q/expressions.js?v={_digest(expressions)}"' in page
    # Every static link of the page is versioned.
    links = re.findall(r'(?:href|src)="(/static[^"]*)"', page)
    assert links and all(re.search(r"\?v=[0-9a-f]{12}$", link) for link in links)


def test_only_the_current_version_is_cached_long(client):
    with client.application.test_request_context():
        url = url_for("static", filename="survey.css")
    current = client.get(url)
    assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for other in ("/static/survey.css", "/static/survey.css?v=000000000000"):
        response = client.get(other)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache", other


def test_changed_content_changes_the_url(app, tmp_path):
    """A file edited in place gets a new URL (the app's static folder set to a copy)."""
    (tmp_path / "kiosk.js").write_text("console.log(1);\n")
    app.static_folder = str(tmp_path)
    with app.test_request_context():
        before = url_for("static", filename="kiosk.js")
        (tmp_path / "kiosk.js").write_text("console.log(2);  // changed\n")
        after = url_for("static", filename="kiosk.js")
        missing = url_for("static", filename="absent.js")
    assert before != after
    assert after.endswith("?v=" + _digest(tmp_path / "kiosk.js"))
    assert missing == "/static/absent.js"
    response = app.test_client().get(after)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert app.test_client().get(before).headers["Cache-Control"] == "no-cache"


def test_content_version_is_recomputed_when_the_file_changes(tmp_path):
    path = tmp_path / "a.css"
    path.write_text("a{}")
    first = content_version(str(path))
    path.write_text("b{}")
    assert content_version(str(path)) != first == hashlib.sha256(b"a{}").hexdigest()[:12]
    assert content_version(str(tmp_path / "none.css")) is None
