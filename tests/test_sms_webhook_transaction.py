"""The inbound webhook's transaction begins at its first write (peerwork.db.begin_at_first_write).

On PostgreSQL a returning texter's text is one SELECT and one INSERT with no
BEGIN or COMMIT round trip; anything more than that one INSERT still runs in
one transaction, all or nothing. Committed tests: the per-test outer
transaction would hide exactly what is measured here. The round-trip counts
are PostgreSQL's (a SQLite file has no round trips); the all-or-nothing
tests run on both backends.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from peerwork.db import begin_at_first_write
from peerwork.extensions import db
from peerwork.models import Message, Texter
from peerwork.texter import inbound
from tests.sms_helpers import Phone

pytestmark = pytest.mark.committed

NUMBER = "+17165550177"


@pytest.fixture
def program(make, session):
    program = make.program(name="Acme Peer Line")
    session.commit()
    return program


@pytest.fixture
def transaction_commands(monkeypatch):
    """BEGIN/COMMIT/ROLLBACK the PostgreSQL driver sends (psycopg sends them as commands)."""
    assert db.engine.dialect.name == "postgresql", "round trips are PostgreSQL's"
    import psycopg

    sent: list[str] = []
    original = psycopg.Connection._exec_command

    def counted(self, command, *args, **kwargs):
        sent.append(bytes(command).decode() if not isinstance(command, str) else command)
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "_exec_command", counted)
    return sent


def _count(model) -> int:
    """Rows committed (the session is left with no transaction open, as a request finds it)."""
    db.session.remove()
    try:
        return db.session.scalar(select(func.count()).select_from(model))
    finally:
        db.session.remove()


@pytest.mark.postgres_only
def test_a_returning_texters_text_costs_no_begin_or_commit(
    client, program, transaction_commands, session
):
    phone = Phone(client, program, NUMBER)
    phone.sends("hi")  # first contact: the texter, the message and the welcome, together
    assert transaction_commands == ["COMMIT"]  # and its BEGIN went in the cursor, see below
    transaction_commands.clear()

    phone.sends("work has been a lot lately")

    assert transaction_commands == []
    db.session.remove()
    stored = session.scalars(select(Message.body).where(Message.direction == "inbound")).all()
    assert sorted(stored) == ["hi", "work has been a lot lately"]
    with db.engine.connect() as conn:  # the pooled connection is transactional again
        assert conn.connection.dbapi_connection.autocommit is False


def test_the_same_message_twice_is_still_stored_once(client, program, session):
    phone = Phone(client, program, NUMBER)
    phone.sends("hi")
    first = phone.sends("work has been a lot lately", sid="SM" + "7" * 32)
    again = phone.sends("work has been a lot lately", sid="SM" + "7" * 32)
    assert first == again
    db.session.remove()
    assert (
        session.scalar(select(func.count()).where(Message.body == "work has been a lot lately"))
        == 1
    )


def test_a_first_contact_is_all_or_nothing(client, program, monkeypatch):
    """Texter and message are written together: a failure after the texter leaves neither."""
    original = inbound._insert_unless_taken

    def failing(session, model, values, **kwargs):
        if model is Message:
            raise RuntimeError("the message INSERT failed")
        return original(session, model, values, **kwargs)

    monkeypatch.setattr(inbound, "_insert_unless_taken", failing)
    client.application.testing = False  # a 500, as in production, not the exception
    try:
        with pytest.raises(AssertionError):
            Phone(client, program, NUMBER).sends("hi")
    finally:
        client.application.testing = True
    assert _count(Texter) == 0
    assert _count(Message) == 0


def test_a_crisis_text_and_its_crisis_reply_are_written_together(client, program, monkeypatch):
    phone = Phone(client, program, NUMBER)
    phone.sends("hi")
    before = _count(Message)
    original = inbound._insert_unless_taken

    def failing(session, model, values, **kwargs):
        if model is Message:
            # The crisis reply's record is pending in the session: this INSERT is not alone.
            assert not kwargs.get("lone_write")
            session.flush()  # the reply record reaches the database first...
            raise RuntimeError("...then the message INSERT fails")
        return original(session, model, values, **kwargs)

    monkeypatch.setattr(inbound, "_insert_unless_taken", failing)
    client.application.testing = False
    try:
        with pytest.raises(AssertionError):
            phone.sends("i want to kill myself tonight")
    finally:
        client.application.testing = True
    assert _count(Message) == before  # the reply's row went with the failed message


def test_a_session_already_in_a_transaction_is_left_as_it_is(app, session):
    session.execute(text("SELECT 1"))
    connection = session.connection()
    autocommit_before = (
        connection.connection.dbapi_connection.autocommit
        if connection.dialect.name == "postgresql"
        else None
    )
    assert begin_at_first_write(session) is False
    if connection.dialect.name == "postgresql":
        assert connection.connection.dbapi_connection.autocommit == autocommit_before
    session.rollback()
