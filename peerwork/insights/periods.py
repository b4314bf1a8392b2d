"""Periods: whole local weeks (Monday to Sunday in the program's timezone), one week or more.

Reports only ever cover whole weeks, so every figure is a sum of weekly cells
suppressed the same way whatever period is asked for (see `cells`). A custom
range is widened to the whole weeks it touches; anything shorter than a week
cannot be asked for at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

PRESETS = {"4w": 4, "12w": 12, "26w": 26, "52w": 52}
PRESET_LABELS = {
    "4w": "Last 4 weeks",
    "12w": "Last 12 weeks",
    "26w": "Last 26 weeks",
    "52w": "Last 52 weeks",
}
DEFAULT_PRESET = "12w"
MAX_WEEKS = 104


class PeriodError(ValueError):
    """A period that cannot be reported on, with words for the admin."""


@dataclass(frozen=True)
class Period:
    """`weeks` whole local weeks starting on Monday `first_monday`, in timezone `tz`."""

    first_monday: date
    weeks: int
    tz: str

    @property
    def last_day(self) -> date:
        return self.first_monday + timedelta(days=7 * self.weeks - 1)

    def week_starts(self) -> list[date]:
        return [self.first_monday + timedelta(days=7 * i) for i in range(self.weeks)]

    @cached_property
    def _boundaries(self) -> tuple[datetime, ...]:
        """UTC instants of each week's start and of the period's end (len weeks + 1)."""
        zone = ZoneInfo(self.tz)
        return tuple(
            datetime.combine(self.first_monday + timedelta(days=7 * i), time.min, zone).astimezone(
                UTC
            )
            for i in range(self.weeks + 1)
        )

    def boundaries(self) -> list[datetime]:
        """UTC instants of each week's start and of the period's end (len weeks + 1)."""
        return list(self._boundaries)

    @property
    def since(self) -> datetime:
        return self.boundaries()[0]

    @property
    def until(self) -> datetime:
        return self.boundaries()[-1]

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.first_monday - timedelta(days=7 * self.weeks), self.weeks, self.tz)

    def label(self) -> str:
        start, end = self.first_monday, self.last_day
        return f"{start:%-d %b %Y} to {end:%-d %b %Y} ({self.weeks} week{'s' if self.weeks != 1 else ''})"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def resolve(
    *,
    tz: str,
    now: datetime,
    preset: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Period:
    """The period an admin asked for: a preset ending with the last whole week, or custom dates."""
    today = now.astimezone(ZoneInfo(tz)).date()
    this_monday = _monday(today)
    if start is None and end is None:
        weeks = PRESETS.get(preset or DEFAULT_PRESET, PRESETS[DEFAULT_PRESET])
        return Period(this_monday - timedelta(days=7 * weeks), weeks, tz)
    if start is None or end is None:
        raise PeriodError("Choose both a first and a last day.")
    if end < start:
        raise PeriodError("The last day comes before the first day.")
    if (end - start).days + 1 < 7:
        raise PeriodError(
            "Choose at least a week: shorter periods could single out the people who texted."
        )
    if start >= this_monday:
        raise PeriodError("This week is not over yet: reports cover whole weeks that have ended.")
    first = _monday(start)
    last_monday = min(_monday(end), this_monday - timedelta(days=7))
    weeks = (last_monday - first).days // 7 + 1
    if weeks > MAX_WEEKS:
        raise PeriodError(f"Choose at most {MAX_WEEKS} weeks at a time.")
    return Period(first, weeks, tz)
