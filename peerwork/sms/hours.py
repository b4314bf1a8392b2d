"""Hours of operation: the one rule for "is this program taking texts now"."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from peerwork.models.org import WEEKDAYS

_DAY_NAMES = {
    "mon": "Mon",
    "tue": "Tue",
    "wed": "Wed",
    "thu": "Thu",
    "fri": "Fri",
    "sat": "Sat",
    "sun": "Sun",
}


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def local_time(program, now: datetime) -> datetime:
    """`now` in the program's timezone."""
    return now.astimezone(ZoneInfo(program.timezone or "UTC"))


def within_hours(program, now: datetime) -> bool:
    """True when `now` falls inside the program's weekly hours and is not a closed date."""
    local = local_time(program, now)
    if local.date().isoformat() in set(program.closed_dates or ()):
        return False
    day = WEEKDAYS[local.weekday()]
    minute = local.hour * 60 + local.minute
    for start, end in (program.hours or {}).get(day, ()):
        if _minutes(start) <= minute < _minutes(end):
            return True
    return False


def is_open(program, now: datetime) -> bool:
    """A program takes new requests when it is live and inside its hours."""
    return program.status == "live" and within_hours(program, now)


def _clock(value: str) -> str:
    if value == "24:00":
        return "midnight"
    parsed = time(*(int(part) for part in value.split(":")))
    text = parsed.strftime("%I:%M%p").lstrip("0").lower()
    return text.replace(":00", "")


def describe(program) -> str:
    """Weekly hours in a few words for an SMS, e.g. 'Mon-Fri 9am-5pm'."""
    hours = program.hours or {}
    if all(hours.get(day) == [["00:00", "24:00"]] for day in WEEKDAYS):
        return "24/7"
    groups: list[tuple[list[str], str]] = []
    for day in WEEKDAYS:
        spans = hours.get(day) or []
        if not spans:
            continue
        label = ", ".join(f"{_clock(start)}-{_clock(end)}" for start, end in spans)
        if (
            groups
            and groups[-1][1] == label
            and WEEKDAYS.index(groups[-1][0][-1]) + 1 == (WEEKDAYS.index(day))
        ):
            groups[-1][0].append(day)
        else:
            groups.append(([day], label))
    if not groups:
        return "at times to be announced"
    parts = []
    for days, label in groups:
        name = (
            _DAY_NAMES[days[0]]
            if len(days) == 1
            else f"{_DAY_NAMES[days[0]]}-{_DAY_NAMES[days[-1]]}"
        )
        parts.append(f"{name} {label}")
    return "; ".join(parts)
