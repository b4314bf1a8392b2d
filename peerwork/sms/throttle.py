"""Per-sending-number throttle: at most N messages a second from one number.

A counter per number per second in Redis (INCR + EXPIRE). Over the limit,
the sender job re-enqueues itself a moment later instead of sleeping, so a
busy number never ties up a worker.
"""

from __future__ import annotations

import hashlib
import logging

import redis

from peerwork import clock

log = logging.getLogger(__name__)


class Throttle:
    """Counts sends per number per second; `allow()` says whether one more fits."""

    def __init__(self, connection: redis.Redis, prefix: str = "peerwork") -> None:
        self.connection = connection
        self.prefix = prefix

    def _key(self, number: str, second: int) -> str:
        # A program's own number is not secret, but a digest keeps keys uniform.
        digest = hashlib.sha256(number.encode()).hexdigest()[:16]
        return f"{self.prefix}:throttle:{digest}:{second}"

    def allow(self, number: str, per_second: int, at: float | None = None) -> bool:
        """Take one slot for `number` in the current second; False when it is full."""
        second = int(clock.timestamp() if at is None else at)
        key = self._key(number, second)
        try:
            pipe = self.connection.pipeline()
            pipe.incr(key)
            pipe.expire(key, 5)
            count, _ = pipe.execute()
        except redis.RedisError as exc:
            # Sending late is worse than sending a little fast: let it through.
            log.warning("throttle unavailable (%s); sending unthrottled", type(exc).__name__)
            return True
        return int(count) <= max(1, per_second)
