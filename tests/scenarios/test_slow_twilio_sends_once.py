"""Twilio accepts a message but answers after the client gave up: the texter gets it once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from peerwork import clock
from peerwork.extensions import db, get_dispatcher
from peerwork.models import Message
from peerwork.sms.outbox import sweep_outbox
from tests.scenarios.people import connect, drain

NUMBER = "+17165550302"


def _row(body: str) -> Message:
    return db.session.scalar(
        select(Message)
        .where(Message.body == body, Message.direction == "outbound")
        .execution_options(populate_existing=True)
    )


def test_a_send_that_times_out_after_twilio_accepted_it_is_not_sent_again(
    client, make, jobs, travel, twilio
):
    program = make.program(messages_per_second=30)
    phone, peer = connect(client, make, jobs, travel, program, NUMBER)
    drain(jobs, travel)
    before = len(twilio.received_by(NUMBER))

    twilio.answer_delay = 1.5  # accepted at once, answered after the client's timeout
    peer.replies("I hear you. That sounds like a lot.")
    jobs.run()
    twilio.answer_delay = 0
    peer.replies("Do you want to tell me more?")
    drain(jobs, travel)

    assert twilio.received_by(NUMBER)[before:] == [
        "I hear you. That sounds like a lot.",
        "Do you want to tell me more?",
    ]
    row = _row("I hear you. That sounds like a lot.")
    # The database knows the SID of the one copy Twilio accepted.
    assert row.status == "sent"
    assert row.twilio_sid == twilio.accepted[before]["sid"]
    assert jobs.failed() == []


def test_a_send_left_sending_by_a_lost_worker_is_reconciled_not_repeated(
    client, make, jobs, travel, twilio, session
):
    program = make.program(messages_per_second=30)
    phone, peer = connect(client, make, jobs, travel, program, NUMBER)
    drain(jobs, travel)
    before = len(twilio.received_by(NUMBER))

    # Twilio accepted the reply; the worker died before it could record the SID.
    twilio.answer_delay = 1.5
    message = peer.replies("Still here with you.")
    jobs.run()
    twilio.answer_delay = 0
    session.execute(
        update(Message)
        .where(Message.id == message.id)
        .values(status="sending", status_updated_at=clock.now())
    )
    session.commit()
    travel.shift(timedelta(minutes=5))
    sweep_outbox(session, now=clock.now(), after=timedelta(seconds=60), dispatcher=get_dispatcher())
    drain(jobs, travel)

    assert twilio.received_by(NUMBER)[before:] == ["Still here with you."]
    assert _row("Still here with you.").twilio_sid == twilio.accepted[before]["sid"]


def test_a_send_twilio_never_got_is_sent_after_the_lookup_finds_nothing(
    client, make, jobs, travel, twilio
):
    program = make.program(messages_per_second=30)
    phone, peer = connect(client, make, jobs, travel, program, NUMBER)
    drain(jobs, travel)
    before = len(twilio.received_by(NUMBER))

    twilio.errors = [(503, 20500)]
    peer.replies("Same words twice is fine.")
    drain(jobs, travel)
    twilio.errors = [(503, 20500)]
    peer.replies("Same words twice is fine.")
    drain(jobs, travel)

    # Each written message arrives once; the lookup never mistakes one for the other.
    assert twilio.received_by(NUMBER)[before:] == ["Same words twice is fine."] * 2
    assert twilio.lookups >= 1
