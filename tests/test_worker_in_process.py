"""The default worker runs each job in its own process: no fork per job (issue #17).

A fork per job cost a new database connection and the horse's start-up:
measured on a 300-text backlog, 136 ms of a job's 150 ms went to waiting for
the horse. The in-process class once forked anyway (its bases put RQ's
forking `Worker` before `SimpleWorker`), so these tests run real jobs with
`os.fork` made to fail.
"""

from __future__ import annotations

import os

import pytest
from rq import SimpleWorker, Worker
from sqlalchemy import select

from peerwork import clock
from peerwork import jobs as jobs_module
from peerwork.extensions import db, get_dispatcher
from peerwork.models import Message
from peerwork.sms.outbox import queue_sms
from peerwork.worker import PeerworkInProcessWorker, PeerworkWorker, build_worker


def _no_fork():
    raise AssertionError("the in-process worker forked")


@pytest.mark.committed  # build_worker empties the pool: no test transaction may hold a connection
def test_the_default_worker_runs_jobs_without_forking(app, make, monkeypatch):
    program = make.program(messages_per_second=10)  # both sends in this second
    texters = [make.texter(program, f"+1716555014{n}") for n in range(2)]
    messages = [
        queue_sms(
            db.session,
            program=program,
            body="Hello from the outbox",
            now=clock.now(),
            dispatcher=get_dispatcher(),
            texter_id=texter.id,
        )
        for texter in texters
    ]
    db.session.commit()
    ids = [m.id for m in messages]
    db.session.remove()
    monkeypatch.setattr(jobs_module, "_app", None)  # build_worker sets it; restored after
    monkeypatch.setattr(os, "fork", _no_fork)

    worker = build_worker(app)
    assert isinstance(worker, PeerworkInProcessWorker)
    worker.work(burst=True, with_scheduler=False)

    sent = db.session.scalars(select(Message).where(Message.id.in_(ids)))
    assert {m.status for m in sent} == {"sent"}


def test_each_worker_class_runs_jobs_the_way_its_name_says():
    # The method RQ calls per job: SimpleWorker's runs it here, Worker's forks a horse.
    assert PeerworkInProcessWorker.execute_job is SimpleWorker.execute_job
    assert PeerworkWorker.execute_job is Worker.execute_job
    # Both keep peerwork's additions (the always-running scheduler, re-registration).
    for cls in (PeerworkInProcessWorker, PeerworkWorker):
        assert cls.heartbeat is PeerworkInProcessWorker.heartbeat
        assert cls._start_scheduler is PeerworkInProcessWorker._start_scheduler
