"""The app factory, settings, schema constraints and the test plumbing itself."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from peerwork.extensions import db
from peerwork.models import Conversation, Message, SupportRequest, Texter
from tests.conftest import rolled_back_transaction


def test_dialect_matches_requested_backend(app, session):
    import os

    expected = "postgresql" if os.environ.get("PEERWORK_TEST_DATABASE_URL") else "sqlite"
    assert session.get_bind().dialect.name == expected


def test_redis_is_real_server(app):
    import os

    from peerwork.extensions import get_redis

    info = get_redis(app).info("server")
    assert info["redis_version"]
    if os.environ.get("PEERWORK_TEST_REDIS_URL"):
        assert "6379" in app.config["REDIS_URL"]
    else:
        assert app.config["REDIS_URL"].startswith("unix://")


def test_login_page_served(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Sign in" in response.data
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_one_texter_per_program_per_phone_hash(make, session):
    program = make.program()
    make.texter(program, "+17165550101")
    with pytest.raises(IntegrityError):
        make.texter(program, "+17165550101")


def test_inbound_message_sid_is_unique(make, session, now):
    program = make.program()
    texter = make.texter(program)
    for _ in range(2):
        session.add(
            Message(
                program_id=program.id,
                direction="inbound",
                author="texter",
                texter_id=texter.id,
                body="hi",
                twilio_sid="SM1",
                status="received",
                created_at=now,
            )
        )
    with pytest.raises(IntegrityError):
        session.flush()


def test_one_conversation_per_request(make, session, now):
    program = make.program()
    texter = make.texter(program)
    request = SupportRequest(
        program_id=program.id, texter_id=texter.id, state="matched", created_at=now
    )
    session.add(request)
    session.flush()
    a, b = make.peer(program), make.peer(program)
    session.add(
        Conversation(
            program_id=program.id,
            request_id=request.id,
            texter_id=texter.id,
            peer_profile_id=a.id,
            started_at=now,
        )
    )
    session.flush()
    session.add(
        Conversation(
            program_id=program.id,
            request_id=request.id,
            texter_id=texter.id,
            peer_profile_id=b.id,
            started_at=now,
            state="ended",
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


@pytest.mark.committed
def test_what_a_test_writes_and_commits_is_gone_after_it(app):
    """The per-test transaction itself: a commit inside it is invisible outside and rolled back."""
    from peerwork.models import Organization

    def rows_seen_from_outside() -> int:
        with db.engine.connect() as conn:
            return conn.scalar(
                select(func.count()).select_from(Organization).where(Organization.slug == "iso")
            )

    with rolled_back_transaction():
        db.session.add(Organization(name="Isolation check", slug="iso"))
        db.session.commit()  # what application code does: only a SAVEPOINT is released
        assert db.session.scalar(select(Organization).where(Organization.slug == "iso"))
        if db.engine.dialect.name == "postgresql":  # SQLite's readers wait on the writer's lock
            assert rows_seen_from_outside() == 0
    assert rows_seen_from_outside() == 0


def test_phone_is_encrypted_and_hashed(make, session):
    program = make.program()
    texter = make.texter(program, "+17165550123")
    row = session.get(Texter, texter.id)
    assert b"7165550123" not in bytes(row.phone_encrypted)
    assert "7165550123" not in row.phone_hash
    assert make.vault().decrypt(row.phone_encrypted) == "+17165550123"
