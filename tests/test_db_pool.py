"""Pooled PostgreSQL connections the server hung up on are replaced, with no ping round trip.

`peerwork.db.make_engine` checks a pooled connection at checkout by looking
at its socket (`closed_by_server`) instead of `pool_pre_ping`'s SELECT: one
round trip fewer per request (see benchmarks/webhook.py). A restarted or
terminated server backend must still never reach a request as an error.
PostgreSQL only: a SQLite file has no server to hang up (the CI's PostgreSQL
pass runs these).
"""

from __future__ import annotations

import select

import pytest
from sqlalchemy import create_engine, text

from peerwork.db import closed_by_server, make_engine

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def postgres_url(database_url):
    assert database_url.startswith("postgresql"), "postgres_only tests run on PostgreSQL"
    return database_url


def _terminate(url: str, pid: int) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def _wait_until_readable(dbapi_connection) -> None:
    # Not a timing: the server's goodbye reaches the socket soon after the
    # terminate returns; wait for it (up to 10 s) rather than guess.
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    assert poller.poll(10_000), "the terminated backend's socket never became readable"


def test_a_connection_the_server_terminated_is_replaced_before_use(postgres_url):
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
            pooled = conn.connection.dbapi_connection
        assert not closed_by_server(pooled)  # healthy and idle: nothing to read
        _terminate(postgres_url, first_pid)
        _wait_until_readable(pooled)
        assert closed_by_server(pooled)
        with engine.connect() as conn:  # would raise OperationalError without the check
            second_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        assert second_pid != first_pid
    finally:
        engine.dispose()


def test_checking_out_a_healthy_connection_sends_nothing_to_the_server(postgres_url):
    engine = make_engine(postgres_url)
    cursors: list[str] = []
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            dbapi_connection = conn.connection.dbapi_connection
        real_cursor = dbapi_connection.cursor

        def counting_cursor(*args, **kwargs):
            cursors.append("opened")
            return real_cursor(*args, **kwargs)

        dbapi_connection.cursor = counting_cursor
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection is dbapi_connection  # the pooled one
        assert cursors == []  # pool_pre_ping would have run its SELECT in a cursor here
    finally:
        engine.dispose()
