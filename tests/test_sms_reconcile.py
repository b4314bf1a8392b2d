"""Reconciling a send whose outcome is unknown: the transports' lookup, and never sending blind."""

from __future__ import annotations

from datetime import timedelta

import pytest

from peerwork import clock
from peerwork.extensions import db, get_dispatcher, get_vault
from peerwork.models import Message
from peerwork.sms import sender
from peerwork.sms.outbox import queue_sms
from peerwork.sms.transport import LocalTransport, TemporarySendError, TwilioTransport
from tests.fake_twilio import FakeTwilio
from tests.sms_helpers import FakeTransport

TO, OTHER, FROM = "+17165550341", "+17165550342", "+15855550100"


def test_twilio_lookup_finds_the_message_by_to_from_body_and_time_over_http():
    with FakeTwilio() as twilio:
        transport = TwilioTransport(
            twilio.account_sid, twilio.auth_token, api_base_url=twilio.base_url
        )
        first = transport.send(to=TO, from_=FROM, body="Are you there?", status_callback=None)
        transport.send(to=OTHER, from_=FROM, body="Are you there?", status_callback=None)
        transport.send(to=TO, from_=FROM, body="Something else", status_callback=None)

        assert transport.lookup(to=TO, from_=FROM, body="Are you there?", since=clock.now()) == [
            first
        ]
        assert transport.lookup(to=TO, from_=FROM, body="Never sent", since=clock.now()) == []
        later = clock.now() + timedelta(hours=1)
        assert transport.lookup(to=TO, from_=FROM, body="Are you there?", since=later) == []
        assert twilio.lookups == 3


def test_twilio_lookup_that_cannot_reach_twilio_is_a_temporary_error():
    with FakeTwilio() as twilio:
        transport = TwilioTransport(twilio.account_sid, "wrong-token", api_base_url=twilio.base_url)
        with pytest.raises(TemporarySendError):
            transport.lookup(to=TO, from_=FROM, body="hi", since=clock.now())


def test_local_lookup_finds_what_the_local_outbox_holds(travel):
    transport = LocalTransport()
    sid = transport.send(to=TO, from_=FROM, body="hello", status_callback=None)
    assert transport.lookup(to=TO, from_=FROM, body="hello", since=clock.now()) == [sid]
    assert transport.lookup(to=OTHER, from_=FROM, body="hello", since=clock.now()) == []
    travel.shift(timedelta(hours=1))
    assert transport.lookup(to=TO, from_=FROM, body="hello", since=clock.now()) == []


class LookupDown(FakeTransport):
    def lookup(self, **_kwargs):
        raise TemporarySendError("lookup unavailable")


def test_a_retry_that_cannot_ask_the_provider_does_not_send_blind(make, session):
    program = make.program(messages_per_second=30)
    texter = make.texter(program, TO)
    transport = LookupDown()
    message = queue_sms(
        session,
        program=program,
        body="Still with you",
        now=clock.now(),
        dispatcher=get_dispatcher(),
        texter_id=texter.id,
    )
    session.commit()
    transport.failures.append(TemporarySendError("ReadTimeout"))
    send = dict(
        message_id=message.id,
        now=clock.now(),
        transport=transport,
        vault=get_vault(),
        dispatcher=get_dispatcher(),
    )
    with pytest.raises(TemporarySendError):
        sender.send_message(session, **send)  # timed out: accepted or not, nobody knows
    with pytest.raises(TemporarySendError):
        sender.send_message(session, **send)  # the retry cannot ask: it does not send
    assert transport.sent == []
    row = db.session.get(Message, message.id, populate_existing=True)
    assert row.status == "queued"
    # Retries used up without ever knowing: given up, so later messages are not held forever.
    for _ in range(sender.MAX_ATTEMPTS - 3):
        with pytest.raises(TemporarySendError):
            sender.send_message(session, **send)
    assert sender.send_message(session, **send).outcome == "failed"
    assert transport.sent == []
