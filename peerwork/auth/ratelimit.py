"""Login rate limiting shared by every web process, kept in Redis.

A fixed window per key (client address and per account). While Redis is
unreachable each web process counts in its own memory with the same limits
(fail safe): an attacker gets at most the limit per process per window,
instead of unlimited guesses, and real users still sign in. The outage is
logged; counts made in memory are not carried over when Redis comes back.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict

import redis

from peerwork import clock

log = logging.getLogger(__name__)


class MemoryCounter:
    """Fixed-window counters for one process, bounded in size (oldest window dropped first)."""

    def __init__(self, max_keys: int = 50_000) -> None:
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._windows: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key: (count, ends)

    def __len__(self) -> int:
        return len(self._windows)

    def get(self, key: str) -> int:
        with self._lock:
            entry = self._windows.get(key)
            if entry is None or entry[1] <= clock.timestamp():
                return 0
            return entry[0]

    def incr(self, key: str, *, window_seconds: int) -> int:
        now = clock.timestamp()
        with self._lock:
            count, ends = self._windows.pop(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + window_seconds
            self._windows[key] = (count + 1, ends)
            while len(self._windows) > self.max_keys:
                self._windows.popitem(last=False)
            return count + 1

    def delete(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()


# One per process: the fallback while Redis is away.
_fallback = MemoryCounter()


def reset_fallback() -> None:
    """Forget the in-memory counts (tests)."""
    _fallback.clear()


class LoginLimiter:
    def __init__(
        self, connection: redis.Redis, limit: int, window_seconds: int, prefix: str = "peerwork"
    ) -> None:
        self.connection = connection
        self.limit = limit
        self.window = window_seconds
        self.prefix = prefix
        self.fallback = _fallback

    def _key(self, kind: str, value: str) -> str:
        digest = hashlib.sha256(value.lower().encode()).hexdigest()[:32]
        return f"{self.prefix}:login:{kind}:{digest}"

    def _keys(self, address: str, email: str) -> tuple[str, str]:
        return self._key("ip", address), self._key("acct", email)

    def blocked(self, address: str, email: str) -> bool:
        """True when either the address or the account used up its attempts."""
        keys = self._keys(address, email)
        try:
            counts = [int(c or 0) for c in self.connection.mget(keys)]
        except redis.RedisError:
            log.warning("login rate limiter unavailable; counting in this process")
            counts = []
        # The process's own counts too: attempts made during an outage still count
        # right after it, until their window ends.
        counts += [self.fallback.get(key) for key in keys]
        return any(c >= self.limit for c in counts)

    def failed(self, address: str, email: str) -> None:
        keys = self._keys(address, email)
        try:
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
            log.warning("login rate limiter unavailable; failure counted in this process")
            for key in keys:
                self.fallback.incr(key, window_seconds=self.window)

    def succeeded(self, email: str) -> None:
        key = self._key("acct", email)
        self.fallback.delete(key)
        try:
            self.connection.delete(key)
        except redis.RedisError:
            pass
