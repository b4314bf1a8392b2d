"""RQ's scheduler for delayed jobs (enqueue_at/enqueue_in), made to recover in seconds.

RQ's own scheduler holds one lock per queue for `interval + 60` seconds and a
worker whose scheduler did not get the locks tries again only at its
10-minute maintenance step: after a worker crash, offer expiries and
check-ins stalled for ten minutes. Ours:

- holds the locks for `LOCK_TTL` seconds (refreshed every second while alive),
- keeps trying for locks it does not hold every `LOCK_RETRY` seconds, so a
  standby scheduler (another worker's, or the `peerwork scheduler` process's)
  takes over seconds after the holder dies,
- rides out a Redis restart or hang: it logs one line, backs off and goes on.

Every worker and the `peerwork scheduler` process run one; the locks make
exactly one of them move due jobs onto their queues at a time.
"""

from __future__ import annotations

import logging
import time

import redis
from rq.scheduler import RQScheduler
from rq.scripts import ACQUIRE_OR_REFRESH_LOCK_SCRIPT, acquire_or_refresh_lock
from rq.utils import now as rq_now
from rq.utils import utcformat

from peerwork.embedded_redis import die_with_parent

log = logging.getLogger(__name__)

LOCK_TTL = 10  # seconds a scheduler lock outlives its holder's last heartbeat
LOCK_RETRY = 2  # seconds between attempts at locks held by someone else
STOP_TICK = 0.05  # seconds between looks at a stop request while waiting

REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)


class Backoff:
    """Capped exponential waits between attempts; reset after a long enough good run."""

    def __init__(self, first: float = 0.5, cap: float = 10.0, healthy_after: float = 60.0) -> None:
        self.first, self.cap, self.healthy_after = first, cap, healthy_after
        self.delay = first
        self.started = time.monotonic()

    def began(self) -> None:
        """Mark the start of an attempt."""
        self.started = time.monotonic()

    def next(self) -> float:
        """The wait before the next attempt."""
        if time.monotonic() - self.started > self.healthy_after:
            self.delay = self.first
        delay, self.delay = self.delay, min(self.cap, self.delay * 2)
        return delay


class PeerworkScheduler(RQScheduler):
    """RQScheduler with short locks, quick takeover and no death on a Redis outage."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._last_lock_attempt: float | None = None

    @property
    def should_reacquire_locks(self) -> bool:
        if self._queue_names == self._acquired_locks:
            return False
        last = self._last_lock_attempt
        return last is None or time.monotonic() - last >= LOCK_RETRY

    def acquire_locks(self, auto_start: bool = False) -> set[str]:
        self._last_lock_attempt = time.monotonic()
        owned = set()
        for name in self._queue_names:
            outcome = acquire_or_refresh_lock(
                self.connection, self.get_locking_key(name), self.name, LOCK_TTL
            )
            if outcome == "acquired":
                self.log.info("Acquired scheduler lock for %s", name)
            if outcome in ("acquired", "refreshed"):
                owned.add(name)
        self._scheduled_job_registries = []
        self._acquired_locks = owned
        if owned and auto_start and (not self._process or not self._process.is_alive()):
            self.start()
        return owned

    def heartbeat(self) -> None:
        """Refresh our metadata and the locks we hold; drop those another scheduler took."""
        self.last_heartbeat = rq_now()
        names = sorted(self._acquired_locks)
        script = self.connection.register_script(ACQUIRE_OR_REFRESH_LOCK_SCRIPT)
        with self.connection.pipeline() as pipeline:
            pipeline.hset(self.key, "last_heartbeat", utcformat(self.last_heartbeat))
            pipeline.expire(self.key, self.interval + 60)
            for name in names:
                script(
                    keys=[self.get_locking_key(name)], args=[self.name, LOCK_TTL], client=pipeline
                )
            results = pipeline.execute()
        lost = {name for name, outcome in zip(names, results[2:], strict=True) if outcome == 0}
        if lost:
            self.log.warning("Scheduler locks for %s taken over", ", ".join(sorted(lost)))
            self._acquired_locks -= lost
            self._scheduled_job_registries = []

    def _nap(self, seconds: float) -> None:
        """Sleep, but wake within a tick of a stop request (a stop must not wait out the interval)."""
        deadline = time.monotonic() + seconds
        while not self._stop_requested and time.monotonic() < deadline:
            time.sleep(min(STOP_TICK, max(0.0, deadline - time.monotonic())))

    def work(self) -> None:
        """Move due delayed jobs onto their queues until stopped, through Redis outages."""
        die_with_parent()  # runs in its own process: no orphan holding the locks
        self._install_signal_handlers()
        backoff = Backoff()
        born = False
        while not self._stop_requested:
            try:
                if not born:
                    self.register_birth()
                    born = True
                if self.should_reacquire_locks:
                    self.acquire_locks()
                self.heartbeat()
                self.enqueue_scheduled_jobs()
            except REDIS_DOWN as exc:
                # Whatever we held may have expired meanwhile: ask again once Redis is back.
                self._acquired_locks = set()
                self._scheduled_job_registries = []
                self._last_lock_attempt = None
                born = False
                delay = backoff.next()
                log.warning(
                    "scheduler lost Redis (%s); retrying in %.1fs", type(exc).__name__, delay
                )
                time.sleep(delay)
                backoff.began()
                continue
            self._nap(self.interval)
        try:
            self.stop()
        except redis.RedisError:
            pass  # Redis is gone: the locks expire by themselves
