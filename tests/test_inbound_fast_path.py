"""The webhook's fast path: a returning texter's ordinary text, stored with no ORM object.

`dialog.left_to_the_job` decides, on plain columns, that `dialog.immediate`
would neither answer nor change anything; the text is then one INSERT. These
tests hold the two paths to the same result: the same row, the same answer,
and never the fast path where `immediate` would have acted.
"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from peerwork.extensions import get_vault
from peerwork.models import Message
from peerwork.models.states import DIALOG
from peerwork.texter import dialog, inbound
from peerwork.texter.keywords import REGISTRY
from peerwork.texter.turn import Turn
from tests.sms_helpers import Phone, twiml_bodies

NUMBER = "+17165550177"

# Ordinary texts, keywords of every kind, a checkin-style digit, and empties.
BODIES = sorted(REGISTRY.words()) + [
    "hi",
    "Work stress",
    "1",
    "I had a rough day",
    "help me please",
    "",
    "  stop  ",
    "Español",
]


def _columns(message: Message) -> dict:
    skip = {"id", "twilio_sid", "created_at", "body"}
    return {
        attr.key: getattr(message, attr.key)
        for attr in sa_inspect(Message).column_attrs
        if attr.key not in skip
    }


def test_an_ordinary_text_from_a_returning_texter_takes_the_fast_path(
    client, make, session, monkeypatch
):
    program = make.program()
    phone = Phone(client, program, NUMBER)
    phone.sends("hi", run_jobs=False)  # first contact: welcome and menu
    session.commit()
    taken = []
    monkeypatch.setattr(
        inbound, "_store_for_the_job", _recording(inbound._store_for_the_job, taken)
    )

    assert phone.sends("Work stress", run_jobs=False) == []  # the job answers it

    assert len(taken) == 1


def _recording(function, calls: list):
    def recorded(*args, **kwargs):
        calls.append(kwargs)
        return function(*args, **kwargs)

    return recorded


def test_the_fast_path_stores_the_row_the_orm_path_stores(client, make, session, monkeypatch):
    program = make.program()
    fast_phone, orm_phone = Phone(client, program, NUMBER), Phone(client, program, "+17165550178")
    for phone in (fast_phone, orm_phone):
        phone.sends("hi", run_jobs=False)
        phone.sends("1", run_jobs=False)  # a topic, answered by the job: state "choosing_topic"
    session.commit()

    fast_phone.sends("It has been a long week", run_jobs=False)
    monkeypatch.setattr(dialog, "left_to_the_job", lambda **_: False)  # force the ORM path
    orm_phone.sends("It has been a long week", run_jobs=False)

    fast, orm = (
        session.scalars(
            select(Message)
            .where(Message.texter_id == phone.texter().id, Message.direction == "inbound")
            .order_by(Message.id.desc())
            .execution_options(populate_existing=True)
        ).first()
        for phone in (fast_phone, orm_phone)
    )
    assert fast.body == orm.body == "It has been a long week"
    assert fast.processed_at is None and fast.twiml_replies == []
    expected = _columns(orm)
    expected["texter_id"] = fast.texter_id
    assert _columns(fast) == expected


def test_a_repeated_delivery_on_the_fast_path_is_stored_once(client, make, session):
    program = make.program()
    phone = Phone(client, program, NUMBER)
    phone.sends("hi", run_jobs=False)
    session.commit()

    first = phone.sends("Work stress", sid="SM" + "f" * 32, run_jobs=False)
    again = phone.sends("Work stress", sid="SM" + "f" * 32, run_jobs=False)

    assert first == again == []
    stored = session.scalars(
        select(Message.body)
        .where(Message.texter_id == phone.texter().id, Message.direction == "inbound")
        .order_by(Message.id)
    ).all()
    assert stored == ["hi", "Work stress"]


def test_a_crisis_text_from_a_returning_texter_is_answered_at_once(client, make, session):
    program = make.program()
    phone = Phone(client, program, NUMBER)
    phone.sends("hi", run_jobs=False)
    session.commit()

    replies = phone.sends("I want to kill myself", run_jobs=False)

    assert replies and "988" in " ".join(replies)
    assert twiml_bodies(phone.last_response) == replies


@pytest.mark.parametrize("state", sorted(DIALOG.states))
def test_the_fast_path_is_never_taken_where_immediate_would_act(make, session, now, state):
    """For every state and body: left_to_the_job implies immediate() returns False untouched."""
    program = make.program()
    texter = make.texter(program, state=state)
    session.flush()
    for body in BODIES:
        if not dialog.left_to_the_job(body=body, dialog_state=state, is_crisis=False):
            continue
        message = inbound._inbound_message(
            program_id=program.id,
            texter_id=texter.id,
            body=body,
            message_sid="SM" + "0" * 32,
            is_crisis=False,
            now=now,
        )
        turn = Turn(
            session=session,
            program=program,
            texter=texter,
            message=message,
            now=now,
            immediate=True,
        )
        with session.no_autoflush:
            done = dialog.immediate(turn)
        assert not done, (state, body)
        assert turn.replies == [], (state, body)
        assert not session.is_modified(texter), (state, body)
        assert message.processed_at is None
        session.expunge(message) if message in session else None
        assert not session.new and not session.dirty, (state, body)


def test_a_new_texter_and_a_keyword_never_take_the_fast_path():
    assert not dialog.left_to_the_job(body="hi", dialog_state="new", is_crisis=False)
    assert not dialog.left_to_the_job(body="HELP", dialog_state="waiting", is_crisis=False)
    assert not dialog.left_to_the_job(body="  help ", dialog_state="connected", is_crisis=False)
    assert not dialog.left_to_the_job(body="Work stress", dialog_state="waiting", is_crisis=True)
    assert dialog.left_to_the_job(body="Work stress", dialog_state="waiting", is_crisis=False)


def test_the_fast_path_needs_no_vault_decryption(make, session, now):
    """The texter's number is never decrypted to store their text (the keyed hash finds them)."""
    program = make.program()
    make.texter(program, NUMBER, state="waiting")
    session.flush()

    class HashOnly:
        def __init__(self, vault):
            self.vault = vault

        def lookup_hash(self, phone):
            return self.vault.lookup_hash(phone)

    result = inbound.receive(
        session,
        to=program.sms_number,
        from_=NUMBER,
        body="Just checking in",
        message_sid="SM" + "9" * 32,
        now=now,
        vault=HashOnly(get_vault()),
    )
    assert result.outcome == "accepted" and result.needs_processing and result.replies == []
