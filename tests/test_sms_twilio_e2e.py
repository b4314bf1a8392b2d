"""End to end with the real `twilio` client over HTTP against a local stand-in for Twilio."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from peerwork import clock
from peerwork.conversations import peer_reply
from peerwork.extensions import db, get_dispatcher, set_service
from peerwork.matching.offers import accept_offer
from peerwork.models import Conversation, Message, Offer
from peerwork.sms.transport import TwilioTransport
from tests.fake_twilio import FakeTwilio
from tests.sms_helpers import Phone, post_signed

NUMBER = "+17165550123"
CALLBACK = "https://peerwork.test/sms/status"


@pytest.fixture
def twilio(app):
    with FakeTwilio() as fake:
        set_service(
            "sms_transport",
            TwilioTransport(fake.account_sid, fake.auth_token, api_base_url=fake.base_url),
            app,
        )
        yield fake
        app.extensions["peerwork"].pop("sms_transport", None)


def _run(jobs):
    jobs.run(until=clock.now() + timedelta(seconds=5))


def test_a_whole_conversation_over_real_http(client, make, jobs, twilio, session):
    program = make.program(name="Acme Peer Line", messages_per_second=30)
    peer = make.peer(program, alias="Robin")
    texter = Phone(client, program, NUMBER, jobs)

    # First contact: welcome and menu straight back in the webhook's TwiML.
    replies = texter.sends("hello?")
    assert "confidential" in replies[0] and "1 Work stress" in replies[1]
    assert twilio.accepted == []  # TwiML replies do not go through the API

    # A topic by number: the texter is told honestly that we are looking.
    texter.sends("1")
    _run(jobs)
    assert "finding a peer" in twilio.accepted[-1]["form"]["Body"]
    offer = db.session.scalar(select(Offer).where(Offer.peer_profile_id == peer.id))
    assert offer is not None and offer.state == "open"

    # The peer accepts: the texter hears who they are talking to.
    accept_offer(
        session,
        offer_id=offer.id,
        peer_profile_id=peer.id,
        now=clock.now(),
        dispatcher=get_dispatcher(),
    )
    session.commit()
    _run(jobs)
    assert "connected with Robin" in twilio.accepted[-1]["form"]["Body"]
    assert texter.texter().dialog_state == "connected"

    # Texter -> peer: the message lands in the peer's thread, nothing goes out.
    before = len(twilio.accepted)
    texter.sends("My manager yelled at me again today")
    conversation = db.session.scalar(select(Conversation))
    relayed = db.session.scalars(
        select(Message).where(
            Message.conversation_id == conversation.id, Message.direction == "inbound"
        )
    ).all()
    assert [m.body for m in relayed] == ["My manager yelled at me again today"]
    assert len(twilio.accepted) == before

    # Peer -> texter through the outbox and the real client.
    peer_reply(
        session,
        conversation_id=conversation.id,
        peer_profile_id=peer.id,
        body="That sounds exhausting. What happened?",
        now=clock.now(),
        dispatcher=get_dispatcher(),
    )
    session.commit()
    _run(jobs)
    relay = twilio.accepted[-1]["form"]
    assert relay == {
        "To": NUMBER,
        "From": program.sms_number,
        "Body": "That sounds exhausting. What happened?",
        "StatusCallback": CALLBACK,
    }

    # DONE ends it, with a goodbye.
    texter.sends("done")
    _run(jobs)
    assert db.session.get(Conversation, conversation.id, populate_existing=True).state == "ended"
    assert "conversation has ended" in twilio.accepted[-1]["form"]["Body"]
    assert texter.texter().dialog_state == "idle"

    # Every API request carried the right numbers and the status callback.
    for record in twilio.accepted:
        assert record["form"]["To"] == NUMBER
        assert record["form"]["From"] == program.sms_number
        assert record["form"]["StatusCallback"] == CALLBACK

    # Twilio's callback for the relayed reply marks it delivered.
    response = post_signed(
        client,
        "/sms/status",
        {"MessageSid": twilio.accepted[2]["sid"], "MessageStatus": "delivered"},
    )
    assert response.status_code == 204
    row = db.session.scalar(select(Message).where(Message.twilio_sid == twilio.accepted[2]["sid"]))
    assert row.status == "delivered" and row.author == "peer"


def test_twilio_errors_map_to_retry_or_not(client, make, jobs, twilio, session):
    program = make.program(messages_per_second=30)
    texter = Phone(client, program, NUMBER, jobs)
    texter.sends("hi")
    twilio.errors = [(503, 20500)]
    texter.sends("2", run_jobs=False)
    jobs.run()
    waiting = texter.messages(kind="system")[-1]
    assert waiting.status == "queued"  # a 503 is temporary: back in the queue for a retry
    assert [name for name, _ in jobs.scheduled()] == ["peerwork.jobs.send_message"]
    jobs.run(until=clock.now() + timedelta(seconds=40))
    assert db.session.get(Message, waiting.id, populate_existing=True).status == "sent"
    assert twilio.requests == 2 and len(twilio.accepted) == 1
