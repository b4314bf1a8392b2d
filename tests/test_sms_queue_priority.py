"""What a texter writes is never stuck behind the outbound backlog (one worker is enough)."""

from __future__ import annotations

import functools
from datetime import timedelta

from sqlalchemy import select

from peerwork import clock
from peerwork.extensions import db, get_dispatcher
from peerwork.models import Offer
from peerwork.sms import sender
from peerwork.sms.outbox import queue_sms
from tests.conftest import InProcessWorker
from tests.scenarios.people import connect, drain
from tests.sms_helpers import Phone


def _one_job(jobs) -> None:
    """The single worker takes the next job, as `peerwork run`'s worker would."""
    InProcessWorker(jobs.dispatcher.all_queues(), connection=jobs.dispatcher.connection).work(
        burst=True, max_jobs=1
    )


def test_the_texters_next_text_reaches_the_peer_before_a_reply_burst_goes_out(
    client, make, jobs, travel, transport
):
    program = make.program(messages_per_second=1)
    phone, peer = connect(client, make, jobs, travel, program, "+17165550311")
    drain(jobs, travel)
    for n in range(20):
        peer.replies(f"reply {n}")

    phone.sends("are you still there?", run_jobs=False)
    _one_job(jobs)

    assert peer.thread()[-1:] == ["are you still there?"]


def test_a_new_texters_topic_choice_becomes_an_offer_before_the_backlog_goes_out(
    client, make, jobs, travel, transport
):
    program = make.program(messages_per_second=1)
    phone, peer = connect(client, make, jobs, travel, program, "+17165550312")
    drain(jobs, travel)
    other = make.peer(program, alias="Kai")
    db.session.commit()
    for n in range(20):
        peer.replies(f"reply {n}")
    newcomer = Phone(client, program, "+17165550313", jobs)
    newcomer.sends("hello", run_jobs=False)  # welcome and menu come back in the webhook's answer
    _one_job(jobs)

    newcomer.sends("1", run_jobs=False)
    _one_job(jobs)

    assert db.session.scalar(select(Offer).where(Offer.peer_profile_id == other.id)) is not None


def test_a_throttled_send_is_scheduled_for_its_own_second_not_retried_each_second(
    make, jobs, travel, transport, session
):
    program = make.program(messages_per_second=1)
    texters = [make.texter(program, f"+1716555032{n}") for n in range(3)]
    for texter in texters:
        queue_sms(
            session,
            program=program,
            body="Your peer wrote back",
            now=clock.now(),
            dispatcher=get_dispatcher(),
            texter_id=texter.id,
        )
    session.commit()
    start = clock.now()

    jobs.run()
    assert len(transport.sent) == 1
    slots = sorted(when for _, when in jobs.scheduled())
    # One a second from this number: each waiting send has its own second.
    assert slots == [start + timedelta(seconds=1), start + timedelta(seconds=2)]

    travel.shift(1)
    jobs.run(until=clock.now())
    assert len(transport.sent) == 2
    # The last one was not run again in between: it keeps its second.
    assert [when for _, when in jobs.scheduled()] == [start + timedelta(seconds=2)]
    travel.shift(1)
    jobs.run(until=clock.now())
    assert len(transport.sent) == 3


def test_a_burst_to_one_texter_does_not_hold_up_a_message_to_another(
    make, jobs, transport, session
):
    program = make.program(messages_per_second=30)
    busy, other = make.texter(program, "+17165550331"), make.texter(program, "+17165550332")

    def write(texter, body):
        queue_sms(
            session,
            program=program,
            body=body,
            now=clock.now(),
            dispatcher=get_dispatcher(),
            texter_id=texter.id,
        )
        session.commit()

    for n in range(20):
        write(busy, f"reply {n}")
    write(other, "Hi, I'm Kai. I'm here to listen.")

    # Only the head of a line has a job: the other texter's message is next.
    _one_job(jobs)
    _one_job(jobs)
    assert "Hi, I'm Kai. I'm here to listen." in transport.bodies_to("+17165550332")
    jobs.run()
    assert transport.bodies_to("+17165550331") == [f"reply {n}" for n in range(20)]


def test_a_throttled_backlog_runs_each_send_job_at_most_twice(
    make, jobs, travel, transport, session, monkeypatch
):
    """No re-queue storm: a send that must wait runs once to take its second, once to send."""
    runs: dict[int, int] = {}
    real_send = sender.send_message

    @functools.wraps(real_send)
    def counted_send(session, *, message_id, **kwargs):
        runs[message_id] = runs.get(message_id, 0) + 1
        return real_send(session, message_id=message_id, **kwargs)

    monkeypatch.setattr(sender, "send_message", counted_send)
    program = make.program(messages_per_second=2)
    ids = []
    for n in range(8):
        texter = make.texter(program, f"+171655504{n:02d}")
        message = queue_sms(
            session,
            program=program,
            body="Your peer wrote back",
            now=clock.now(),
            dispatcher=get_dispatcher(),
            texter_id=texter.id,
        )
        ids.append(message.id)
    session.commit()

    for _ in range(6):
        jobs.run(until=clock.now())
        travel.shift(1)

    assert len(transport.sent) == 8
    assert sorted(runs) == sorted(ids)
    assert max(runs.values()) <= 2, runs
    # Two a second: the first two go at once, the other six each wait for their second.
    assert sum(runs.values()) == 2 + 6 * 2
