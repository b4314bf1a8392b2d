"""Time as plain numbers, so a hundred thousand rows are counted in a blink.

The dashboard reads timestamps as seconds since 1970 (`epoch(column)`, one
SQL expression per backend) instead of datetime objects, and places each in
its local week, day, hour and minute with integer arithmetic over an hourly
table of the program's UTC offsets (daylight saving included).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from peerwork.models import WEEKDAYS

EPOCH_DAY = date(1970, 1, 1).toordinal()


class epoch(FunctionElement):  # noqa: N801 - reads as a SQL function
    """SQL: a timestamp column as seconds since 1970-01-01 UTC (a float)."""

    type = Float()
    name = "epoch"
    inherit_cache = True


@compiles(epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw) -> str:
    # SQLite keeps UTC text; julianday() reads it with sub-second precision.
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch, "postgresql")
def _epoch_postgresql(element, compiler, **kw) -> str:
    # date_part() is a double already; EXTRACT() makes a numeric (PostgreSQL 14+) that
    # costs a third of the dashboard's main query to make and cast back. Same values.
    return f"date_part('epoch', {compiler.process(element.clauses, **kw)})"


@compiles(epoch)
def _epoch_default(element, compiler, **kw) -> str:
    return (
        f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"
    )


def seconds(moment: datetime) -> float:
    return moment.timestamp()


class LocalClock:
    """Local weekday, minute of the day and day number of epoch seconds, in one timezone."""

    def __init__(self, tz: str, since: datetime, until: datetime) -> None:
        zone = ZoneInfo(tz)
        self.base = int(since.timestamp()) // 3600 * 3600
        hours = int((until.timestamp() - self.base) // 3600) + 2
        start = datetime.fromtimestamp(self.base, UTC)

        def offset(hour: int) -> int:
            moment = start + timedelta(hours=hour)
            return int(moment.astimezone(zone).utcoffset().total_seconds())

        # A day at a time; hour by hour only on a day whose offset changes (DST).
        self.offsets: list[int] = []
        for day_start in range(0, hours, 24):
            first, last = offset(day_start), offset(min(day_start + 24, hours))
            span = min(24, hours - day_start)
            if first == last:
                self.offsets.extend([first] * span)
            else:
                self.offsets.extend(offset(day_start + h) for h in range(span))

    def local(self, t: float) -> int:
        """Local seconds since 1970 (as if the local clock were UTC)."""
        h = int(t - self.base) // 3600
        h = 0 if h < 0 else (len(self.offsets) - 1 if h >= len(self.offsets) else h)
        return int(t) + self.offsets[h]


def day_number(day: date) -> int:
    return day.toordinal() - EPOCH_DAY


def weekday_of(local: int) -> int:
    """Monday 0 .. Sunday 6 (1 January 1970 was a Thursday)."""
    return (local // 86400 + 3) % 7


def open_minutes(weekly_hours: dict | None) -> list[bytearray]:
    """For each weekday, 1,440 flags: open at that minute (the hours module's rule)."""
    table = [bytearray(1440) for _ in WEEKDAYS]
    for day, name in enumerate(WEEKDAYS):
        for begin, finish in (weekly_hours or {}).get(name, ()):
            b = int(begin[:2]) * 60 + int(begin[3:5])
            f = 1440 if finish == "24:00" else int(finish[:2]) * 60 + int(finish[3:5])
            table[day][b:f] = b"\x01" * max(0, f - b)
    return table


def week_of(bounds: list[float], t: float | None) -> int | None:
    """Which week of `bounds` (epoch seconds of each week's start and the end) `t` is in."""
    if t is None:
        return None
    i = bisect_right(bounds, t) - 1
    return i if 0 <= i < len(bounds) - 1 else None
