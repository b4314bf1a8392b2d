"""A real worker process killed in the middle of a send: nothing lost, nothing sent twice.

The worker is `python -m peerwork worker` in its own process group, talking to
the test database and Redis, and sending through the real `twilio` client to
the local Twilio stand-in (tests/fake_twilio.py), which holds the request on
a gate so the test can SIGKILL the worker at a chosen moment.
"""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from peerwork import clock
from peerwork.extensions import db, get_dispatcher
from peerwork.models import Message
from peerwork.sms.outbox import queue_sms, sweep_outbox
from tests.fake_twilio import FakeTwilio
from tests.processes import kill, start_peerwork

pytestmark = [pytest.mark.committed, pytest.mark.slow, pytest.mark.real_clock]

NUMBER = "+17165550166"


def _start_worker(app, twilio: FakeTwilio, tmp_path, *, burst: bool = False) -> subprocess.Popen:
    return start_peerwork(
        app, twilio, tmp_path, "worker", "--no-scheduler", *(["--burst"] if burst else [])
    )


class Row:
    def __init__(self, status: str, twilio_sid: str | None, attempts: int) -> None:
        self.status, self.twilio_sid, self.attempts = status, twilio_sid, attempts


def _status(message_id: int) -> Row:
    # End the read at once: on SQLite an open transaction would hold the write
    # lock the worker process needs.
    try:
        row = db.session.execute(
            select(Message.status, Message.twilio_sid, Message.attempts).where(
                Message.id == message_id
            )
        ).one()
        return Row(*row)
    finally:
        db.session.rollback()


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _queue_one(make, session) -> int:
    program = make.program(messages_per_second=30)
    texter = make.texter(program, NUMBER)
    message = queue_sms(
        session,
        program=program,
        body="Still here for you",
        now=clock.now(),
        dispatcher=get_dispatcher(),
        texter_id=texter.id,
    )
    session.commit()
    return message.id


def _sweep_and_resend(app, twilio, tmp_path, message_id: int) -> None:
    """What the scheduler does once the sweep threshold has passed, then a fresh worker."""
    sweep_outbox(
        db.session,
        now=clock.now() + timedelta(seconds=app.config["OUTBOX_SWEEP_AFTER_SECONDS"] + 1),
        after=timedelta(seconds=app.config["OUTBOX_SWEEP_AFTER_SECONDS"]),
        dispatcher=get_dispatcher(),
    )
    db.session.commit()
    worker = _start_worker(app, twilio, tmp_path, burst=True)
    try:
        worker.wait(timeout=60)
    finally:
        kill(worker)


def test_killed_before_twilio_accepts_is_sent_exactly_once(app, make, session, tmp_path):
    with FakeTwilio() as twilio:
        twilio.hold = True
        twilio.drop_held = True
        message_id = _queue_one(make, session)
        worker = _start_worker(app, twilio, tmp_path)
        try:
            assert twilio.arrived.wait(timeout=60), "the worker never called the API"
            assert _status(message_id).status == "sending"
        finally:
            kill(worker)
        twilio.gate.set()  # the held request is dropped: Twilio never accepted it
        assert twilio.accepted == []
        assert _status(message_id).status == "sending"

        twilio.hold = False
        _sweep_and_resend(app, twilio, tmp_path, message_id)

        assert len(twilio.accepted) == 1
        assert twilio.accepted[0]["form"]["To"] == NUMBER
        assert twilio.accepted[0]["form"]["Body"] == "Still here for you"
        row = _status(message_id)
        assert row.status == "sent" and row.twilio_sid == twilio.accepted[0]["sid"]
        assert row.attempts == 2


def test_killed_after_the_send_is_recorded_is_not_sent_again(app, make, session, tmp_path):
    with FakeTwilio() as twilio:
        message_id = _queue_one(make, session)
        worker = _start_worker(app, twilio, tmp_path)
        try:
            _wait_for(lambda: _status(message_id).status == "sent")
        finally:
            kill(worker)
        _sweep_and_resend(app, twilio, tmp_path, message_id)
        assert len(twilio.accepted) == 1
        assert _status(message_id).twilio_sid == twilio.accepted[0]["sid"]


def test_killed_after_twilio_accepted_is_reconciled_not_sent_again(app, make, session, tmp_path):
    """Twilio accepted, the worker died before recording the SID: the retry finds it."""
    with FakeTwilio() as twilio:
        twilio.hold = True
        twilio.accept_before_hold = True  # Twilio accepted; the answer never reaches the worker
        message_id = _queue_one(make, session)
        worker = _start_worker(app, twilio, tmp_path)
        try:
            assert twilio.arrived.wait(timeout=60)
        finally:
            kill(worker)
        twilio.hold = False
        twilio.accept_before_hold = False
        twilio.gate.set()
        assert _status(message_id).status == "sending"
        _sweep_and_resend(app, twilio, tmp_path, message_id)
        assert len(twilio.accepted) == 1
        assert twilio.lookups == 1  # asked Twilio before sending again
        row = _status(message_id)
        assert row.status == "sent" and row.twilio_sid == twilio.accepted[0]["sid"]
