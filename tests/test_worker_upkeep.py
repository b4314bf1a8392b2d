"""Upkeep never starves: periodic jobs never pile up, and they run ahead of a message backlog."""

from __future__ import annotations

from rq.job import Job, JobStatus

from peerwork import clock
from peerwork import jobs as peerwork_jobs
from peerwork.extensions import db, get_dispatcher, get_redis
from peerwork.models import Message
from peerwork.queue import periodic_job_id
from peerwork.sms.outbox import queue_sms
from peerwork.worker import build_cron
from tests.conftest import InProcessWorker


def _periodic(func):
    for job, _seconds, queue in peerwork_jobs.PERIODIC:
        if job is func:
            return queue
    raise AssertionError(f"{func.__name__} is not periodic")


def test_a_periodic_job_is_never_pending_twice(app, jobs):
    cron = build_cron(app)
    for _ in range(50):
        for cron_job in cron.get_jobs():
            cron_job.enqueue(get_redis(app))
    pending = jobs.pending()
    assert sorted(pending) == sorted(
        {f"peerwork.jobs.{f.__name__}" for f, *_ in peerwork_jobs.PERIODIC}
    )

    jobs.run()
    assert jobs.pending() == []
    # Once it ran, the next run is queued again as usual.
    for cron_job in cron.get_jobs():
        cron_job.enqueue(get_redis(app))
    assert len(jobs.pending()) == len(peerwork_jobs.PERIODIC)
    jobs.run()


def test_the_sweep_runs_before_a_backlog_of_outbound_messages(app, make, jobs):
    program = make.program(messages_per_second=1000)
    texters = [make.texter(program, f"+1716556{n:04d}") for n in range(200)]
    ids = [
        queue_sms(
            db.session,
            program=program,
            body=f"Message {n}",
            now=clock.now(),
            dispatcher=get_dispatcher(),
            texter_id=texter.id,
        ).id
        for n, texter in enumerate(texters)
    ]
    db.session.commit()
    prefix = app.config["RQ_QUEUE_PREFIX"]
    dispatcher = get_dispatcher()
    assert dispatcher.queue(_periodic(peerwork_jobs.outbox_sweep)).name.startswith(prefix + ":")
    for _ in range(5):
        dispatcher.enqueue_periodic(
            peerwork_jobs.outbox_sweep, queue=_periodic(peerwork_jobs.outbox_sweep)
        )
    assert len(jobs.pending()) == 201

    # The next job any worker takes is the sweep, not the 200 sends ahead of it.
    worker = InProcessWorker(dispatcher.all_queues(), connection=dispatcher.connection)
    worker.work(burst=True, max_jobs=1)
    sweep = Job.fetch(periodic_job_id(peerwork_jobs.outbox_sweep), connection=get_redis(app))
    assert sweep.get_status() == JobStatus.FINISHED
    db.session.expire_all()
    assert {db.session.get(Message, i).status for i in ids} == {"queued"}
    assert len(jobs.pending()) == 200

    jobs.run(max_rounds=5)
    db.session.expire_all()
    assert {db.session.get(Message, i).status for i in ids} == {"sent"}


def test_a_periodic_run_lost_to_a_redis_outage_is_not_marked_done(app):
    """RQ's cron marks a run done after enqueueing it: an enqueue that Redis refused must
    raise first, so the scheduler's restart (`run_scheduler`) runs it as soon as Redis is
    back instead of an interval later (the outbox sweep re-sends what the outage dropped)."""
    import pytest
    import redis as redis_lib

    from peerwork.scheduling import REDIS_DOWN

    cron = build_cron(app)
    cron.connection = redis_lib.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    with pytest.raises(REDIS_DOWN):
        cron.enqueue_jobs()
    assert all(job.latest_enqueue_time is None for job in cron.get_jobs())
    assert all(job.should_run() for job in cron.get_jobs())
