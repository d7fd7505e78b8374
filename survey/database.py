"""Engine settings in one place: SQLite made fit for concurrent writers, pre-ping everywhere.

SQLite (the embedded default) gets, per connection: foreign keys on, WAL journal mode
(readers never block the writer and the writer never blocks readers), a busy timeout
(a writer waits for the write lock instead of failing at once), and pysqlite's own
transaction handling switched off so that SAVEPOINT works and we choose how a
transaction begins.  Writes that first read (a submission checks for its twin, then
inserts) begin with ``BEGIN IMMEDIATE`` through :func:`begin_write`: a deferred
transaction that upgrades from reading to writing fails at once with ``database is
locked`` when another writer committed meanwhile — the busy timeout cannot help there.
"""

import sqlite3

from sqlalchemy import event
from sqlalchemy.orm import Session

# Seconds a SQLite writer waits for the write lock before giving up (503 then).
DEFAULT_SQLITE_BUSY_TIMEOUT = 15.0
BEGIN_OPTION = "sqlite_begin"


def engine_options(config) -> dict:
    """Return ``SQLALCHEMY_ENGINE_OPTIONS`` with our defaults under the configured ones."""
    # Pre-ping: a connection the server closed (restart, failover, idle timeout) is
    # replaced before use instead of failing the request that drew it from the pool.
    return {"pool_pre_ping": True, **(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})}


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
