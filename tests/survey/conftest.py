"""Fixtures shared by the tests of ``survey``'s database connections."""

import pytest

from survey.extensions import db


@pytest.fixture
def pings(app, monkeypatch):
    """The pings the app's engine sends, counted."""
    sent = []
    with app.app_context():
        dialect = db.engine.dialect
        real = dialect.do_ping

        def counted(dbapi_connection):
            sent.append(dbapi_connection)
            return real(dbapi_connection)

        monkeypatch.setattr(dialect, "do_ping", counted)
    return sent
