"""Engine settings in one place: SQLite made fit for concurrent writers, and PostgreSQL
connections checked before use when they may have been closed.

SQLite (the embedded default) gets, per connection: foreign keys on, WAL journal mode
(readers never block the writer and the writer never blocks readers), a busy timeout
(a writer waits for the write lock instead of failing at once), and pysqlite's own
transaction handling switched off so that SAVEPOINT works and we choose how a
transaction begins.  Writes that first read (a submission checks for its twin, then
inserts) begin with ``BEGIN IMMEDIATE`` through :func:`begin_write`: a deferred
transaction that upgrades from reading to writing fails at once with ``database is
locked`` when another writer committed meanwhile — the busy timeout cannot help there.

PostgreSQL connections are pinged when they leave the pool only if they may be dead
(:func:`tune_postgresql_engine`), not on every checkout as ``pool_pre_ping`` does: that
ping is a round trip per request, a tenth of a submission's cost under load.  A statement
that is a whole write alone (a submission's INSERT) runs on :func:`single_statement`: on
PostgreSQL an autocommit connection the thread keeps, checked the same way.
"""

import os
import select
import sqlite3
import threading
import time
import weakref
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session

# Seconds a SQLite writer waits for the write lock before giving up (503 then).
DEFAULT_SQLITE_BUSY_TIMEOUT = 15.0
# Seconds a pooled PostgreSQL connection may sit idle and still be used without a ping;
# pgbouncer's server_check_delay has the same default.
DEFAULT_PING_AFTER_IDLE = 30.0
BEGIN_OPTION = "sqlite_begin"
_CHECKED_IN = "sipas_checked_in"


def engine_options(config) -> dict:
    """Return ``SQLALCHEMY_ENGINE_OPTIONS`` with our defaults under the configured ones.

    PostgreSQL gets the ping of :func:`tune_postgresql_engine` instead of
    ``pool_pre_ping``, SQLite (a file: nothing to reconnect to) none; any other database
    ``pool_pre_ping``.  Setting ``pool_pre_ping`` in ``SQLALCHEMY_ENGINE_OPTIONS`` wins.
    """
    url = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    ours = {} if url.startswith(("postgresql", "sqlite")) else {"pool_pre_ping": True}
    return {**ours, **(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})}


def _server_spoke(dbapi_connection) -> bool:
    """Whether an idle connection has something to read (or is known closed).

    An idle connection is sent nothing unless the server is ending it: a backend that is
    terminated or shut down writes its last error and closes the socket, which then
    reads as ready at once — a non-blocking ``poll``, no round trip.
    """
    try:
        if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
            return True
        pgconn = getattr(dbapi_connection, "pgconn", None)          # psycopg 3
        fileno = pgconn.socket if pgconn is not None else dbapi_connection.fileno()
        poller = select.poll()          # not select(): any descriptor number works
        poller.register(fileno, select.POLLIN)
        return bool(poller.poll(0))
    except Exception:       # no socket to look at: treat it as suspect, ping
        return True


def _ping_or_raise(engine, dbapi_connection) -> None:
    """Ping; raise ``DisconnectionError`` when the connection is dead."""
    try:
        alive = engine.dialect.do_ping(dbapi_connection)
    except Exception as error:
        raise DisconnectionError(f"ping failed: {error}") from error
    if not alive:
        raise DisconnectionError("ping failed")


def _may_be_dead(dbapi_connection, idle_since: float, ping_after_idle: float) -> bool:
    return time.monotonic() - idle_since >= ping_after_idle or _server_spoke(dbapi_connection)


# Engines tuned by tune_postgresql_engine -> their ping_after_idle.
_TUNED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def tune_postgresql_engine(engine, ping_after_idle: float = DEFAULT_PING_AFTER_IDLE) -> None:
    """Replace connections the server closed when they leave the pool, cheaply.

    A connection is pinged on checkout when it sat in the pool ``ping_after_idle``
    seconds or more (a firewall or a failover may have dropped it silently), or when the
    server sent it something while idle (a restart or ``pg_terminate_backend``: see
    :func:`_server_spoke`).  A failed ping raises ``DisconnectionError``, on which the
    pool discards the connection and hands out a fresh one (SQLAlchemy's documented
    checkout-event contract), so the request never sees it.  A connection just made,
    or back in the pool a moment ago with nothing to read, is used without a round trip.
    """
    def on_checkin(dbapi_connection, connection_record):
        connection_record.info[_CHECKED_IN] = time.monotonic()

    def on_checkout(dbapi_connection, connection_record, connection_proxy):
        since = connection_record.info.pop(_CHECKED_IN, None)
        if since is None:           # connected just now for this checkout
            return
        if _may_be_dead(dbapi_connection, since, ping_after_idle):
            _ping_or_raise(engine, dbapi_connection)

    event.listen(engine, "checkin", on_checkin)
    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "engine_disposed", _release_held)
    _TUNED[engine] = ping_after_idle


class _Held(threading.local):
    connection = None       # the SQLAlchemy Connection this thread keeps, in autocommit
    pid = None              # the process that opened it
    idle_since = 0.0        # when its last statement ended


_held = _Held()
# Connections held when the process forked: the child shares their sockets with the
# parent, so it neither uses nor closes them (closing would end the parent's session).
_inherited: list = []


def _release_held(engine=None) -> None:
    """Give the thread's kept connection back (of ``engine`` only, if given)."""
    connection = _held.connection
    if connection is None or (engine is not None and connection.engine is not engine):
        return
    _held.connection = None
    if _held.pid != os.getpid():
        _inherited.append(connection)
        return
    try:
        connection.close()
    except Exception:       # already broken: the pool discards it
        connection.invalidate()


def _autocommit_connection(engine):
    """A pooled connection of ``engine`` in autocommit (reset when it goes back)."""
    connection = engine.connect()
    connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


def _kept_connection(engine, ping_after_idle: float):
    """The thread's autocommit connection to ``engine``, made or checked as needed.

    A connection idle since ``ping_after_idle`` seconds, or that the server spoke to, is
    pinged first; if the ping fails, it is discarded and a new one taken from the pool.
    """
    connection = _held.connection
    if connection is not None and (connection.engine is not engine or _held.pid != os.getpid()
                                   or connection.invalidated or connection.closed):
        _release_held()
        connection = None
    if connection is not None and _may_be_dead(connection.connection.dbapi_connection,
                                               _held.idle_since, ping_after_idle):
        try:
            _ping_or_raise(engine, connection.connection.dbapi_connection)
        except DisconnectionError:
            connection.invalidate()
            _release_held()
            connection = None
    if connection is None:
        connection = _autocommit_connection(engine)
        _held.connection, _held.pid = connection, os.getpid()
    return connection


@contextmanager
def single_statement(engine):
    """A connection for one statement that is a whole write, committed when it ends.

    On a PostgreSQL engine tuned by :func:`tune_postgresql_engine`, and in a process's
    main thread (a sync server worker's, where requests follow one another), the thread
    keeps one connection in autocommit across requests: no pool checkout and return, no
    ``BEGIN``/``COMMIT`` round trips, no session.  It is checked like a pooled one (a ping
    when idle ``ping_after_idle`` seconds or when the server spoke to it), replaced after
    a disconnection (the statement then raises: a retry is the caller's), given back when
    the engine is disposed, never touched after a fork; after any error in the statement
    it is given back to the pool and the next statement starts afresh.  Elsewhere — other
    threads (the threaded development server makes one per request), SQLite, other
    databases — a pooled connection for the statement: in autocommit on PostgreSQL, else
    in a transaction (on SQLite our ``BEGIN`` then ``COMMIT``).
    """
    ping_after_idle = _TUNED.get(engine)
    if ping_after_idle is not None and threading.current_thread() is threading.main_thread():
        connection = _kept_connection(engine, ping_after_idle)
        try:
            yield connection
        except BaseException:
            # Whatever went wrong, the next statement starts on a connection in a known state.
            _release_held()
            raise
        finally:
            _held.idle_since = time.monotonic()
        return
    if engine.dialect.name == "postgresql":
        with _autocommit_connection(engine) as connection:
            yield connection
        return
    with engine.begin() as connection:
        yield connection


def prepare_options(options: dict, busy_timeout: float) -> None:
    """Add the busy timeout to the DBAPI arguments of a SQLite engine's ``options``."""
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("timeout", busy_timeout)
    options["connect_args"] = connect_args


def tune_sqlite_engine(engine, busy_timeout: float) -> None:
    """Attach the per-connection settings and our BEGIN to a SQLite ``engine``."""
    milliseconds = int(busy_timeout * 1000)

    def on_connect(dbapi_connection, connection_record):
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        # The recipe of SQLAlchemy's pysqlite docs ("Serializable isolation / Savepoints /
        # Transactional DDL"): no implicit transactions, we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {milliseconds}")
        # Persistent in the file; in-memory databases answer "memory" and stay so.  The
        # default synchronous=FULL is kept: an answer acknowledged with 201 survives a
        # power cut.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    def on_begin(connection):
        if connection.get_execution_options().get(BEGIN_OPTION) == "IMMEDIATE":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)


def begin_write(session: Session) -> None:
    """Make the session's next statements run in a write transaction that holds the lock.

    On SQLite this commits what the session did so far (its reads) and begins again with
    ``BEGIN IMMEDIATE``, which waits for the write lock (up to the busy timeout) before
    anything is read, so the insert that follows cannot fail on a lock upgrade.  Elsewhere
    it does nothing: PostgreSQL handles concurrent writers itself.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    session.commit()
    session.connection(execution_options={BEGIN_OPTION: "IMMEDIATE"})


def is_database_locked(error: Exception) -> bool:
    """Return True for SQLite's ``database is locked`` (the busy timeout ran out)."""
    return "database is locked" in str(getattr(error, "orig", error))
