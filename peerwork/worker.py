"""Worker and scheduler start-up.

`peerwork worker` runs an RQ worker on every queue, most urgent first, with
RQ's scheduler for `enqueue_at`/`enqueue_in` jobs (offer expiry, check-ins).
`peerwork scheduler` runs RQ's CronScheduler for the periodic upkeep jobs
listed in `peerwork.jobs.PERIODIC`; every one of them is idempotent, so
running a scheduler on more than one host is safe (merely wasteful).
"""

from __future__ import annotations

import logging

from rq import Worker
from rq.cron import CronScheduler

from peerwork import jobs
from peerwork.extensions import get_dispatcher, get_redis
from peerwork.jobs import use_app
from peerwork.queue import DEFAULT, queue_name

log = logging.getLogger(__name__)


def periodic_jobs() -> list[tuple]:
    """The periodic upkeep: (job, seconds, queue), from the one registry."""
    return list(jobs.PERIODIC)


def build_worker(app, *, name: str | None = None) -> Worker:
    use_app(app)
    dispatcher = get_dispatcher(app)
    return Worker(dispatcher.all_queues(), connection=get_redis(app), name=name)


def run_worker(app, *, burst: bool = False, with_scheduler: bool = True) -> bool:
    """Work until stopped (or, with burst, until the queues are empty)."""
    worker = build_worker(app)
    return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="INFO")


def build_cron(app) -> CronScheduler:
    use_app(app)
    prefix = app.config["RQ_QUEUE_PREFIX"]
    cron = CronScheduler(connection=get_redis(app), logging_level="INFO")
    for func, seconds, queue in periodic_jobs():
        cron.register(func, queue_name(prefix, queue or DEFAULT), interval=seconds, job_timeout=300)
    return cron


def run_scheduler(app) -> None:
    build_cron(app).start()
