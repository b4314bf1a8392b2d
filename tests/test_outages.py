"""Keep working through outages, with real processes: a Redis restart, a crashed worker.

The worker and scheduler are `python -m peerwork worker|scheduler`, each in its
own process group, sending through the real `twilio` client to the local
Twilio stand-in (tests/fake_twilio.py), which counts every send.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select

from peerwork import clock
from peerwork.embedded_redis import EmbeddedRedis
from peerwork.extensions import db, get_dispatcher
from peerwork.models import Message
from peerwork.queue import MESSAGES, Dispatcher
from peerwork.sms import sender
from peerwork.sms.outbox import queue_sms
from tests.fake_twilio import FakeTwilio
from tests.processes import kill, start_peerwork, stop

pytestmark = [pytest.mark.committed, pytest.mark.slow, pytest.mark.real_clock]


def _start(app, twilio, tmp_path, command: str, redis_url: str) -> subprocess.Popen:
    # The outbox sweep picks up what an outage dropped after 2 s, not the default 60 s.
    return start_peerwork(
        app, twilio, tmp_path, command, redis_url=redis_url, PEERWORK_OUTBOX_SWEEP_AFTER="2"
    )


def _statuses(ids: list[int]) -> dict[int, str]:
    try:
        rows = db.session.execute(select(Message.id, Message.status).where(Message.id.in_(ids)))
        return dict(rows.all())
    finally:
        db.session.rollback()  # end the read: SQLite would hold its lock


def _wait_until_sent(ids: list[int], timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if set(_statuses(ids).values()) == {"sent"}:
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"not sent within {timeout}s: {_statuses(ids)}")


def _queue(session, program, texters, dispatcher, label: str) -> list[int]:
    ids = [
        queue_sms(
            session,
            program=program,
            body=f"{label} {n}",
            now=clock.now(),
            dispatcher=dispatcher,
            texter_id=texter.id,
        ).id
        for n, texter in enumerate(texters)
    ]
    session.commit()
    return ids


def test_worker_and_scheduler_ride_out_a_redis_restart(app, make, session, tmp_path):
    """Redis goes away (and forgets everything) during traffic: nothing dies, lost or doubled."""
    server = EmbeddedRedis(tmp_path / "redis")
    url = server.start()
    dispatcher = Dispatcher(redis.Redis.from_url(url), app.config["RQ_QUEUE_PREFIX"])
    program = make.program(messages_per_second=30)
    # One texter per message: messages to one person wait in line behind each other.
    texters = {
        label: [make.texter(program, f"+171655{k}{n:04d}") for n in range(3)]
        for k, label in enumerate(("before", "during", "after"))
    }
    session.commit()
    with FakeTwilio() as twilio:
        worker = _start(app, twilio, tmp_path, "worker", url)
        scheduler = _start(app, twilio, tmp_path, "scheduler", url)
        try:
            before = _queue(session, program, texters["before"], dispatcher, "before")
            try:
                _wait_until_sent(before, 60)
            except AssertionError as exc:  # say why: the worker's own words (CI saw this once)
                log = (tmp_path / "worker.log").read_text()[-3000:]
                raise AssertionError(
                    f"{exc}\nworker alive: {worker.poll() is None}\n{log}"
                ) from None

            server.stop()
            during = _queue(
                session, program, texters["during"], dispatcher, "during"
            )  # enqueue fails
            time.sleep(3)  # both processes run into the outage
            server.start()

            after = _queue(session, program, texters["after"], dispatcher, "after")
            resumed = _wait_until_sent(after, 10)
            print(f"processing resumed {resumed:.1f}s after Redis was back")
            _wait_until_sent(during, 60)  # the outbox sweep found what the outage dropped

            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            assert scheduler.poll() is None, (tmp_path / "scheduler.log").read_text()[-3000:]
        finally:
            stop(worker)
            stop(scheduler)
            server.stop()
        sent = Counter(request["form"]["Body"] for request in twilio.accepted)
    expected = {f"{label} {n}" for label in ("before", "during", "after") for n in range(3)}
    assert set(sent) == expected
    assert set(sent.values()) == {1}, sent  # nothing sent twice
    worker_log = (tmp_path / "worker.log").read_text()
    assert "registering again" in worker_log or "starting again" in worker_log


def test_delayed_jobs_recover_within_seconds_after_a_worker_crash(app, make, session, tmp_path):
    """The worker holding the scheduler lock dies; another one takes its delayed jobs over."""
    url = app.config["REDIS_URL"]
    connection = redis.Redis.from_url(url)
    dispatcher = get_dispatcher()
    lock_key = f"rq:scheduler-lock:{dispatcher.queue(MESSAGES).name}"
    connection.delete(lock_key)
    program = make.program(messages_per_second=30)
    texter = make.texter(program, "+17165558000")
    session.commit()
    with FakeTwilio() as twilio:
        first = _start(app, twilio, tmp_path, "worker", url)
        try:
            deadline = time.monotonic() + 60
            while connection.get(lock_key) is None:
                assert time.monotonic() < deadline, "the first worker never took the lock"
                time.sleep(0.1)
        finally:
            kill(first)
        assert connection.get(lock_key) is not None  # the dead worker still holds it

        # A delayed job, due in two seconds (as an offer expiry or a throttled send is).
        message = queue_sms(
            session,
            program=program,
            body="Delayed but not forgotten",
            now=clock.now(),
            dispatcher=None,
            texter_id=texter.id,
        )
        session.commit()
        dispatcher.enqueue(
            sender.send_message, message.id, queue=MESSAGES, delay=timedelta(seconds=2)
        )
        second = _start(app, twilio, tmp_path, "worker", url)
        try:
            took = _wait_until_sent([message.id], 30)
            print(f"delayed job ran {took:.1f}s after the replacement worker started")
        finally:
            stop(second)
    assert [r["form"]["Body"] for r in twilio.accepted] == ["Delayed but not forgotten"]
