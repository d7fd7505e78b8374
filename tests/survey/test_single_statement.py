"""The connection a submission's INSERT runs on (``survey.database.single_statement``).

On PostgreSQL a sync worker's thread keeps one autocommit connection across requests;
it must be as safe as a pooled one: checked when it may be dead, replaced after a
disconnection, given back on dispose or after an error, never shared across a fork.
Elsewhere each statement takes a pooled connection and gives it back.
"""

import threading
import uuid

import pytest
from sqlalchemy import event, func, select, text

from survey import database
from survey.database import single_statement
from survey.extensions import db
from survey.models import Response
from tests.survey.api.test_api_responses import GOOD_ANSWERS, URL
from tests.survey.test_pool_ping import kiosk_headers, terminate_app_connections

on_postgresql = pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
on_sqlite = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)

BACKEND_PID = text("SELECT pg_backend_pid()")


@pytest.fixture
def checkouts(app):
    """Connections the app's engine hands out of its pool, counted."""
    taken = []
    with app.app_context():
        engine = db.engine
    listener = lambda dbapi_connection, record, proxy: taken.append(record)  # noqa: E731
    event.listen(engine, "checkout", listener)
    yield taken
    event.remove(engine, "checkout", listener)


def statement_pid(app) -> int:
    with app.app_context(), single_statement(db.engine) as connection:
        return connection.scalar(BACKEND_PID)


@on_postgresql
def test_the_main_thread_keeps_one_connection_without_checkouts(app, checkouts, pings):
    first = statement_pid(app)
    assert len(checkouts) == 1
    assert [statement_pid(app) for _ in range(5)] == [first] * 5
    assert len(checkouts) == 1          # no pool round trip after the first
    assert pings == []                  # used a moment ago, the server silent: no ping
    with app.app_context(), single_statement(db.engine) as connection:
        assert connection.connection.dbapi_connection.autocommit is True


@on_postgresql
def test_a_kept_connection_commits_each_statement_alone(app, database_url):
    submission_id = str(uuid.uuid4())
    with app.app_context():
        with single_statement(db.engine) as connection:
            connection.execute(text("CREATE TEMPORARY TABLE t (x text)"))
            connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": submission_id})
        # Seen by the same connection later, and nothing is pending: a failing statement
        # does not undo it.
        with pytest.raises(Exception), single_statement(db.engine) as connection:
            connection.execute(text("SELECT 1/0"))
    # The failure gave the connection back (temporary tables end with the connection's
    # session only when it closes: the pool keeps it, so the row is still there).
    with app.app_context():
        assert database._held.connection is None
        pid = db.session.scalar(BACKEND_PID)
        rows = db.session.scalars(text("SELECT x FROM t")).all()
    assert rows == [submission_id], pid


@on_postgresql
def test_an_idle_kept_connection_is_pinged_and_kept(app, pings):
    first = statement_pid(app)
    database._held.idle_since -= app.config["DATABASE_PING_AFTER_IDLE"] + 1
    assert statement_pid(app) == first
    assert len(pings) == 1
    assert statement_pid(app) == first
    assert len(pings) == 1


@on_postgresql
def test_an_idle_kept_connection_silently_dropped_is_replaced(app, pings, monkeypatch):
    first = statement_pid(app)
    with app.app_context():
        monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: pings.append(conn) or False)
    database._held.idle_since -= app.config["DATABASE_PING_AFTER_IDLE"] + 1
    assert statement_pid(app) != first
    assert len(pings) == 1


@on_postgresql
def test_a_kept_connection_the_server_ended_is_replaced_without_waiting(app, database_url, pings):
    first = statement_pid(app)
    assert terminate_app_connections(database_url) >= 1
    assert statement_pid(app) != first
    assert len(pings) == 1              # the dead one, seen readable; the new one not pinged


@on_postgresql
def test_dispose_gives_the_kept_connection_back(app, database_url):
    statement_pid(app)
    kept = database._held.connection
    assert kept is not None and not kept.closed
    with app.app_context():
        db.engine.dispose()
    assert kept.closed
    assert database._held.connection is None


@on_postgresql
def test_a_connection_kept_before_a_fork_is_left_to_the_parent(app, monkeypatch):
    first = statement_pid(app)
    kept = database._held.connection
    monkeypatch.setattr(database, "_inherited", [])
    monkeypatch.setattr(database._held, "pid", -1)      # as a forked child sees it
    assert statement_pid(app) != first
    assert database._inherited == [kept]
    assert not kept.closed                  # closing would end the parent's session


@on_postgresql
def test_other_threads_take_a_pooled_connection_and_give_it_back(app, checkouts):
    kept_before = database._held.connection
    seen = {}

    def work():
        with app.app_context():
            with single_statement(db.engine) as connection:
                seen["autocommit"] = connection.connection.dbapi_connection.autocommit
                seen["checked_out"] = db.engine.pool.checkedout()
            seen["after"] = db.engine.pool.checkedout()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert seen == {"autocommit": True, "checked_out": 1, "after": 0}
    assert len(checkouts) == 1
    assert database._held.connection is kept_before


@on_sqlite
def test_on_sqlite_a_statement_is_a_transaction_of_its_own(app, checkouts):
    with app.app_context():
        db.session.execute(text("CREATE TABLE t (x text)"))
        db.session.commit()
        with single_statement(db.engine) as connection:
            assert connection.in_transaction()
            connection.execute(text("INSERT INTO t VALUES ('kept')"))
        with pytest.raises(RuntimeError), single_statement(db.engine) as connection:
            connection.execute(text("INSERT INTO t VALUES ('undone')"))
            raise RuntimeError("after the statement")
        assert db.session.scalars(text("SELECT x FROM t")).all() == ["kept"]
        assert db.engine.pool.checkedout() == 1         # the session's only
    assert len(checkouts) == 4      # one per statement, the session one before and one after
    assert database._held.connection is None


@on_postgresql
def test_a_submission_whose_connection_is_lost_under_it_is_stored_once(
        app, client, mini_link, database_url, monkeypatch):
    """A disconnection the checks cannot see is met on the INSERT: retried on a new one."""
    wave, point = mini_link
    kiosk = kiosk_headers(app, point)

    def submit():
        body = {"wave": wave, "point": point, "submission_id": str(uuid.uuid4()),
                "answers": dict(GOOD_ANSWERS)}
        return client.post(URL, json=body, headers=kiosk).status_code

    assert submit() == 201          # the first reads the set-up: the session's transaction
    assert submit() == 201          # the next ones: the INSERT alone, on the kept connection
    kept = database._held.connection
    assert kept is not None
    # The server ends it, and the checks miss it (as when it dies between check and use).
    monkeypatch.setattr(database, "_may_be_dead", lambda *args: False)
    assert terminate_app_connections(database_url) >= 1
    assert submit() == 201
    assert database._held.connection is not kept
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 3


@pytest.mark.parametrize("db_backend", ["postgresql", "sqlite"], indirect=True)
def test_the_same_submission_raced_by_the_kept_and_pooled_connections_is_stored_once(
        app, mini_link):
    """The main thread's INSERT (its kept connection on PostgreSQL) against the same body
    sent at the same moment from other threads (pooled connections): one 201, one row."""
    wave, point = mini_link
    kiosk = kiosk_headers(app, point)
    body = {"wave": wave, "point": point, "answers": dict(GOOD_ANSWERS)}
    # Warm the main thread's caches: its next INSERT goes alone.
    assert app.test_client().post(URL, json={**body, "submission_id": str(uuid.uuid4())},
                                  headers=kiosk).status_code == 201
    raced = {**body, "submission_id": str(uuid.uuid4())}
    barrier = threading.Barrier(6)
    statuses = []

    def submit():
        client = app.test_client()
        barrier.wait(timeout=30)
        statuses.append(client.post(URL, json=raced, headers=kiosk).status_code)

    threads = [threading.Thread(target=submit) for _ in range(5)]
    for thread in threads:
        thread.start()
    submit()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [200] * 5 + [201]
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))
                                 .where(Response.submission_id == raced["submission_id"])) == 1
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert database._held.connection is not None
