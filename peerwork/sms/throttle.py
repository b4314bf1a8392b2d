"""Per-sending-number throttle: at most N messages a second from one number.

A counter per number per second in Redis. A send takes the earliest second
with room left (`reserve`); when that second is still ahead, the sender job
is scheduled for exactly that second (enqueue_at) and sends without asking
again, so a busy number neither ties up a worker nor re-runs jobs every
second ahead of other work.
"""

from __future__ import annotations

import hashlib
import logging

import redis

from peerwork import clock

log = logging.getLogger(__name__)

# How far ahead a reservation may look (seconds): a backlog longer than this
# is sent at the horizon, a little faster than the limit rather than never.
HORIZON = 3600

# Take the first second from ARGV[2] on whose counter is below ARGV[1]. A
# holder (one message) that still has a second ahead keeps it: asking twice
# (a duplicate job) does not take two.
_RESERVE = """
local limit = tonumber(ARGV[1])
local first = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local held = tonumber(redis.call('GET', KEYS[2]) or '-1')
if held >= first then
  return held
end
for second = first, first + horizon do
  local key = KEYS[1] .. second
  local taken = tonumber(redis.call('GET', key) or '0')
  if taken < limit then
    redis.call('INCR', key)
    redis.call('EXPIRE', key, second - first + 5)
    redis.call('SET', KEYS[2], second, 'EX', second - first + 60)
    return second
  end
end
return first + horizon
"""


class Throttle:
    """Counts sends per number per second; hands out the next free second."""

    def __init__(self, connection: redis.Redis, prefix: str = "peerwork") -> None:
        self.connection = connection
        self.prefix = prefix

    def _base(self, number: str) -> str:
        # A program's own number is not secret, but a digest keeps keys uniform.
        digest = hashlib.sha256(number.encode()).hexdigest()[:16]
        return f"{self.prefix}:throttle:{digest}:"

    def reserve(self, number: str, per_second: int, *, holder: str, at: float | None = None) -> int:
        """One send slot for `holder` from `number`: the earliest second (epoch) with room."""
        second = int(clock.timestamp() if at is None else at)
        holder_key = f"{self.prefix}:throttle-held:{holder}"
        try:
            # EVALSHA (the script is sent once per Redis server, not with every send).
            slot = self.connection.register_script(_RESERVE)(
                keys=[self._base(number), holder_key], args=[max(1, per_second), second, HORIZON]
            )
        except redis.RedisError as exc:
            # Sending late is worse than sending a little fast: let it through.
            log.warning("throttle unavailable (%s); sending unthrottled", type(exc).__name__)
            return second
        return int(slot)
