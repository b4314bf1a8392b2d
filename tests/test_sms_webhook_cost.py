"""What the inbound webhook costs, pinned: statements per text, Redis round trips, first contact.

Counted, never timed (timings live in benchmarks/webhook.py). A change that
adds a statement to the webhook, or makes first contact read the program's
other texters, fails here; if the new statement is worth it, change the pin
and say why in the commit.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from redis.connection import AbstractConnection
from sqlalchemy import event, func, insert, select

from peerwork import clock
from peerwork import jobs as jobs_module
from peerwork.extensions import db, get_vault
from peerwork.models import Message, Texter
from peerwork.privacy.crypto import PSEUDONYM_HIGH, PSEUDONYM_LOW, new_pseudonym
from peerwork.texter import inbound
from tests.sms_helpers import Phone, twiml_bodies

NUMBER = "+17165550142"


class Statements:
    """The SQL statements the app's engine ran while counting."""

    def __init__(self) -> None:
        self.all: list[str] = []

    def __call__(self, _conn, _cursor, statement, _params, _context, _many) -> None:
        self.all.append(" ".join(statement.split()))

    def __str__(self) -> str:
        return "\n".join(s[:60] + " ... " + s[-90:] for s in self.work)

    @property
    def work(self) -> list[str]:
        """Without the per-test harness's SAVEPOINT/RELEASE (a commit inside a test is a RELEASE)."""
        return [s for s in self.all if not s.upper().startswith(("SAVEPOINT", "RELEASE"))]


@contextmanager
def counting_statements():
    counter = Statements()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


@contextmanager
def counting_redis_round_trips(monkeypatch):
    """Every command or pipeline redis-py sends is one packed write on a connection."""
    trips: list[int] = []
    original = AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        trips.append(1)
        return original(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    yield trips


class Draws:
    """A pseudonym generator that draws the given numbers, in order."""

    def __init__(self, *numbers: int) -> None:
        self.numbers = list(numbers)

    def randint(self, low: int, high: int) -> int:
        number = self.numbers.pop(0)
        assert low <= number <= high
        return number


def _shape(counted: Statements) -> list[str]:
    """Each statement as verb + table; the replies' INSERTs (one or one each) as one line."""
    shape: list[str] = []
    for statement in counted.work:
        words = statement.split()
        verb = words[0]
        table = words[2] if verb in ("INSERT", "UPDATE") and words[1] == "INTO" else None
        table = table or (words[1] if verb == "UPDATE" else statement.split(" FROM ")[1].split()[0])
        label = f"{verb} {table}"
        if verb == "INSERT" and table == "messages" and "ON CONFLICT" not in statement:
            label += " (replies)"
        if not shape or shape[-1] != label or "(replies)" not in label:
            shape.append(label)
    return shape


@pytest.fixture
def program(make):
    return make.program(name="Acme Peer Line", messages_per_second=30)


def _add_texters(session, program, count: int) -> None:
    """Bulk-insert `count` texters (what a big program looks like; no webhook needed)."""
    vault = get_vault()
    session.execute(
        insert(Texter),
        [
            {
                "program_id": program.id,
                "phone_encrypted": b"x",
                "phone_hash": vault.lookup_hash(f"+1555{n:07d}"),
                "pseudonym": f"Texter {PSEUDONYM_LOW + n}",
                "dialog_state": "idle",
            }
            for n in range(count)
        ],
    )
    session.flush()


def _first_contact(session, program, now, phone, *, rng=None):
    return inbound.receive(
        session,
        to=program.sms_number,
        from_=phone,
        body="hi",
        message_sid=f"SM{program.id:06d}{abs(hash(phone)):026d}"[:34],
        now=now,
        vault=get_vault(),
        dispatcher=None,
        rng=rng,
    )


def test_pseudonyms_come_from_a_space_far_larger_than_any_program():
    drawn = new_pseudonym(Draws(PSEUDONYM_LOW))
    assert drawn == f"Texter {PSEUDONYM_LOW}"
    assert PSEUDONYM_HIGH - PSEUDONYM_LOW >= 800_000


def test_a_taken_pseudonym_is_drawn_again_and_the_first_text_still_gets_its_welcome(
    session, program, now, make
):
    taken = make.texter(program, "+17165550100", pseudonym="Texter 123456")
    session.flush()

    result = _first_contact(session, program, now, NUMBER, rng=Draws(123456, 123456, 654321))

    assert result.outcome == "accepted"
    assert result.replies  # welcome and menu, in the webhook's answer
    created = session.scalar(
        select(Texter).where(Texter.phone_hash == get_vault().lookup_hash(NUMBER))
    )
    assert created.pseudonym == "Texter 654321"
    assert created.id != taken.id


def test_a_crisis_first_text_that_draws_a_taken_pseudonym_gets_the_crisis_reply(
    session, program, now, make
):
    make.texter(program, "+17165550100", pseudonym="Texter 222222")
    session.flush()

    result = inbound.receive(
        session,
        to=program.sms_number,
        from_=NUMBER,
        body="I want to kill myself",
        message_sid="SM" + "c" * 32,
        now=now,
        vault=get_vault(),
        dispatcher=None,
        rng=Draws(222222, 333333),
    )

    assert result.outcome == "accepted" and result.is_crisis
    assert result.replies


def test_the_same_number_racing_in_is_one_texter(session, program, now):
    """The other request created this number's texter after our SELECT: it is used."""
    first, created = inbound.create_texter(
        session, program_id=program.id, phone=NUMBER, now=now, vault=get_vault()
    )
    again, created_again = inbound.create_texter(
        session, program_id=program.id, phone=NUMBER, now=now, vault=get_vault()
    )
    assert created and not created_again
    assert again.id == first.id
    assert session.scalar(select(func.count()).select_from(Texter)) == 1


def _statements_for_first_contact(session, program, now, existing: int) -> list[str]:
    _add_texters(session, program, existing)
    with counting_statements() as counted:
        result = _first_contact(session, program, now, NUMBER, rng=Draws(999_999))
    assert result.outcome == "accepted"
    return counted.work


def test_first_contact_costs_the_same_statements_at_10_and_1000_texters(session, make, now):
    small, large = make.program(), make.program()
    at_10 = _statements_for_first_contact(session, small, now, 10)
    at_1000 = _statements_for_first_contact(session, large, now, 1000)
    assert len(at_10) == len(at_1000), (at_10, at_1000)
    # Every read of texters is by the number's keyed hash (no scan of the others).
    reads = [s for s in at_1000 if s.startswith("SELECT") and " texters" in s]
    assert reads and all("texters.phone_hash = " in s for s in reads), reads


def test_a_returning_texters_webhook_costs_two_statements_and_one_redis_round_trip(
    client, program, session, monkeypatch, travel
):
    phone = Phone(client, program, NUMBER)
    phone.sends("hi", run_jobs=False)
    phone.sends("2", run_jobs=False)  # the process's first enqueue also asks Redis its version
    session.commit()
    travel.shift(60)

    with counting_statements() as counted, counting_redis_round_trips(monkeypatch) as trips:
        phone.sends("Work stress", run_jobs=False)  # for the job

    # program + texter in one SELECT; the message INSERT (ON CONFLICT). The
    # texter's last_inbound_at is written by the job, which locks the row anyway.
    assert [s.split()[0] for s in counted.work] == ["SELECT", "INSERT"], str(counted)
    assert len(trips) == 1  # the process_inbound job, enqueued in one pipeline


def test_a_first_contact_webhook_costs_seven_statements_and_no_redis(
    client, program, session, monkeypatch
):
    phone = Phone(client, program, NUMBER)
    session.commit()
    session.expunge_all()  # as in a web request: no program already loaded

    with counting_statements() as counted, counting_redis_round_trips(monkeypatch) as trips:
        replies = phone.sends("hi", run_jobs=False)

    assert replies  # welcome and menu, answered at once: nothing left for a job
    # The first look: program + (no) texter as plain columns; the program as an
    # ORM object (only texts the webhook answers itself pay for it); INSERT
    # texter; the menu's topics; INSERT message; the two replies (one INSERT
    # each: SQLite; or one for both); the texter's UPDATE.
    assert _shape(counted) == [
        "SELECT programs",
        "SELECT programs",
        "INSERT texters",
        "SELECT topics",
        "INSERT messages",
        "INSERT messages (replies)",
        "UPDATE texters",
    ], str(counted)
    assert len(counted.work) <= 8
    assert trips == []


def test_a_repeated_delivery_costs_no_write_and_answers_the_same(client, program, session):
    phone = Phone(client, program, NUMBER)
    first = phone.sends("hi", sid="SM" + "d" * 32, run_jobs=False)
    session.commit()

    with counting_statements() as counted:
        again = phone.sends("hi", sid="SM" + "d" * 32, run_jobs=False)

    assert again == first
    assert [s.split()[0] for s in counted.work] == ["SELECT", "INSERT", "SELECT"], str(counted)
    assert (
        session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "inbound")
        )
        == 1
    )
    assert twiml_bodies(phone.last_response) == first


def test_the_job_records_when_a_returning_texter_last_wrote(client, program, jobs, travel):
    phone = Phone(client, program, NUMBER, jobs)
    phone.sends("hi")
    travel.shift(60)
    written_at = clock.now()

    phone.sends("Work stress")

    assert phone.texter().last_inbound_at == written_at


def test_a_forked_child_starts_with_an_empty_pool_and_the_parent_keeps_its_own(app):
    """RQ's scheduler (and a forking worker's horse) must never share the parent's connections."""
    engine = db.engine
    pool_before = engine.pool
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether its engine got a fresh pool, then leave at once
        os.write(writer, b"fresh" if engine.pool is not pool_before else b"shared")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(reader, 16) == b"fresh"
    assert engine.pool is pool_before


def test_a_returning_texters_dialog_job_costs_seven_statements_and_locks_only_the_texter(
    client, program, session, monkeypatch, travel
):
    """The process_inbound job, which every returning text waits on (issue #17).

    Two workers must not wait on each other for two texters' jobs: the only
    row the job locks is the texter's (no program or shared row).
    """
    phone = Phone(client, program, NUMBER)
    phone.sends("hi", run_jobs=False)
    phone.sends("2", run_jobs=False)
    session.commit()
    monkeypatch.setattr(jobs_module, "_app", client.application)
    jobs_module.process_inbound(_last_unprocessed(session))  # the topic: now waiting
    travel.shift(60)
    phone.sends("Work stress", run_jobs=False)
    session.commit()
    message_id = _last_unprocessed(session)

    with counting_statements() as counted, counting_redis_round_trips(monkeypatch) as trips:
        assert jobs_module.process_inbound(message_id) == 1

    # The texter, locked through the message; the program; its unprocessed
    # texts claimed (UPDATE processed_at ... RETURNING); the texter's
    # last_inbound_at (autoflushed); the open request; the reply's INSERT; after
    # the commit, whether the reply waits behind an earlier one to the same texter.
    assert _shape_of_job(counted) == [
        "SELECT texters",
        "SELECT programs",
        "UPDATE messages",
        "UPDATE texters",
        "SELECT support_requests",
        "INSERT messages",
        "SELECT messages",
    ], str(counted)
    locks = [s for s in counted.work if " FOR " in s]
    if db.engine.dialect.name == "postgresql":  # SQLite has no row locks
        assert len(locks) == 1 and locks[0].endswith("FOR UPDATE OF texters"), locks
    # The reply waits behind the topic's replies (still queued): no job for it yet.
    assert trips == []


def _last_unprocessed(session) -> int:
    return session.scalar(
        select(func.max(Message.id)).where(
            Message.direction == "inbound", Message.processed_at.is_(None)
        )
    )


def _shape_of_job(counted: Statements) -> list[str]:
    shape = []
    for statement in counted.work:
        verb = statement.split()[0]
        table = statement.split(" INTO " if verb == "INSERT" else " FROM ", 1)
        if verb == "UPDATE":
            name = statement.split()[1]
        else:
            name = table[1].split()[0] if len(table) > 1 else "?"
        shape.append(f"{verb} {name}")
    return shape
