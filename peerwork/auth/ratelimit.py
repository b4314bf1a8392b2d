"""Login rate limiting shared by every web process, kept in Redis.

A fixed window per key (client address and per account). If Redis is
unreachable we fail open for logins rather than lock every user out, and
log it: an outage must not stop volunteers from answering texts.
"""

from __future__ import annotations

import hashlib
import logging

import redis

log = logging.getLogger(__name__)


class LoginLimiter:
    def __init__(
        self, connection: redis.Redis, limit: int, window_seconds: int, prefix: str = "peerwork"
    ) -> None:
        self.connection = connection
        self.limit = limit
        self.window = window_seconds
        self.prefix = prefix

    def _key(self, kind: str, value: str) -> str:
        digest = hashlib.sha256(value.lower().encode()).hexdigest()[:32]
        return f"{self.prefix}:login:{kind}:{digest}"

    def blocked(self, address: str, email: str) -> bool:
        """True when either the address or the account used up its attempts."""
        try:
            counts = self.connection.mget([self._key("ip", address), self._key("acct", email)])
        except redis.RedisError:
            log.warning("login rate limiter unavailable; allowing attempt")
            return False
        return any(int(c or 0) >= self.limit for c in counts)

    def failed(self, address: str, email: str) -> None:
        try:
            keys = (self._key("ip", address), self._key("acct", email))
            pipe = self.connection.pipeline()
            for key in keys:
                pipe.incr(key)
                pipe.ttl(key)
            results = pipe.execute()
            # EXPIRE ... NX needs Redis 7; the embedded server is 6.2. A key
            # with no TTL yet (-1) starts its window now.
            for key, ttl in zip(keys, results[1::2], strict=True):
                if ttl == -1:
                    self.connection.expire(key, self.window)
        except redis.RedisError:
            log.warning("login rate limiter unavailable; failure not counted")

    def succeeded(self, email: str) -> None:
        try:
            self.connection.delete(self._key("acct", email))
        except redis.RedisError:
            pass
