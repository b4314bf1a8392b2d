"""Delivery status callbacks: forward only, final states stay final, opt-outs honoured."""

from __future__ import annotations

import pytest

from peerwork import clock
from peerwork.extensions import db, get_dispatcher
from peerwork.models import Message, Texter
from peerwork.sms.outbox import queue_sms
from tests.sms_helpers import post_signed

NUMBER = "+17165550177"


@pytest.fixture
def sent_message(session, make):
    program = make.program(messages_per_second=30)
    texter = make.texter(program, NUMBER)
    message = queue_sms(
        session,
        program=program,
        body="Hi there",
        now=clock.now(),
        dispatcher=get_dispatcher(),
        texter_id=texter.id,
    )
    message.status = "sent"
    message.twilio_sid = "SM" + "a" * 32
    session.flush()
    return message


def _callback(client, sid, status, error_code=None):
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32}
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    return post_signed(client, "/sms/status", params)


def _status(message) -> str:
    return db.session.get(Message, message.id, populate_existing=True).status


def test_delivered_is_recorded_and_final(client, sent_message):
    assert _callback(client, sent_message.twilio_sid, "delivered").status_code == 204
    assert _status(sent_message) == "delivered"
    # A late, out-of-order "sent" or a contradictory "failed" changes nothing.
    for late in ("sent", "sending", "queued", "failed"):
        _callback(client, sent_message.twilio_sid, late, 30008 if late == "failed" else None)
        assert _status(sent_message) == "delivered"


def test_undelivered_records_the_error_code(client, sent_message):
    _callback(client, sent_message.twilio_sid, "undelivered", 30003)
    row = db.session.get(Message, sent_message.id, populate_existing=True)
    assert row.status == "undelivered" and row.error_code == 30003


def test_out_of_order_sending_callback_does_not_move_back(client, sent_message):
    _callback(client, sent_message.twilio_sid, "queued")
    _callback(client, sent_message.twilio_sid, "sending")
    assert _status(sent_message) == "sent"


def test_error_21610_marks_the_texter_opted_out(client, sent_message):
    _callback(client, sent_message.twilio_sid, "failed", 21610)
    texter = db.session.get(Texter, sent_message.texter_id, populate_existing=True)
    assert texter.opted_out and texter.dialog_state == "opted_out"
    assert _status(sent_message) == "failed"


def test_unknown_sid_is_acknowledged_and_ignored(client, sent_message):
    response = _callback(client, "SM" + "f" * 32, "delivered")
    assert response.status_code == 204
    assert _status(sent_message) == "sent"


def test_status_callback_needs_a_valid_signature(client, sent_message):
    params = {"MessageSid": sent_message.twilio_sid, "MessageStatus": "delivered"}
    response = post_signed(client, "/sms/status", params, signature="nope")
    assert response.status_code == 403
    assert _status(sent_message) == "sent"


@pytest.mark.parametrize(
    "raw_code",
    ["99999999999999999999", "2147483648", "²", "1" * 5000, "-30007", "30 007", "３０００７"],
)
def test_an_error_code_we_cannot_store_is_recorded_as_unknown(client, sent_message, raw_code):
    """A signed callback with a code no integer column holds is still acknowledged and applied."""
    response = _callback(client, sent_message.twilio_sid, "undelivered", raw_code)
    assert response.status_code == 204
    db.session.expire_all()
    message = db.session.get(Message, sent_message.id)
    assert message.status == "undelivered" and message.error_code is None
