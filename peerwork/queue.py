"""RQ access: queue names in one place, and a small dispatcher domain code uses.

Domain functions never import RQ. They receive a `Dispatcher` (or a test
double with the same methods) and hand it a job *name* and ids. Redis only
carries ids: every job reloads its rows, and every piece of work the jobs do
is recorded in the database first, so a lost enqueue (Redis down) is repaired
by the periodic sweeps.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

log = logging.getLogger(__name__)

# Queue names, most urgent first; workers listen to them in this order.
URGENT = "urgent"  # crisis replies and alerts
DEFAULT = "default"  # what texters wrote (the dialog), matching, offers, check-ins
MESSAGES = "messages"  # outbound SMS
MAINTENANCE = "maintenance"  # sweeps, purge
# A worker always takes the first non-empty queue in this order, so an
# outbound backlog (a peer's burst of replies, a throttled number) never
# delays what a texter just wrote, nor matching: those jobs are short, and
# outbound sends wait their turn (their per-second slot) in `messages`.
QUEUE_NAMES = (URGENT, DEFAULT, MESSAGES, MAINTENANCE)


def queue_name(prefix: str, name: str) -> str:
    return f"{prefix}:{name}" if prefix else name


class Dispatcher:
    """Enqueues jobs by dotted name (ids as arguments); survives a Redis outage."""

    def __init__(self, connection: redis.Redis, prefix: str = "peerwork") -> None:
        self.connection = connection
        self.prefix = prefix

    def queue(self, name: str = DEFAULT) -> Queue:
        return Queue(queue_name(self.prefix, name), connection=self.connection)

    def all_queues(self) -> list[Queue]:
        return [self.queue(name) for name in QUEUE_NAMES]

    def enqueue(
        self,
        job: str,
        *args,
        queue: str = DEFAULT,
        at: datetime | None = None,
        delay: timedelta | None = None,
        job_id: str | None = None,
        retry: Retry | None = None,
        timeout: int = 60,
    ):
        """Enqueue `peerwork.<job>(*args)`; return the job, or None if Redis is down.

        `job` is a dotted path below the package, e.g. "jobs.send_message".

        A `job_id` makes the enqueue idempotent: a job already waiting under
        that id is not enqueued twice.
        """
        func = f"peerwork.{job}"
        q = self.queue(queue)
        options = {
            "job_id": job_id,
            "retry": retry,
            "job_timeout": timeout,
            "result_ttl": 600,
            "failure_ttl": 7 * 86400,
        }
        try:
            if job_id is not None and self._already_pending(job_id):
                return None
            if at is not None:
                return q.enqueue_at(at, func, *args, **options)
            if delay is not None:
                return q.enqueue_in(delay, func, *args, **options)
            return q.enqueue(func, *args, **options)
        except redis.RedisError as exc:
            # The work is recorded in the database; a sweep will enqueue it again.
            log.warning("could not enqueue %s: %s (a sweep will retry)", job, type(exc).__name__)
            return None

    def _already_pending(self, job_id: str) -> bool:
        try:
            status = Job.fetch(job_id, connection=self.connection).get_status(refresh=False)
        except NoSuchJobError:
            return False
        return status in {
            JobStatus.QUEUED,
            JobStatus.SCHEDULED,
            JobStatus.DEFERRED,
            JobStatus.STARTED,
        }


class RecordingDispatcher:
    """A test double: records what would be enqueued and runs nothing."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def enqueue(self, job: str, *args, **kwargs):
        self.calls.append({"job": job, "args": args, **kwargs})
        return None

    def jobs(self, name: str) -> list[tuple]:
        return [c["args"] for c in self.calls if c["job"] == name]
