"""Engine, session and declarative base.

Plain SQLAlchemy 2 (no Flask-SQLAlchemy): the same `Database` serves web
requests, RQ jobs and tests. Web requests use the scoped `session`, removed at
the end of each app context.
"""

from __future__ import annotations

import functools
import os
import weakref

from flask import current_app
from sqlalchemy import MetaData, create_engine, event
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
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _forget_pool(engine_ref) -> None:
    engine = engine_ref()
    if engine is not None:
        engine.dispose(close=False)


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
