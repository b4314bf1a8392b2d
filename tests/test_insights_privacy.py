"""An attacker with every report of a program tries to work out a hidden count, and cannot.

The attacker reads the CSV export (the same tables the page shows: tested
below) for a twelve-week period, its previous period and the neighbouring
periods one week earlier and later. Unknowns are the true weekly counts; each
published number becomes a linear constraint on them ("12" in a week row: that
cell is 12; "hidden": at least 1; a week total: the row sums to it; a period
total: its weeks sum to it, or to at least it when it reads "at least"). The
attack narrows every unknown to an interval until nothing moves. A hidden cell
is recovered when its interval closes on one value.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from datetime import timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from peerwork.admin import reports
from peerwork.insights import export, periods
from peerwork.insights.dashboard import BLOCKS, DAY_LABELS
from peerwork.training.curriculum import install_default_curriculum
from tests.insights_history import generate

TOPICS = (
    "Work stress",
    "Anxiety",
    "Grief and loss",
    "Caregiving",
    "Money worries",
    "Relationships",
)
INF = 10**9


@pytest.fixture
def org(make):
    return make.org("Acme Health")


@pytest.fixture
def program(make, org, session, now):
    program = make.program(org, topics=TOPICS)
    install_default_curriculum(session, program_id=program.id, now=now)
    peers = [make.peer(program) for _ in range(8)]
    history = generate(
        session,
        program_id=program.id,
        topic_ids=[t.id for t in program.topics],
        peer_ids=[p.id for p in peers],
        until=now - timedelta(days=2),
        weeks=30,
        requests=5000,
        texters=2000,
        seed=7,
    )
    session.flush()
    program.history = history  # the rows as generated, for the naive publication below
    return program


def _tables(csv_text: str) -> dict[str, list[list[str]]]:
    """The CSV back into its tables: key -> rows (the header row first)."""
    found: dict[str, list[list[str]]] = {}
    current = None
    for row in csv.reader(io.StringIO(csv_text)):
        if not row:
            current = None
        elif (
            current is None
            and len(row) == 2
            and row[0]
            and not row[0][0].isdigit()
            and row[0] not in ("program", "period")
        ):
            current = found.setdefault(row[0], [])
        elif current is not None:
            current.append(row)
    return found


def _read(value: str) -> tuple[str, int]:
    """A published figure as (kind, value): exact, at_least or hidden."""
    if value == "hidden":
        return "hidden", 1
    if value.startswith("at least "):
        return "at_least", int(value.removeprefix("at least ").replace(",", ""))
    return "exact", int(value.replace(",", ""))


class Attack:
    """Interval propagation over linear sums of non-negative integer unknowns."""

    def __init__(self) -> None:
        self.low: dict = defaultdict(int)
        self.high: dict = defaultdict(lambda: INF)
        self.equal: list[tuple[list, int]] = []
        self.at_least: list[tuple[list, int]] = []

    def cell(self, var, value: str) -> None:
        kind, n = _read(value)
        if kind == "exact":
            self.low[var], self.high[var] = n, n
        else:
            self.low[var] = max(self.low[var], n)

    def total(self, variables: list, value: str) -> None:
        kind, n = _read(value)
        (self.equal if kind == "exact" else self.at_least).append((variables, n))

    def run(self) -> None:
        for _ in range(200):
            moved = False
            for variables, n in self.equal:
                self._narrow(variables, n, exact=True)
                moved = self._moved or moved
            for variables, n in self.at_least:
                self._narrow(variables, n, exact=False)
                moved = self._moved or moved
            if not moved:
                return

    def _narrow(self, variables: list, n: int, *, exact: bool) -> None:
        """One sum: each unknown is at least n minus the most the others can hold (and, for an
        exact sum, at most n minus the least they can)."""
        self._moved = False
        lows = sum(self.low[v] for v in variables)
        unbounded = [v for v in variables if self.high[v] >= INF]
        highs = sum(self.high[v] for v in variables if self.high[v] < INF)
        for v in variables:
            others_unbounded = len(unbounded) - (1 if self.high[v] >= INF else 0)
            if others_unbounded == 0:
                others_high = highs - (self.high[v] if self.high[v] < INF else 0)
                if n - others_high > self.low[v]:
                    self.low[v], self._moved = n - others_high, True
            if exact and n - (lows - self.low[v]) < self.high[v]:
                self.high[v], self._moved = n - (lows - self.low[v]), True

    def pinned(self, var) -> bool:
        return self.low[var] == self.high[var]


def _publish(session, program, now, period) -> dict[str, list[list[str]]]:
    csv_text = reports.export_csv(session, program=program, period=period, now=now, actor=None)
    return _tables(csv_text)


def _attack_breakdown(attack, published, period, table, by_week_table, labels_of):
    """Add the constraints of one breakdown: its week rows and its period totals."""
    weeks = [w.isoformat() for w in period.week_starts()]
    previous = [w.isoformat() for w in period.previous().week_starts()]
    header, *rows = published[by_week_table]
    labels = labels_of(header)
    for row in rows:
        week = row[0]
        for label, value in zip(labels, row[1 : 1 + len(labels)], strict=True):
            attack.cell((week, label), value)
        if header[len(labels) + 1 : len(labels) + 2] == ["All requests"]:
            attack.total([(week, label) for label in labels], row[len(labels) + 1])
    if table:
        _, *totals = published[table]
        for label, this, last in totals:
            attack.total([(w, label) for w in weeks], this)
            attack.total([(w, label) for w in previous], last)


def _hidden(published, by_week_table, labels_of):
    header, *rows = published[by_week_table]
    labels = labels_of(header)
    return [
        (row[0], label)
        for row in rows
        for label, value in zip(labels, row[1 : 1 + len(labels)], strict=True)
        if value == "hidden"
    ]


def test_no_hidden_cell_can_be_worked_out_from_every_published_number(program, session, now):
    period = periods.resolve(tz=program.timezone, now=now, preset="12w")
    earlier = periods.Period(period.first_monday - timedelta(days=7), period.weeks, period.tz)
    later_start = periods.Period(
        period.first_monday + timedelta(days=7), period.weeks - 1, period.tz
    )
    views = [period, period.previous(), earlier, later_start]
    topic_labels = lambda header: header[1:-1]  # noqa: E731 - week, topics..., all requests
    score_labels = lambda header: header[1:-1]  # noqa: E731 - week, answers..., average
    attack = Attack()
    hidden: set = set()
    for view in views:
        published = _publish(session, program, now, view)
        _attack_breakdown(attack, published, view, "topics", "weekly", topic_labels)
        hidden.update(_hidden(published, "weekly", topic_labels))
        _attack_breakdown(attack, published, view, "checkins", "checkin_trend", score_labels)
        hidden.update(_hidden(published, "checkin_trend", score_labels))
        _, *summary = published["summary"]
        requests_row = next(r for r in summary if r[0] == "Requests to talk")
        topics = topic_labels(published["weekly"][0])
        attack.total(
            [(w.isoformat(), t) for w in view.week_starts() for t in topics], requests_row[1]
        )
    attack.run()
    assert len(hidden) > 10, "the generated program should need some hiding"
    recovered = [var for var in hidden if attack.pinned(var)]
    assert recovered == []

    # The attack has teeth: had a one-week report's topic total counted its hidden cell
    # (the naive "total of everything"), the same attack would read the cell off.
    names = {t.id: t.name for t in program.topics} | {None: "No topic chosen"}
    true_counts = Counter()
    for request in program.history.requests:
        local = request["created_at"].astimezone(ZoneInfo(program.timezone)).date()
        monday = (local - timedelta(days=local.weekday())).isoformat()
        true_counts[(monday, names[request["topic_id"]])] += 1
    target = sorted(var for var in hidden if var in true_counts)[0]
    naive = Attack()
    naive.low, naive.high = attack.low.copy(), attack.high.copy()
    naive.equal, naive.at_least = list(attack.equal), list(attack.at_least)
    naive.equal.append(([target], true_counts[target]))
    naive.run()
    assert naive.pinned(target)
    # ... and, through its week's total, the cell hidden beside it to protect it.
    partners = [
        var for var in hidden if var[0] == target[0] and var != target and var in true_counts
    ]
    assert partners and any(naive.pinned(var) for var in partners)


def test_the_page_shows_the_same_numbers_as_the_export(program, make, org, client, session, now):
    admin = make.admin(org)
    session.commit()
    client.login(admin)
    period = periods.resolve(tz=program.timezone, now=now, preset="12w")
    body = unescape(
        client.get(f"/admin/programs/{program.id}/reports?period=12w").get_data(as_text=True)
    )
    dashboard = reports.dashboard(session, program=program, period=period, now=now)
    for table in export.tables(dashboard):
        for row in table.rows:
            cells = [re.escape(value) for value in row]
            pattern = (
                r"<th scope=\"row\">"
                + cells[0]
                + r"</th>"
                + "".join(r"\s*<td class=\"num[^\"]*\">" + cell + r"</td>" for cell in cells[1:])
            )
            assert re.search(pattern, body), (table.key, row)
    assert all(f"{block:02d}:00" in body for block in BLOCKS)
    assert all(day in body for day in DAY_LABELS)
