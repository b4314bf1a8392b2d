"""The one suppression rule: every published count is built from visible weekly cells.

The smallest thing ever counted is an *atom*: one category of one breakdown in
one local week (requests about Grief in the week of 2 November). Each week of a
breakdown is a line: its atoms and its exact total. Within a line:

- an atom from 1 to k-1 is hidden (primary suppression; zeros are shown: they
  single nobody out);
- while the hidden atoms of the line could still be worked out from the total
  (fewer than two of them, together fewer than k people, every one of them
  pinned by the bounds an attacker knows), the smallest visible atom is hidden
  as well (complementary suppression);
- a week whose total is below k hides the total and every atom.

A figure for a whole period (a topic over twelve weeks, the previous period,
the CSV) is the sum of the *visible* atoms only, marked "at least" when a
hidden atom was left out. No published number ever includes a hidden atom, so
no difference of two published numbers (totals minus cells, one period minus
an overlapping one, this period minus the last) can isolate one. A weekly line
is suppressed the same way whatever period is asked for, so two pages never
disagree about which atom is hidden.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

# The least k a program may choose: lower would single people out.
MIN_CELL_FLOOR = 5


def min_cell(program) -> int:
    """The program's minimum cell size, never below the floor."""
    return max(MIN_CELL_FLOOR, int(getattr(program, "report_min_cell", None) or MIN_CELL_FLOOR))


def _pinned(hidden: list[int], k: int) -> bool:
    """Could an attacker who knows the line total work out any hidden atom?

    Two attackers: one who knows only that a hidden atom is at least 1 (zeros are
    shown), and one who assumes every hidden atom is a small one (1 to k-1).
    """
    count, pooled = len(hidden), sum(hidden)
    if count < 2 or pooled < k:
        return True
    # At least 1 each: an atom can be anything from 1 to pooled - (count - 1).
    if pooled - (count - 1) <= 1:
        return True
    # 1 to k-1 each: bounded below by pooled - (count - 1) * (k - 1).
    low = max(1, pooled - (count - 1) * (k - 1))
    high = min(k - 1, pooled - (count - 1))
    return all(value < k for value in hidden) and low >= high


def suppress_line(counts: Mapping[Hashable, int], k: int) -> set[Hashable]:
    """The keys of one weekly line to hide, given that the line's total is shown."""
    total = sum(counts.values())
    if 0 < total < k:
        return {key for key, n in counts.items() if n}
    hidden = {key for key, n in counts.items() if 0 < n < k}
    if not hidden:
        return hidden
    visible = sorted((n, str(key), key) for key, n in counts.items() if n and key not in hidden)
    while _pinned([counts[key] for key in hidden], k) and visible:
        hidden.add(visible.pop(0)[2])
    return hidden


@dataclass(frozen=True)
class Figure:
    """A published number: a sum of visible atoms, `partial` when hidden ones were left out."""

    value: int
    partial: bool = False

    @property
    def hidden(self) -> bool:
        return self.partial and self.value == 0

    @property
    def shown(self) -> str:
        if self.hidden:
            return "hidden"
        return f"at least {self.value:,}" if self.partial else f"{self.value:,}"

    def __add__(self, other: Figure) -> Figure:
        return Figure(self.value + other.value, self.partial or other.partial)


def total(figures: Iterable[Figure]) -> Figure:
    """The sum of figures (each already made of visible atoms)."""
    value, partial = 0, False
    for figure in figures:
        value += figure.value
        partial = partial or figure.partial
    return Figure(value, partial)


@dataclass
class Breakdown:
    """One breakdown (e.g. requests by topic) over a run of weeks, suppressed week by week.

    `weeks[i][key]` is the atom shown for category `key` in week i (a Figure:
    hidden atoms have value 0 and partial True); `week_totals[i]` likewise.
    """

    keys: list[Hashable]
    labels: dict[Hashable, str]
    weeks: list[dict[Hashable, Figure]] = field(default_factory=list)
    week_totals: list[Figure] = field(default_factory=list)
    _by_key: dict[Hashable, Figure] | None = field(default=None, repr=False, compare=False)

    def by_key(self) -> dict[Hashable, Figure]:
        """The period figure of each category: its visible atoms summed."""
        if self._by_key is None:
            self._by_key = {key: total(week[key] for week in self.weeks) for key in self.keys}
        return self._by_key

    def grand(self) -> Figure:
        """The period total: the visible weekly totals summed."""
        return total(self.week_totals)

    def rows(self) -> list[tuple[str, Figure]]:
        figures = self.by_key()
        return [(self.labels[key], figures[key]) for key in self.keys]


def breakdown(
    keys: list[Hashable],
    labels: Mapping[Hashable, str],
    weekly_counts: list[Mapping[Hashable, int]],
    k: int,
) -> Breakdown:
    """Suppress each week's line on its own and keep only what may be shown."""
    result = Breakdown(keys=list(keys), labels=dict(labels))
    nothing = Figure(0)
    empty = dict.fromkeys(result.keys, nothing)
    for counts in weekly_counts:
        if not counts:  # a quiet week: nothing to hide (shared, never changed)
            result.weeks.append(empty)
            result.week_totals.append(nothing)
            continue
        line = {key: int(counts.get(key, 0)) for key in keys}
        hidden = suppress_line(line, k)
        result.weeks.append(
            {key: Figure(0, True) if key in hidden else Figure(line[key]) for key in keys}
        )
        week_total = sum(line.values())
        result.week_totals.append(Figure(0, True) if 0 < week_total < k else Figure(week_total))
    return result


def single(weekly: list[int], k: int) -> list[Figure]:
    """A lone weekly count (no breakdown): hidden below k."""
    return [Figure(0, True) if 0 < n < k else Figure(n) for n in weekly]


def snapshot(counts: Mapping[Hashable, int], k: int) -> dict[Hashable, Figure]:
    """A breakdown counted once (not week by week), e.g. volunteers today."""
    hidden = suppress_line(counts, k)
    return {key: Figure(0, True) if key in hidden else Figure(n) for key, n in counts.items()}


def each(counts: Mapping[Hashable, int], k: int) -> dict[Hashable, Figure]:
    """Counts that overlap (a volunteer covers many hours): each hidden below k on its own."""
    return {key: Figure(0, True) if 0 < n < k else Figure(n) for key, n in counts.items()}
