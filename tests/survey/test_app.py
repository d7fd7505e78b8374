"""The application factory's configuration and locale selection."""

import pytest

from survey import create_app
from survey.config import DEV_SECRET_KEY, database_url


def test_database_url_from_environment_uses_psycopg(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.example/sipas")
    monkeypatch.setenv("SECRET_KEY", "s")
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/sipas"
    assert database_url("postgres://h/x") == "postgresql+psycopg://h/x"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_defaults(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/sipas.sqlite3")
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert app.config["BABEL_DEFAULT_LOCALE"] == "vi"
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert {"public", "api"} <= set(app.blueprints)
    assert {"db-upgrade", "init-db", "demo"} <= set(app.cli.commands)


def test_translations_directory_is_the_top_level_one():
    app = create_app({"TESTING": True})
    import os

    path = os.path.normpath(os.path.join(app.root_path, app.config["BABEL_TRANSLATION_DIRECTORIES"]))
    assert path == os.path.normpath(os.path.join(app.root_path, os.pardir, "translations"))


def test_missing_secret_key_refuses_to_start_outside_testing(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    for config in ({}, {"SECRET_KEY": DEV_SECRET_KEY}, {"SECRET_KEY": ""}):
        with pytest.raises(RuntimeError, match="SECRET_KEY") as refused:
            create_app(config)
        assert "instance/config.py" in str(refused.value)
    # Testing and debug runs may use the development key.
    assert create_app({"TESTING": True}).config["SECRET_KEY"] == DEV_SECRET_KEY
    assert create_app({"DEBUG": True}).debug


def test_secret_key_from_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert create_app({}).config["SECRET_KEY"] == "from-the-environment"


@pytest.mark.parametrize("env, secure", [({}, False), ({"PREFERRED_URL_SCHEME": "https"}, True),
                                         ({"SESSION_COOKIE_SECURE": "1"}, True),
                                         ({"PREFERRED_URL_SCHEME": "https",
                                           "SESSION_COOKIE_SECURE": "0"}, False)])
def test_session_cookie_secure_setting(monkeypatch, env, secure):
    for name in ("PREFERRED_URL_SCHEME", "SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert create_app({"TESTING": True}).config["SESSION_COOKIE_SECURE"] is secure


def test_locale_from_lang_cookie():
    from flask_babel import get_locale

    app = create_app({"TESTING": True, "SECRET_KEY": "t"})
    for cookie, expected in [(None, "vi"), ("en", "en"), ("vi", "vi"), ("fr", "vi")]:
        headers = {"Cookie": f"lang={cookie}"} if cookie else {}
        with app.test_request_context("/", headers=headers):
            assert str(get_locale()) == expected


def test_the_cookie_session_is_signed_and_read_only_when_a_cookie_comes(monkeypatch):
    """No session cookie: an empty session without building the signer.  A cookie: read
    (and a tampered one ignored) by Flask's own code, as before."""
    from flask import session

    app = create_app({"TESTING": True, "SECRET_KEY": "k" * 32,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    @app.get("/_session")
    def show():
        session.setdefault("visits", 0)
        session["visits"] += 1
        return str(session["visits"])

    client = app.test_client()
    interface = app.session_interface
    built = []
    real = type(interface).get_signing_serializer
    monkeypatch.setattr(type(interface), "get_signing_serializer",
                        lambda self, a: built.append("open") or real(self, a))
    assert client.get("/_session").data == b"1"
    assert built == ["open"]            # once, to sign the new cookie; not to open none
    assert client.get("/_session").data == b"2"     # the cookie is read and verified
    assert len(built) == 3
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "tampered.value.sig")
    assert client.get("/_session").data == b"1"
