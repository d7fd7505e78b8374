"""The demo makes an administrator and one scoped official per level, and prints them."""

import re

import pytest
from sqlalchemy import select

from survey import create_app
from survey.extensions import db
from survey.models import AuditEvent, User

LINE = re.compile(r"^\s+(administrator|official)\s+(\S+@\S+)\s+(\S+)\s+\((.+)\)$", re.M)


@pytest.fixture
def demo_app(tmp_path):
    """An app on an empty SQLite file (forms without CSRF tokens, as in the other tests)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite3'}"})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_demo_prints_accounts_that_sign_in_with_their_scope(demo_app):
    result = demo_app.test_cli_runner().invoke(args=["demo", "--responses", "300"])
    assert result.exit_code == 0, result.output
    accounts = {m[1]: m for m in LINE.findall(result.output)}
    assert [m[0] for m in accounts.values()] == ["administrator", "official", "official", "official"]
    scopes = sorted(m[3] for m in accounts.values())
    assert scopes[0] == "MH" and "all units" in scopes
    assert any(s.startswith("MH-S") for s in scopes) and any(s.startswith(("MH-P", "MH-X")) for s in scopes)

    commune = next(m for m in accounts.values() if m[3].startswith(("MH-P", "MH-X")))
    client = demo_app.test_client()
    response = client.post("/quan-ly/dang-nhap", data={"email": commune[1], "password": commune[2]})
    assert response.status_code == 302
    assert client.get(f"/quan-ly/don-vi/{commune[3]}").status_code == 200
    assert client.get("/quan-ly/don-vi/MH").status_code == 404
    assert client.get("/quan-ly/don-vi/MH-STP").status_code == 404
    index = client.get("/quan-ly/").get_data(as_text=True)
    assert commune[3] in index and "MH-STP" not in index

    # A second run gives new passwords: the old ones stop working.
    again = demo_app.test_cli_runner().invoke(args=["demo", "--responses", "50"])
    assert again.exit_code == 0, again.output
    assert client.get("/quan-ly/").status_code == 302           # signed out by the renewal
    response = demo_app.test_client().post("/quan-ly/dang-nhap",
                                           data={"email": commune[1], "password": commune[2]})
    assert response.status_code == 401
    with demo_app.app_context():
        assert len(db.session.scalars(select(User)).all()) == 4
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
