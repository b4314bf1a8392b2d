"""RQ access: queue names in one place, and a small dispatcher domain code uses.

Domain functions never import RQ. They receive a `Dispatcher` (or a test
double with the same methods) and hand it a job by reference (the domain
function the job runs, e.g. `offers.expire_wave`) and ids; the job that runs
it is the same-named entry point in `peerwork.jobs`. Redis only
carries ids: every job reloads its rows, and every piece of work the jobs do
is recorded in the database first, so a lost enqueue (Redis down) is repaired
by the periodic sweeps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.utils import now as rq_now

log = logging.getLogger(__name__)

# Queue names, most urgent first; workers listen to them in this order.
URGENT = "urgent"  # crisis replies and alerts
DEFAULT = "default"  # what texters wrote (the dialog), matching, offers, check-ins
MAINTENANCE = "maintenance"  # the periodic upkeep: sweeps, purge
MESSAGES = "messages"  # outbound SMS
# A worker always takes the first non-empty queue in this order, so an
# outbound backlog (a peer's burst of replies, a throttled number) never
# delays what a texter just wrote, nor matching, nor the upkeep: those jobs
# are short, and outbound sends wait their turn (their per-second slot) in
# `messages`. The upkeep cannot crowd `messages` out: each periodic job has
# at most one instance pending (see `peerwork.worker.enqueue_periodic`).
QUEUE_NAMES = (URGENT, DEFAULT, MAINTENANCE, MESSAGES)

# A job RQ still calls "started" whose worker stopped beating this long ago
# died with its worker: it no longer holds its id (see `job_pending`).
STALE_STARTED = timedelta(minutes=2)


# Where every job RQ runs lives (one registry; see peerwork/jobs.py).
ENTRY_POINTS_MODULE = "peerwork.jobs"


def entry_point(job: Callable) -> str:
    """The dotted path RQ runs for `job`: its same-named entry point in peerwork.jobs."""
    return f"{ENTRY_POINTS_MODULE}.{job.__name__}"


def queue_name(prefix: str, name: str) -> str:
    return f"{prefix}:{name}" if prefix else name


class Dispatcher:
    """Enqueues jobs by reference (ids as arguments); survives a Redis outage."""

    def __init__(self, connection: redis.Redis, prefix: str = "peerwork") -> None:
        self.connection = connection
        self.prefix = prefix
        # One Queue per name: each asks the server's version once (an INFO round trip).
        self._queues: dict[str, Queue] = {}

    def queue(self, name: str = DEFAULT) -> Queue:
        if name not in self._queues:
            self._queues[name] = Queue(queue_name(self.prefix, name), connection=self.connection)
        return self._queues[name]

    def all_queues(self) -> list[Queue]:
        return [self.queue(name) for name in QUEUE_NAMES]

    def enqueue(
        self,
        job: Callable,
        *args,
        queue: str = DEFAULT,
        at: datetime | None = None,
        delay: timedelta | None = None,
        job_id: str | None = None,
        retry: Retry | None = None,
        timeout: int = 60,
        fresh: bool = False,
        raise_when_down: bool = False,
    ):
        """Enqueue the entry point of `job`; return the RQ job, or None if Redis is down.

        `job` is a domain function (e.g. `offers.expire_wave`) or an entry
        point of `peerwork.jobs`; RQ runs `peerwork.jobs.<its name>`.

        A `job_id` makes the enqueue idempotent: a job already waiting under
        that id is not enqueued twice. `fresh`: no job can hold this id yet
        (it names a row this request just created), so the check is skipped
        and the job goes in one pipeline: one Redis round trip (the webhook's).
        `raise_when_down`: a Redis outage raises instead (for a caller with no
        sweep behind it, which must try again itself).
        """
        func = entry_point(job)
        q = self.queue(queue)
        options = {
            "job_id": job_id,
            "retry": retry,
            "job_timeout": timeout,
            "result_ttl": 600,
            "failure_ttl": 7 * 86400,
        }
        try:
            if fresh and at is None and delay is None:
                return self._enqueue_in_one_trip(q, func, args, options)
            if job_id is not None and self._already_pending(job_id):
                return None
            if at is not None:
                return q.enqueue_at(at, func, *args, **options)
            if delay is not None:
                return q.enqueue_in(delay, func, *args, **options)
            return q.enqueue(func, *args, **options)
        except redis.RedisError as exc:
            if raise_when_down:
                raise
            # The work is recorded in the database; a sweep will enqueue it again.
            log.warning("could not enqueue %s: %s (a sweep will retry)", func, type(exc).__name__)
            return None

    def _enqueue_in_one_trip(self, q: Queue, func: str, args: tuple, options: dict):
        options = dict(options)
        rq_job = q.create_job(func, args=args, timeout=options.pop("job_timeout"), **options)
        with self.connection.pipeline() as pipe:
            q.enqueue_job(rq_job, pipeline=pipe)
            pipe.execute()
        return rq_job

    def enqueue_periodic(self, job: Callable, *, queue: str, timeout: int = 300):
        """One run of a periodic job, unless one is already queued or running.

        Under its one fixed id (`periodic_job_id`), a periodic job never piles
        up behind a slow or stopped worker. A Redis outage raises: the sweeps
        are what re-enqueue lost work, so a lost sweep must not wait for its
        next turn (30 s for the outbox's, a day for some).
        """
        return self.enqueue(
            job, queue=queue, job_id=periodic_job_id(job), timeout=timeout, raise_when_down=True
        )

    def _already_pending(self, job_id: str) -> bool:
        return job_pending(self.connection, job_id)


def periodic_job_id(job: Callable) -> str:
    """The one id a periodic job is queued under."""
    return f"periodic-{job.__name__}"


def job_pending(connection: redis.Redis, job_id: str) -> bool:
    """Is the job with this id waiting or running (so enqueueing it again would double it)?

    A "started" job whose worker has not beaten for `STALE_STARTED` died with
    that worker (RQ notices only at its next clean-up): it is not pending.
    """
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status == JobStatus.STARTED:
        beat = job.last_heartbeat or job.started_at
        return beat is None or rq_now() - _aware(beat) < STALE_STARTED
    return status in {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
