"""Hours of operation: the one rule for "is this program taking texts now".

What a closed line means for a texter (peerwork.texter.dialog): the first text
is answered with the hours, the next opening time and the crisis lines before
any topic is asked for; a request is then held for opening time (or, if the
program does not keep requests, the texter is asked to text again then). A
crisis text while closed alerts the escalation contacts at once: they are the
humans on call when no peer is.

A request left at closing time (opened while the line was open, still
looking for a peer) is not dropped and not held: it keeps its place in the
queue, offers still go to peers who are on, and if nobody takes it, it is
offered first when the line opens (oldest first, crises ahead). A texter who
writes in the meantime is told the line has closed, when it opens, and that
their place is kept.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from peerwork.models.org import WEEKDAYS

# Day names for forms ("Monday") and for texts ("Mon"), keyed by WEEKDAYS.
DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                "Saturday", "Sunday"), strict=True))  # fmt: skip
_DAY_NAMES = {day: name[:3] for day, name in DAY_NAMES.items()}

# A time of day as stored, "HH:MM"; "24:00" is the end of the day (midnight).
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


class HoursError(ValueError):
    """A day's hours that cannot be saved. `day` is the weekday; `problem` is
    "format" (not a time like 09:00) or "order" (the end is not after the start)."""

    def __init__(self, day: str, problem: str) -> None:
        super().__init__(f"{day}: {problem}")
        self.day = day
        self.problem = problem


def is_time(value: str | None) -> bool:
    """True for a stored time of day, "00:00" to "23:59" or "24:00" (midnight)."""
    return bool(_TIME.match(value or ""))


def parse_week(rows: dict[str, tuple[bool, str, str]]) -> dict[str, list[list[str]]]:
    """Weekly hours from {day: (open, start, end)}: the one rule for admins and peers.

    A day opens at 00:00-23:59 and closes after it opens. A time input cannot
    say 24:00, so a closing time of 00:00 means midnight and is stored as
    "24:00"; "24:00" itself is accepted as a closing time, never as an opening
    time. Raises HoursError naming the first bad day (in weekday order).
    """
    week: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        is_open, start, end = rows.get(day, (False, "", ""))
        if not is_open:
            continue
        start, end = (start or "").strip(), (end or "").strip()
        if end == "00:00":
            end = "24:00"
        if not is_time(start) or start == "24:00" or not is_time(end):
            raise HoursError(day, "format")
        if end <= start:
            raise HoursError(day, "order")
        week[day] = [[start, end]]
    return week


def form_end(end: str) -> str:
    """A stored closing time as a time input shows it: midnight ("24:00") is "00:00"."""
    return "00:00" if end == "24:00" else end


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


# The words an SMS about hours needs, per texter language (English is the default).
# Spanish uses the 24-hour clock and only GSM-7 letters (no á: "sab", not "sáb").
_WORDS = {
    "en": {
        "days": _DAY_NAMES,
        "months": ("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec").split(),
        "unannounced": "at times to be announced",
        "opening_unannounced": "at a time to be announced",
        "today": "today at {clock}",
        "tomorrow": "tomorrow at {clock}",
        "weekday": "{day} at {clock}",
        "date": "{day} {month} {date} at {clock}",
    },
    "es": {
        "days": dict(zip(WEEKDAYS, "lun mar mie jue vie sab dom".split(), strict=True)),
        "months": ("ene feb mar abr may jun jul ago sep oct nov dic").split(),
        "unannounced": "en horarios por anunciar",
        "opening_unannounced": "en un momento por anunciar",
        "today": "hoy a las {clock}",
        "tomorrow": "mañana a las {clock}",
        "weekday": "el {day} a las {clock}",
        "date": "el {day} {date} {month} a las {clock}",
    },
}


def _words(language: str) -> dict:
    return _WORDS.get(language, _WORDS["en"])


def _clock(value: str, language: str = "en") -> str:
    if language != "en":
        return "24:00" if value == "24:00" else value.lstrip("0").rjust(4, "0")
    if value == "24:00":
        return "midnight"
    parsed = time(*(int(part) for part in value.split(":")))
    text = parsed.strftime("%I:%M%p").lstrip("0").lower()
    return text.replace(":00", "")


def describe(program, language: str = "en") -> str:
    """Weekly hours in a few words for an SMS, e.g. 'Mon-Fri 9am-5pm' ('lun-vie 9:00-17:00')."""
    hours = program.hours or {}
    words = _words(language)
    if all(hours.get(day) == [["00:00", "24:00"]] for day in WEEKDAYS):
        return "24/7"
    groups: list[tuple[list[str], str]] = []
    for day in WEEKDAYS:
        spans = hours.get(day) or []
        if not spans:
            continue
        label = ", ".join(
            f"{_clock(start, language)}-{_clock(end, language)}" for start, end in spans
        )
        if (
            groups
            and groups[-1][1] == label
            and WEEKDAYS.index(groups[-1][0][-1]) + 1 == (WEEKDAYS.index(day))
        ):
            groups[-1][0].append(day)
        else:
            groups.append(([day], label))
    if not groups:
        return words["unannounced"]
    names = words["days"]
    parts = []
    for days, label in groups:
        name = names[days[0]] if len(days) == 1 else f"{names[days[0]]}-{names[days[-1]]}"
        parts.append(f"{name} {label}")
    return "; ".join(parts)


# Far enough to pass a long run of closed dates (a holiday shutdown).
_LOOKAHEAD_DAYS = 60


def next_opening(program, now: datetime) -> datetime | None:
    """The next moment (program-local) the weekly hours open after `now`; None if never."""
    local = local_time(program, now)
    closed = set(program.closed_dates or ())
    minute_now = local.hour * 60 + local.minute
    for offset in range(_LOOKAHEAD_DAYS):
        day = local.date() + timedelta(days=offset)
        if day.isoformat() in closed:
            continue
        starts = sorted(
            _minutes(start)
            for start, _end in (program.hours or {}).get(WEEKDAYS[day.weekday()], ())
        )
        for start in starts:
            if offset == 0 and start <= minute_now:
                continue
            if start >= 24 * 60:
                continue
            return datetime(
                day.year, day.month, day.day, start // 60, start % 60, tzinfo=local.tzinfo
            )
    return None


def describe_opening(program, now: datetime, language: str = "en") -> str:
    """When the line opens next, in a few words: 'today at 9am', 'tomorrow at 9am', 'Mon at 9am'."""
    words = _words(language)
    opening = next_opening(program, now)
    if opening is None:
        return words["opening_unannounced"]
    clock = _clock(opening.strftime("%H:%M"), language)
    days = (opening.date() - local_time(program, now).date()).days
    if days == 0:
        return words["today"].format(clock=clock)
    if days == 1:
        return words["tomorrow"].format(clock=clock)
    day = words["days"][WEEKDAYS[opening.weekday()]]
    if days < 7:
        return words["weekday"].format(day=day, clock=clock)
    month = words["months"][opening.month - 1]
    return words["date"].format(day=day, month=month, date=opening.day, clock=clock)
