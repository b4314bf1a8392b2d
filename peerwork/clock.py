"""The one clock: every read of the current time in peerwork goes through here.

Domain functions take `now` as an argument; the places that start a unit of
work (views, webhooks, jobs, the throttle, model defaults, templates) ask this
module. The source is replaceable (`use`), so a test or an embedding app can
run the whole product at a moment it controls; `tests/test_clock.py` keeps
every other module off `datetime.now`, `time.time` and friends. Durations
measured with `time.monotonic` are not readings of the time of day and may
use it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

Source = Callable[[], datetime]


def system_time() -> datetime:
    """The machine's clock, as an aware UTC datetime."""
    return datetime.now(UTC)


_source: Source = system_time


def now() -> datetime:
    """The current moment, aware and in UTC."""
    value = _source()
    if value.tzinfo is None:
        raise ValueError("the clock source must return an aware datetime")
    return value.astimezone(UTC)


def timestamp() -> float:
    """The current moment as POSIX seconds (for Redis keys and scores)."""
    return now().timestamp()


def use(source: Source) -> Source:
    """Replace the clock's source; returns the previous one."""
    global _source
    previous, _source = _source, source
    return previous


@contextmanager
def using(source: Source) -> Iterator[None]:
    """Run a block with another clock source, restoring the previous one after."""
    previous = use(source)
    try:
        yield
    finally:
        use(previous)
