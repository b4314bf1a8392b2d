"""Worker and scheduler start-up, made to keep working through outages.

`peerwork worker` runs an RQ worker on every queue, most urgent first, with
a scheduler for `enqueue_at`/`enqueue_in` jobs (offer expiry, check-ins; see
`peerwork.scheduling`: a standby takes over seconds after a crash).
`peerwork scheduler` runs RQ's CronScheduler for the periodic upkeep jobs
listed in `peerwork.jobs.PERIODIC` (each with at most one instance pending,
under a fixed job id: `Dispatcher.enqueue_periodic`), and a delayed-job scheduler too.

Both ride out a Redis restart or hang: RQ gives up on a lost connection
(the worker while it watches a job, the cron scheduler when it registers
its death), so each runs in a loop that logs one line, backs off (capped)
and starts again, registering afresh.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time

from rq import SimpleWorker, Worker
from rq.cron import CronJob, CronScheduler
from rq.exceptions import SchedulerNotFound
from rq.worker import BaseWorker

from peerwork import jobs
from peerwork.extensions import db, get_dispatcher, get_redis
from peerwork.jobs import use_app
from peerwork.queue import DEFAULT, Dispatcher, queue_name
from peerwork.scheduling import REDIS_DOWN, Backoff, PeerworkScheduler
from peerwork.sms import transport as sms_transport

log = logging.getLogger(__name__)

PERIODIC_TIMEOUT = 300  # seconds a periodic job may run
HORSE_GRACE = 60.0  # seconds a running job may take to finish after its worker lost Redis


def periodic_jobs() -> list[tuple]:
    """The periodic upkeep: (job, seconds, queue), from the one registry."""
    return list(jobs.PERIODIC)


class PeriodicJob(CronJob):
    """A CronJob that never piles up: one pending instance at most (see Dispatcher.enqueue_periodic)."""

    def __init__(self, *, prefix: str, queue: str, **kwargs) -> None:
        super().__init__(queue_name=queue_name(prefix, queue), **kwargs)
        self.prefix, self.queue = prefix, queue

    def enqueue(self, connection):
        # A Redis outage raises out of RQ's loop before the run is marked done:
        # `run_scheduler` starts the cron again once Redis answers, and a fresh
        # cron runs every job at once, so no periodic run is lost to the outage.
        return Dispatcher(connection, self.prefix).enqueue_periodic(
            self.func, queue=self.queue, timeout=self.job_options["job_timeout"]
        )


class PeriodicScheduler(CronScheduler):
    def register(self, func, prefix: str, queue: str, *, interval: int, job_timeout: int):
        cron_job = PeriodicJob(
            prefix=prefix, queue=queue, func=func, interval=interval, job_timeout=job_timeout
        )
        self._cron_jobs.append(cron_job)
        return cron_job


class PeerworkWorkerMixin(BaseWorker):
    """What both peerwork workers add to RQ's: a delayed-job scheduler that always runs.

    RQ's starts its scheduler only if it gets the locks at once, and asks
    again only at its 10-minute maintenance step. And while Redis is down it
    retries every few seconds (RQ backs off up to a minute), and registers
    again if a restarted Redis forgot it.
    """

    max_connection_wait_time = 2.0
    # RQ beats several times per job: whether Redis still knows this worker is
    # asked at most this often (seconds), not on every beat (a round trip each).
    registration_check_every = 5.0
    _registration_checked = float("-inf")
    # RQ's loop beats around every job (two round trips each) while its key
    # lives `worker_ttl` + 60 s: a plain beat this soon after the last is skipped.
    beat_every = 1.0
    _last_plain_beat = float("-inf")

    def heartbeat(self, timeout: int | None = None, pipeline=None) -> None:
        if pipeline is None and timeout is None:
            if time.monotonic() - self._last_plain_beat < self.beat_every:
                return
            self._last_plain_beat = time.monotonic()
        if (
            pipeline is None
            and self.birth_date is not None
            and time.monotonic() - self._registration_checked >= self.registration_check_every
        ):
            self._registration_checked = time.monotonic()
            if not self.connection.exists(self.key):
                log.warning("worker registration lost (Redis restarted); registering again")
                self.register_birth()
        super().heartbeat(timeout, pipeline)

    def unsubscribe(self) -> None:
        """Stop listening for commands without RQ's one-second wait for its listener thread.

        The thread is a daemon and closes its connection as it ends; waiting for it
        only made every stop (Ctrl-C in `peerwork run`) a second slower.
        """
        if self.pubsub_thread:
            self.pubsub.unsubscribe()  # its confirmation wakes the thread, which then closes
            self.pubsub_thread.stop()
            self.pubsub_thread = None

    def _start_scheduler(self, burst: bool = False, logging_level=None, *_args, **_kwargs) -> None:
        self.scheduler = PeerworkScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            serializer=self.serializer,
        )
        if not burst:
            self.scheduler.start()
            return
        if self.scheduler.acquire_locks():
            try:
                self.scheduler.register_birth()
                self.scheduler.enqueue_scheduled_jobs()
            finally:
                self.scheduler.release_locks()
                self.scheduler.register_death()


class PeerworkWorker(PeerworkWorkerMixin, Worker):
    """The forking worker: a new process (the work horse) per job (PEERWORK_WORKER_FORK_PER_JOB=1)."""


class PeerworkInProcessWorker(PeerworkWorkerMixin, SimpleWorker):
    """Runs each job in the worker's own process: no fork, no new connection per job.

    Jobs are plain functions that take ids and own their session (removed
    after each, `peerwork.jobs.job`), so nothing of one job leaks into the
    next; the job timeout still holds (RQ's SIGALRM death penalty). A fork per
    job cost a new database connection and, in the horse, every lazy import
    and client again: most of a job's time (issue #17).

    SimpleWorker must come before RQ's forking `Worker` in the bases: it was
    `(PeerworkWorker, SimpleWorker)`, whose MRO put `Worker.execute_job` first,
    so this class forked per job after all (136 ms of a job's 150 ms waiting
    for the horse, measured on a 300-text backlog).
    """


def prepare_for_jobs(app) -> None:
    """What every job would otherwise build for itself: done once, before any fork.

    The SMS transport (the twilio client and the REST modules it imports
    lazily) and the Redis client are built here, in the parent, so forked
    horses inherit them. The database pool is emptied: a forked child must
    never use the parent's connections (db.py disposes them in the child too).
    """
    with app.app_context():
        sms_transport.prepare(sms_transport.get_transport(app))
        get_dispatcher(app)
        db.engine.dispose()


def build_worker(app, *, name: str | None = None) -> Worker:
    use_app(app)
    prepare_for_jobs(app)
    dispatcher = get_dispatcher(app)
    worker_class = PeerworkWorker if app.config["WORKER_FORK_PER_JOB"] else PeerworkInProcessWorker
    return worker_class(dispatcher.all_queues(), connection=get_redis(app), name=name)


def _wait_for_child(pid: int, grace: float) -> None:
    """Let a child (the job in progress) finish, up to `grace` seconds; then kill it."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # the work horse leads its own process group
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _clear_up(worker: Worker) -> None:
    """After a lost connection: let the running job end, stop the old scheduler process."""
    if worker.horse_pid:
        _wait_for_child(worker.horse_pid, HORSE_GRACE)
        worker._horse_pid = 0
    scheduler = worker.scheduler
    process = scheduler._process if scheduler is not None else None
    if process is not None and process.is_alive():
        process.terminate()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)


def _stopped(worker: Worker) -> bool:
    """Was the worker told to stop (SIGTERM/SIGINT), rather than cut off from Redis?"""
    return worker._stop_requested or worker._shutdown_requested_date is not None


def _pause(seconds: float) -> None:
    """Back off; a stop signal now ends the process at once (RQ's handlers are not active)."""
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        time.sleep(seconds)
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_worker(
    app, *, burst: bool = False, with_scheduler: bool = True, logging_level: str = "INFO"
) -> bool:
    """Work until stopped (or, with burst, until the queues are empty), through Redis outages."""
    backoff = Backoff()
    while True:
        worker = None
        backoff.began()
        try:
            worker = build_worker(app)  # a fresh name and registration each time
            worked = worker.work(
                burst=burst, with_scheduler=with_scheduler, logging_level=logging_level
            )
            failure = None
        except REDIS_DOWN as exc:
            if burst:
                raise
            worked, failure = False, exc
        if worker is not None:
            if burst or _stopped(worker):
                return worked
            _clear_up(worker)
        delay = backoff.next()
        reason = type(failure).__name__ if failure else "the work loop ended"
        log.warning("worker stopped (%s); starting again in %.1fs", reason, delay)
        _pause(delay)


def build_cron(app) -> CronScheduler:
    use_app(app)
    prefix = app.config["RQ_QUEUE_PREFIX"]
    cron = PeriodicScheduler(connection=get_redis(app), logging_level="INFO")
    for func, seconds, queue in periodic_jobs():
        cron.register(
            func, prefix, queue or DEFAULT, interval=seconds, job_timeout=PERIODIC_TIMEOUT
        )
    return cron


def build_delayed_scheduler(app) -> PeerworkScheduler:
    use_app(app)
    return PeerworkScheduler(get_dispatcher(app).all_queues(), connection=get_redis(app))


def run_scheduler(app) -> None:
    """The periodic upkeep, and a standby delayed-job scheduler, through Redis outages."""
    delayed = build_delayed_scheduler(app)
    delayed.start()  # its own process; it keeps going through outages by itself
    backoff = Backoff()
    try:
        while True:
            backoff.began()
            try:
                build_cron(app).start()
                return  # stopped by a signal
            except SchedulerNotFound:
                return  # stopped, and a restarted Redis had already forgotten it
            except REDIS_DOWN as exc:
                delay = backoff.next()
                log.warning(
                    "scheduler lost Redis (%s); starting again in %.1fs", type(exc).__name__, delay
                )
                _pause(delay)
    finally:
        process = delayed._process
        if process is not None and process.is_alive():
            process.terminate()
            process.join(10)
