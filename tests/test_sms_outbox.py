"""The outbox sender: once per row, retries for temporary errors, never for permanent ones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from peerwork import clock
from peerwork.extensions import db, get_dispatcher, get_redis, get_vault
from peerwork.jobs import send_message as send_message_job
from peerwork.models import Message, Texter
from peerwork.sms import sender
from peerwork.sms.outbox import queue_sms, sweep_outbox
from peerwork.sms.throttle import Throttle
from peerwork.sms.transport import PermanentSendError, TemporarySendError

NUMBER = "+17165550188"


@pytest.fixture
def program(make):
    return make.program(name="Acme Peer Line", messages_per_second=30)


@pytest.fixture
def slow_program(make):
    return make.program(name="Slow Line", messages_per_second=1)


@pytest.fixture
def texter(make, program):
    return make.texter(program, NUMBER)


def _queue(session, program, texter, body="Hello from your peer"):
    message = queue_sms(
        session,
        program=program,
        body=body,
        now=clock.now(),
        dispatcher=get_dispatcher(),
        texter_id=texter.id,
    )
    session.commit()
    return message.id


def _row(message_id) -> Message:
    return db.session.get(Message, message_id, populate_existing=True)


def test_a_queued_message_is_sent_once_with_from_to_and_status_callback(
    session, program, texter, transport, jobs
):
    message_id = _queue(session, program, texter)
    jobs.run()
    assert transport.sent == [
        {
            "to": NUMBER,
            "from_": program.sms_number,
            "body": "Hello from your peer",
            "status_callback": "https://peerwork.test/sms/status",
            "sid": transport.sent[0]["sid"],
        }
    ]
    row = _row(message_id)
    assert row.status == "sent" and row.twilio_sid == transport.sent[0]["sid"]
    assert row.attempts == 1
    # The same job again (a duplicate enqueue, a retry): nothing more is sent.
    send_message_job(message_id)
    assert len(transport.sent) == 1


def test_a_temporary_error_is_retried_later_and_then_sent_once(
    session, program, texter, transport, jobs
):
    transport.failures.append(TemporarySendError("timeout"))
    message_id = _queue(session, program, texter)
    jobs.run()
    assert _row(message_id).status == "queued"
    assert transport.sent == []
    assert [name for name, _ in jobs.scheduled()] == ["peerwork.jobs.send_message"]
    jobs.run(until=clock.now() + timedelta(seconds=10))
    assert _row(message_id).status == "sent"
    assert len(transport.sent) == 1 and _row(message_id).attempts == 2


def test_a_permanent_error_fails_the_message_without_retry(
    session, program, texter, transport, jobs
):
    transport.failures.append(PermanentSendError("invalid number", 21211))
    message_id = _queue(session, program, texter)
    jobs.run(until=clock.now() + timedelta(hours=2))
    row = _row(message_id)
    assert row.status == "failed" and row.error_code == 21211
    assert jobs.scheduled() == [] and jobs.failed() == []
    assert transport.sent == []


def test_provider_opt_out_error_marks_the_texter_and_stops_later_messages(
    session, program, texter, transport, jobs
):
    transport.failures.append(PermanentSendError("opted out", 21610))
    first = _queue(session, program, texter)
    jobs.run()
    assert _row(first).error_code == 21610
    refreshed = db.session.get(Texter, texter.id, populate_existing=True)
    assert refreshed.opted_out and refreshed.dialog_state == "opted_out"
    second = _queue(session, program, texter, "Are you still there?")
    jobs.run()
    assert _row(second).status == "cancelled"
    assert transport.sent == []


def test_sending_is_throttled_per_number_by_re_enqueueing(
    app, session, slow_program, make, transport, jobs
):
    program = slow_program
    texters = [make.texter(program, f"+1716555019{n}") for n in range(3)]
    throttle = Throttle(get_redis(app), "throttle-test")
    ids = [_queue(session, program, texter, f"message {n}") for n, texter in enumerate(texters)]
    results = [
        sender.send_message(
            session,
            message_id=message_id,
            now=clock.now(),
            transport=transport,
            vault=get_vault(),
            dispatcher=get_dispatcher(),
            throttle=throttle,
        ).outcome
        for message_id in ids
    ]
    # One a second from this number (the clock is frozen): the others wait their turn,
    # each in a second of its own.
    assert results == ["sent", "throttled", "throttled"]
    assert [_row(i).status for i in ids].count("queued") == results.count("throttled")


def test_throttled_job_is_re_enqueued_with_a_short_delay(
    session, slow_program, make, transport, jobs, travel
):
    program, texter = slow_program, make.texter(slow_program, NUMBER)
    ids = [_queue(session, program, texter, f"message {n}") for n in range(4)]
    jobs.run(max_rounds=1)
    scheduled = jobs.scheduled()
    assert scheduled, "over the limit, sends are re-enqueued a moment later"
    assert all(when <= clock.now() + timedelta(seconds=3) for _, when in scheduled)
    sent_per_second = []
    for _ in range(10):
        travel.shift(1)
        jobs.run(until=clock.now())  # what RQ's scheduler releases: the jobs now due
        sent_per_second.append(sum(_row(i).status == "sent" for i in ids))
        if all(_row(i).status == "sent" for i in ids):
            break
    # One more each second, no burst past the limit, no real waiting.
    assert sent_per_second == [2, 3, 4]
    # One texter: they arrive in the order written.
    assert [s["body"] for s in transport.sent] == [f"message {n}" for n in range(4)]


def test_the_sweep_resends_a_message_whose_job_was_lost(session, program, texter, transport, jobs):
    message_id = _queue(session, program, texter)
    get_redis().flushdb()  # the job is gone (Redis restarted empty)
    jobs.run()
    assert transport.sent == []
    found = sweep_outbox(
        session,
        now=clock.now() + timedelta(minutes=2),
        after=timedelta(seconds=60),
        dispatcher=get_dispatcher(),
    )
    assert found == 1
    jobs.run()
    assert len(transport.sent) == 1 and _row(message_id).status == "sent"


def test_a_send_left_half_done_is_reclaimed_only_after_the_threshold(
    session, program, texter, transport, jobs
):
    message_id = _queue(session, program, texter)
    get_redis().flushdb()
    db.session.execute(
        Message.__table__.update()
        .where(Message.id == message_id)
        .values(status="sending", status_updated_at=clock.now())
    )
    session.commit()
    dispatcher = get_dispatcher()
    soon = clock.now() + timedelta(seconds=10)
    assert sweep_outbox(session, now=soon, after=timedelta(seconds=60), dispatcher=dispatcher) == 0
    assert _row(message_id).status == "sending"
    late = clock.now() + timedelta(minutes=2)
    assert sweep_outbox(session, now=late, after=timedelta(seconds=60), dispatcher=dispatcher) == 1
    jobs.run()
    assert _row(message_id).status == "sent" and len(transport.sent) == 1


def test_peer_alerts_go_to_the_peer_only_if_they_opted_in(session, make, program, transport, jobs):
    peer = make.peer(program)
    message = queue_sms(
        session,
        program=program,
        body="alert",
        now=clock.now(),
        dispatcher=get_dispatcher(),
        recipient="peer",
        peer_profile_id=peer.id,
    )
    session.commit()
    jobs.run()
    assert _row(message.id).status == "cancelled" and transport.sent == []
    from peerwork.models import PeerProfile

    peer = session.get(PeerProfile, peer.id)
    peer.sms_alerts = True
    peer.alert_phone_encrypted = get_vault().encrypt("+17165550199")
    second = queue_sms(
        session,
        program=program,
        body="alert",
        now=clock.now(),
        dispatcher=get_dispatcher(),
        recipient="peer",
        peer_profile_id=peer.id,
    )
    session.commit()
    jobs.run()
    assert _row(second.id).status == "sent"
    assert transport.sent[0]["to"] == "+17165550199"


def test_the_sweep_respects_the_retry_backoff_and_retries_end(
    session, program, texter, transport, jobs
):
    message_id = _queue(session, program, texter)
    transport.failures.append(TemporarySendError("timeout"))
    jobs.run()
    assert _row(message_id).status == "queued" and _row(message_id).attempts == 1
    dispatcher = get_dispatcher()
    # A minute later the retry (30 s .. 30 min away) is still in charge: the sweep leaves it.
    soon = clock.now() + timedelta(minutes=2)
    assert sweep_outbox(session, now=soon, after=timedelta(seconds=60), dispatcher=dispatcher) == 0
    # Long past every backoff (the retry job was lost), the sweep takes over.
    much_later = clock.now() + timedelta(hours=1)
    assert (
        sweep_outbox(session, now=much_later, after=timedelta(seconds=60), dispatcher=dispatcher)
        == 1
    )


def test_temporary_errors_give_up_after_the_last_retry(session, program, texter, transport):
    message_id = _queue(session, program, texter)
    transport.failures.extend(TemporarySendError("down", 20500) for _ in range(sender.MAX_ATTEMPTS))
    for _ in range(sender.MAX_ATTEMPTS - 1):
        with pytest.raises(TemporarySendError):
            sender.send_message(
                session,
                message_id=message_id,
                now=clock.now(),
                transport=transport,
                vault=get_vault(),
                dispatcher=get_dispatcher(),
            )
    result = sender.send_message(
        session,
        message_id=message_id,
        now=clock.now(),
        transport=transport,
        vault=get_vault(),
        dispatcher=get_dispatcher(),
    )
    assert result.outcome == "failed"
    row = _row(message_id)
    assert (
        row.status == "failed" and row.attempts == sender.MAX_ATTEMPTS and row.error_code == 20500
    )
