"""The audit log: a line for each audited action, and a database that refuses to change
or delete lines — on both backends, made by ``create_all`` and by the migrations."""

import datetime as dt

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from survey import create_app
from survey.extensions import db
from survey.migrate import upgrade
from survey.models import AuditEvent, User
from survey.services import accounts, audit
from tests.survey.officials.conftest import PASSWORD, official, province, sign_in  # noqa: F401  (fixtures)


def _events(app, action=None):
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(db.session.scalars(query))


def test_record_fills_codes_and_the_signed_in_actor(app, make_unit, make_wave):
    unit, wave = make_unit("AU-1"), make_wave("AU-W")
    with app.app_context():
        event = audit.record("import.units", unit=unit, wave="AU-W", details={"added": 3})
        db.session.commit()
        assert (event.unit_code, event.wave_code, event.actor_id, event.address) == ("AU-1", "AU-W", None, None)
        assert event.details == {"added": 3}
        assert event.at <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with pytest.raises(ValueError):
        with app.app_context():
            audit.record("")


def test_record_joins_the_callers_transaction(app):
    with app.app_context():
        audit.record("import.units")
        db.session.rollback()
    assert _events(app) == []


def _refuse(app, statement):
    with app.app_context():
        with pytest.raises(DatabaseError) as info:
            db.session.execute(statement)
            db.session.commit()
        db.session.rollback()
    assert "append-only" in str(info.value)


def test_the_database_refuses_to_update_or_delete_lines(app):
    with app.app_context():
        audit.record("sign_in", details={"x": 1})
        db.session.commit()
    _refuse(app, update(AuditEvent).values(action="forged"))
    _refuse(app, delete(AuditEvent))
    _refuse(app, text("UPDATE audit_events SET address = '1.2.3.4'"))
    assert [e.action for e in _events(app)] == ["sign_in"]


def test_a_migrated_database_refuses_too(fresh_database):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": fresh_database()})
    upgrade(app)
    with app.app_context():
        audit.record("sign_in")
        db.session.commit()
    _refuse(app, update(AuditEvent).values(action="forged"))
    _refuse(app, delete(AuditEvent))
    with app.app_context():
        db.engine.dispose()


def test_sign_in_sign_out_and_failures_are_audited_with_the_address(app, client, make_user):
    user = make_user(role="methodologist")
    sign_in(client, user.email, "wrong password")
    sign_in(client, user.email)
    client.post("/quan-ly/dang-xuat")
    events = _events(app)
    assert [(e.action, e.actor_email, e.address) for e in events] == [
        ("sign_in.failed", user.email, "127.0.0.1"),
        ("sign_in", user.email, "127.0.0.1"),
        ("sign_out", user.email, "127.0.0.1"),
    ]
    assert events[0].details == {"reason": "password", "failures": 1}


def test_downloads_are_audited_with_unit_wave_and_format(app, official, province):
    official.get("/quan-ly/don-vi/XA-A/du-lieu.csv?wave=2025&channel=online").get_data()
    official.get("/quan-ly/don-vi/XA-A/bao-cao.pdf?wave=2026")
    official.get("/quan-ly/don-vi/XA-A/du-lieu.xlsx")
    downloads = [e for e in _events(app) if e.action.endswith("downloaded")]
    assert [(e.action, e.unit_code, e.wave_code, e.details["format"]) for e in downloads] == [
        ("export.downloaded", "XA-A", "2025", "csv"),
        ("report.downloaded", "XA-A", "2026", "pdf"),
        ("export.downloaded", "XA-A", "2026", "xlsx"),
    ]
    assert downloads[0].details["channel"] == "online"
    assert all(e.actor_id == official.user.id and e.address is None for e in downloads)


def test_refused_download_is_not_audited(app, sign_in_as, province):
    client = sign_in_as("official", units=[province.communes[0]])
    assert client.get("/quan-ly/don-vi/XA-B/du-lieu.csv").status_code == 404
    assert [e for e in _events(app) if e.action.endswith("downloaded")] == []


def test_account_changes_are_audited(app, make_unit):
    unit, other = make_unit("AU-A"), make_unit("AU-B")
    with app.app_context():
        admin, _ = accounts.create_user("boss@test.example", "administrator")
        user, _ = accounts.create_user("Ana@Test.example", "official", ["AU-A"], actor=admin)
        accounts.update_user(user, role="desk_operator", unit_codes=["AU-B"], actor=admin)
        accounts.issue_reset_token(user, actor=admin)
        accounts.set_password(user, "another password", actor=admin, how="admin")
        accounts.disable_user(user, actor=admin)
    events = _events(app)
    assert [e.action for e in events] == ["user.created", "user.created", "user.changed",
                                         "password.reset_issued", "password.changed", "user.disabled"]
    assert events[1].details == {"email": "ana@test.example", "role": "official", "units": ["AU-A"]}
    assert events[1].actor_email == "boss@test.example"
    assert events[2].details == {"email": "ana@test.example", "role": ["official", "desk_operator"],
                                 "units": [["AU-A"], ["AU-B"]]}
    # No password or token ever reaches the log.
    with app.app_context():
        dumped = str([(e.details, e.action) for e in events])
    assert "another password" not in dumped


def test_refused_account_changes_write_nothing(app, make_unit):
    make_unit("AU-C")
    with app.app_context():
        for args in [("bad", "official", ["AU-C"]), ("a@test.example", "boss", ["AU-C"]),
                     ("a@test.example", "official", ["AU-C", "NOPE"]),
                     ("a@test.example", "official", []), ("a@test.example", "administrator", ["AU-C"])]:
            with pytest.raises(accounts.AccountError):
                accounts.create_user(*args)
        db.session.rollback()
        assert db.session.scalars(select(User)).all() == []
    assert _events(app) == []
