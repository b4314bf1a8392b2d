"""A texter reads the peer's replies in the order the peer wrote them (SMS has no threads)."""

from __future__ import annotations

from tests.scenarios.people import connect, drain

NUMBER = "+17165550301"
CONNECTED = "You're now connected with Robin"


def test_a_twenty_reply_burst_reaches_the_texter_in_the_order_written(
    client, make, jobs, travel, twilio
):
    program = make.program(messages_per_second=1)
    phone, peer = connect(client, make, jobs, travel, program, NUMBER)
    drain(jobs, travel)
    before = len(twilio.received_by(NUMBER))

    replies = [f"reply {n}" for n in range(1, 21)]
    for body in replies:
        peer.replies(body)
    drain(jobs, travel)

    assert twilio.received_by(NUMBER)[before:] == replies
    assert jobs.failed() == []


def test_the_first_reply_never_overtakes_the_connected_notice(client, make, jobs, travel, twilio):
    program = make.program(messages_per_second=1)
    phone, peer = connect(client, make, jobs, travel, program, NUMBER)
    # The peer answers at once, before the notice has gone out.
    peer.replies("Hi, I'm here. What's going on?")
    peer.replies("Take your time.")
    drain(jobs, travel)

    got = twilio.received_by(NUMBER)
    connected_at = next(i for i, body in enumerate(got) if body.startswith(CONNECTED))
    assert got[connected_at:] == [
        got[connected_at],
        "Hi, I'm here. What's going on?",
        "Take your time.",
    ]


def test_a_reply_never_overtakes_one_that_is_being_retried(client, make, jobs, travel, twilio):
    program = make.program(messages_per_second=30)
    phone, peer = connect(client, make, jobs, travel, program, NUMBER)
    drain(jobs, travel)
    before = len(twilio.received_by(NUMBER))

    twilio.errors = [(503, 20500)]  # Twilio is briefly down for the first reply
    peer.replies("first")
    peer.replies("second")
    peer.replies("third")
    drain(jobs, travel)

    assert twilio.received_by(NUMBER)[before:] == ["first", "second", "third"]
    assert jobs.failed() == []
