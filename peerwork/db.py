"""Engine, session and declarative base.

Plain SQLAlchemy 2 (no Flask-SQLAlchemy): the same `Database` serves web
requests, RQ jobs and tests. Web requests use the scoped `session`, removed at
the end of each app context.
"""

from __future__ import annotations

import functools
import os
import select
import weakref

from flask import current_app
from sqlalchemy import MetaData, create_engine, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not pysqlite, decide where transactions begin, so that
    # SAVEPOINTs work (tests roll back per test) and writers wait for each other.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # IMMEDIATE takes the write lock up front: web, worker and scheduler share
    # one SQLite file, and a deferred transaction that later writes can fail
    # with SQLITE_BUSY instead of waiting its turn.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine with the settings each backend needs."""
    # A failed statement's parameters (message text, encrypted numbers) would otherwise be
    # part of the exception text, which ends in logs and in RQ's failed-job registry.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if "pool_pre_ping" in kwargs or not _socket_checked(url):
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "checkout", _refuse_closed_by_server)
    event.listen(engine, "before_cursor_execute", _begin_before_first_write)
    event.listen(engine, "checkin", _transactional_again(engine.dialect.loaded_dbapi.Error))
    return engine


def _socket_checked(url: str) -> bool:
    # psycopg 3 (the driver peerwork installs) exposes its socket and its state.
    return url.startswith("postgresql+psycopg:") or url.startswith("postgresql+psycopg://")


def closed_by_server(dbapi_connection) -> bool:
    """Has the server closed (or begun closing) this idle pooled connection? No round trip.

    An idle connection has nothing to read: when its socket is readable, the
    server has hung up (a restart, `pg_terminate_backend`, an idle timeout:
    each sends its FATAL and/or closes the socket) or sent something unasked.
    Either way the connection is not used again.
    """
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    poller = select.poll()  # not select.select: a busy worker's descriptors may pass 1024
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def _refuse_closed_by_server(dbapi_connection, _record, _proxy) -> None:
    # The pessimistic check without the round trip of `pool_pre_ping` (one of
    # the webhook's five): the pool replaces a refused connection and retries
    # (SQLAlchemy "Disconnect Handling - Pessimistic", custom checkout event).
    if closed_by_server(dbapi_connection):
        raise exc.DisconnectionError("the server closed this pooled connection")


def _forget_pool(engine_ref) -> None:
    engine = engine_ref()
    if engine is not None:
        engine.dispose(close=False)


# -- a transaction that begins at its first write (PostgreSQL) ------------------------

# Execution option of a statement that is its transaction's only write: it runs
# on its own (PostgreSQL makes one statement atomic), with no BEGIN and COMMIT.
LONE_WRITE = "peerwork_lone_write"
_DEFERRED = "peerwork_begin_at_first_write"
_LOCKING = (" FOR UPDATE", " FOR NO KEY UPDATE", " FOR SHARE", " FOR KEY SHARE")


def begin_at_first_write(session: Session) -> bool:
    """Send this session's BEGIN just before its first write, not before its first read.

    PostgreSQL only (elsewhere nothing changes; False). The connection runs
    in the driver's autocommit mode until a statement that writes or locks
    rows, which is preceded by BEGIN; from there it is one transaction as
    usual, ended by the session's commit or rollback. Under READ COMMITTED
    (peerwork's level) a plain SELECT sees the same data inside a
    transaction or out, and holds no row lock, so only the round trips
    change: a transaction whose one write is marked `LONE_WRITE` costs no
    BEGIN and no COMMIT at all (the inbound webhook's returning texter).
    A session already in a transaction (the tests' outer one) is left as it is.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql" or _DEFERRED in connection.info:
        return False
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.autocommit or dbapi_connection.info.transaction_status.name != "IDLE":
        return False
    dbapi_connection.autocommit = True
    connection.info[_DEFERRED] = True
    return True


def _begin_before_first_write(conn, cursor, statement, _params, context, _many) -> None:
    if not conn.info.get(_DEFERRED):
        return
    if conn.connection.dbapi_connection.info.transaction_status.name != "IDLE":
        return  # the transaction has begun
    if context is not None and context.execution_options.get(LONE_WRITE):
        return
    if statement[:6].upper() == "SELECT":
        upper = statement.upper()
        if not any(lock in upper for lock in _LOCKING):
            return
    cursor.execute("BEGIN")


def _transactional_again(driver_error: type[Exception]):
    def checkin(dbapi_connection, record) -> None:
        # Back in the pool (after its reset), the connection is transactional again.
        if not record.info.pop(_DEFERRED, None) or dbapi_connection is None:
            return
        try:
            dbapi_connection.autocommit = False
        except driver_error:
            record.invalidate()  # broken: never handed out again in autocommit

    return checkin


class AppSession(Session):
    """A session bound to the current app's engine unless given a bind.

    Several apps may live in one process (tests, the CLI): each keeps its own
    engine, and a session asks the app in context for it at first use.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is not None:
            return bind
        if self.bind is not None:
            return self.bind
        return current_app.extensions["peerwork.db"]


class Database:
    """The session factory shared by every app; engines live on each app."""

    def __init__(self) -> None:
        self.session_factory = sessionmaker(class_=AppSession, expire_on_commit=False)
        self.session = scoped_session(self.session_factory)

    def init_app(self, app) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["peerwork.db"] = engine
        app.teardown_appcontext(self._remove_session)
        # A forked child (RQ's work horse or scheduler, a gunicorn worker of a
        # preloaded app) never uses a pooled connection of its parent (SQLAlchemy
        # "Using Connection Pools with Multiprocessing"): it forgets them without
        # closing them (they are the parent's). A weak reference: fork hooks
        # cannot be removed, and must not keep every app's engine of a test run alive.
        os.register_at_fork(after_in_child=functools.partial(_forget_pool, weakref.ref(engine)))

    @property
    def engine(self) -> Engine:
        """The current app's engine."""
        return current_app.extensions["peerwork.db"]

    def _remove_session(self, _exc=None) -> None:
        self.session.remove()
