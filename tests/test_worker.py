"""RQ plumbing with real processes: a worker process sends an outbox message,
the scheduler knows every periodic job, and the embedded Redis leaves no orphan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import redis
from sqlalchemy import select

from peerwork import clock
from peerwork.embedded_redis import EmbeddedRedis, is_serving
from peerwork.extensions import db, get_dispatcher
from peerwork.models import Message
from peerwork.sms.outbox import queue_sms
from tests.processes import ROOT, peerwork_env


@pytest.mark.committed
@pytest.mark.real_clock
def test_worker_process_sends_a_queued_message(app, make, tmp_path):
    """An outbox row committed here is sent by `peerwork worker --burst` in another process."""
    program = make.program()
    texter = make.texter(program, "+17165550142")
    message = queue_sms(
        db.session,
        program=program,
        body="Hello from the outbox",
        now=clock.now(),
        dispatcher=get_dispatcher(),
        texter_id=texter.id,
    )
    db.session.commit()
    assert [q.count for q in get_dispatcher().all_queues()] != [0, 0, 0, 0]

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "peerwork", "worker", "--burst", "--no-scheduler"],
        env=peerwork_env(app, tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    db.session.expire_all()
    sent = db.session.scalar(select(Message).where(Message.id == message.id))
    assert sent.status == "sent"
    assert sent.twilio_sid
    # Privacy: the worker's own log never shows the number or the body.
    assert "7165550142" not in result.stderr + result.stdout
    assert "Hello from the outbox" not in result.stderr + result.stdout


def test_scheduler_registers_every_periodic_job(app):
    from peerwork.worker import build_cron

    cron = build_cron(app)
    names = {f"{job.func.__module__}.{job.func.__name__}" for job in cron.get_jobs()}
    assert "peerwork.jobs.outbox_sweep" in names
    assert "peerwork.jobs.inbound_sweep" in names
    assert "peerwork.jobs.matching_sweep" in names
    prefix = app.config["RQ_QUEUE_PREFIX"]
    assert all(job.queue_name.startswith(prefix + ":") for job in cron.get_jobs())


def test_embedded_redis_starts_and_stops_cleanly(tmp_path):
    server = EmbeddedRedis(tmp_path)
    url = server.start()
    assert redis.Redis.from_url(url).ping()
    pid = server.process.pid
    server.stop()
    assert not is_serving(server.socket)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_embedded_redis_dies_with_the_process_that_started_it(tmp_path):
    """No orphan server outlives a killed parent (PR_SET_PDEATHSIG)."""
    code = (
        "import sys, time\n"
        "from peerwork.embedded_redis import EmbeddedRedis\n"
        f"s = EmbeddedRedis({str(tmp_path)!r}); s.start()\n"
        "print(s.process.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )  # noqa: S603
    child_pid = int(parent.stdout.readline())
    os.kill(child_pid, 0)  # alive
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)
    parent.stdout.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            break
        try:  # reap if it became our zombie
            os.waitpid(child_pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    else:
        os.kill(child_pid, signal.SIGKILL)
        pytest.fail("embedded Redis outlived its parent")
