"""A line of messages to one person goes out in order, a few to a job, each exactly once (#17)."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest

from peerwork import clock
from peerwork.extensions import db, get_dispatcher, get_vault, set_service
from peerwork.jobs import send_message as send_message_job
from peerwork.models import Message, PeerProfile
from peerwork.sms import sender
from peerwork.sms.outbox import queue_sms
from peerwork.sms.transport import TemporarySendError
from tests.conftest import InProcessWorker
from tests.helpers import add_escalation_contact
from tests.sms_helpers import FakeTransport

NUMBER = "+17165550441"
OTHER = "+17165550442"


@pytest.fixture
def program(make):
    return make.program(name="Line Program", messages_per_second=30)


def _write(session, program, texter, body: str, **kwargs) -> int:
    message = queue_sms(
        session,
        program=program,
        body=body,
        now=clock.now(),
        dispatcher=get_dispatcher(),
        texter_id=texter.id,
        **kwargs,
    )
    session.commit()
    return message.id


def _one_job(jobs) -> None:
    InProcessWorker(jobs.dispatcher.all_queues(), connection=jobs.dispatcher.connection).work(
        burst=True, max_jobs=1
    )


def _row(message_id: int) -> Message:
    return db.session.get(Message, message_id, populate_existing=True)


@pytest.fixture
def job_runs(monkeypatch):
    """How many send jobs ran (each a `send_line`)."""
    runs = []
    real = sender.send_line

    @functools.wraps(real)
    def counted(session, *, message_id, **kwargs):
        runs.append(message_id)
        return real(session, message_id=message_id, **kwargs)

    monkeypatch.setattr(sender, "send_line", counted)
    return runs


def test_replies_that_piled_up_go_out_in_order_a_few_to_a_job(
    session, make, program, transport, jobs, job_runs
):
    texter = make.texter(program, NUMBER)
    replies = [f"reply {n}" for n in range(12)]
    ids = [_write(session, program, texter, body) for body in replies]

    _one_job(jobs)
    # The first job took the line's head and the messages behind it, in order.
    assert transport.bodies_to(NUMBER) == replies[: sender.LINE_BUDGET]

    jobs.run()
    assert transport.bodies_to(NUMBER) == replies
    # Twelve messages, three jobs (five to a job), not twelve.
    assert len(job_runs) == 3
    assert {_row(i).status for i in ids} == {"sent"}


def test_a_long_line_does_not_keep_another_person_waiting_for_all_of_it(
    session, make, program, transport, jobs
):
    busy, other = make.texter(program, NUMBER), make.texter(program, OTHER)
    for n in range(20):
        _write(session, program, busy, f"reply {n}")
    _write(session, program, other, "Hi, I'm Kai.")

    _one_job(jobs)
    _one_job(jobs)

    assert transport.bodies_to(OTHER) == ["Hi, I'm Kai."]
    assert len(transport.bodies_to(NUMBER)) == sender.LINE_BUDGET
    jobs.run()
    assert transport.bodies_to(NUMBER) == [f"reply {n}" for n in range(20)]


class FailsOnce(FakeTransport):
    """Fails the send of one body for now (a timeout), once."""

    def __init__(self, body: str) -> None:
        super().__init__()
        self.fail_body = body

    def send(self, *, to, from_, body, status_callback):
        if body == self.fail_body:
            self.fail_body = None
            raise TemporarySendError("timeout")
        return super().send(to=to, from_=from_, body=body, status_callback=status_callback)


def test_a_message_taken_over_from_the_line_that_fails_for_now_is_retried_and_the_line_waits(
    app, session, make, program, jobs
):
    transport = FailsOnce("second")
    set_service("sms_transport", transport, app)
    texter = make.texter(program, NUMBER)
    ids = [_write(session, program, texter, body) for body in ("first", "second", "third")]

    jobs.run()
    assert transport.bodies_to(NUMBER) == ["first"]
    assert _row(ids[1]).status == "queued" and _row(ids[1]).attempts == 1
    assert _row(ids[2]).status == "queued"  # still behind "second": order is kept
    assert [name for name, _ in jobs.scheduled()] == ["peerwork.jobs.send_message"]

    jobs.run(until=clock.now() + timedelta(seconds=10))
    assert transport.bodies_to(NUMBER) == ["first", "second", "third"]
    assert [_row(i).status for i in ids] == ["sent", "sent", "sent"]
    app.extensions["peerwork"].pop("sms_transport", None)


def test_duplicate_jobs_for_messages_in_a_line_still_send_each_once_in_order(
    session, make, program, transport, jobs
):
    texter = make.texter(program, NUMBER)
    ids = [_write(session, program, texter, f"reply {n}") for n in range(4)]
    # The sweep (or a lost-and-found job) enqueues the later ones too.
    for message_id in ids[1:]:
        sender.enqueue_send(get_dispatcher(), message_id, job_id=f"dup-{message_id}")

    jobs.run()
    assert transport.bodies_to(NUMBER) == [f"reply {n}" for n in range(4)]
    for message_id in ids:  # and once more each, as a retried job would
        send_message_job(message_id)
    assert len(transport.sent) == 4


def test_only_the_head_of_each_line_gets_a_job_whoever_it_is_for(
    session, make, program, transport, jobs
):
    texter = make.texter(program, NUMBER)
    peer = make.peer(program)
    peer = session.get(PeerProfile, peer.id)
    peer.sms_alerts = True
    peer.alert_phone_encrypted = get_vault().encrypt("+17165550443")
    contact = add_escalation_contact(program, "On call", "+17165550444")
    dispatcher = get_dispatcher()
    common = {"session": session, "program": program, "now": clock.now(), "dispatcher": dispatcher}
    # One commit: two to the texter, two to the peer, two to the contact, one crisis reply.
    queue_sms(**common, body="t1", texter_id=texter.id)
    queue_sms(**common, body="t2", texter_id=texter.id)
    queue_sms(**common, body="p1", recipient="peer", peer_profile_id=peer.id)
    queue_sms(**common, body="p2", recipient="peer", peer_profile_id=peer.id)
    queue_sms(**common, body="c1", recipient="contact", contact_id=contact.id)
    queue_sms(**common, body="c2", recipient="contact", contact_id=contact.id)
    queue_sms(**common, body="crisis", texter_id=texter.id, is_crisis=True, kind="crisis")
    session.commit()

    # The heads of the three lines, and the crisis reply, which never waits.
    assert sorted(jobs.pending()) == ["peerwork.jobs.send_message"] * 4
    jobs.run()
    assert transport.bodies_to(NUMBER) == ["crisis", "t1", "t2"]  # urgent first
    assert transport.bodies_to("+17165550443") == ["p1", "p2"]
    assert transport.bodies_to("+17165550444") == ["c1", "c2"]
