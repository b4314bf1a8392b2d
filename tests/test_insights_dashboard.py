"""The HR dashboard over a generated program, checked against counts made here in plain Python.

The generator (tests/insights_history.py) returns the very rows it inserted;
every expected number below is counted again from those dicts with zoneinfo
and `statistics`, never through the dashboard's queries.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from peerwork import hours
from peerwork.insights import cells, periods
from peerwork.insights.dashboard import BLOCK_HOURS, SLOTS, program_dashboard
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
WEEKDAY_HOURS = {day: [["08:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
K = 5


@pytest.fixture
def org(make):
    return make.org("Acme Health")


@pytest.fixture
def generated(make, org, session, now):
    program = make.program(org, topics=TOPICS, hours=WEEKDAY_HOURS)
    install_default_curriculum(session, program_id=program.id, now=now)
    peers = [
        make.peer(program, availability={"mon": [["09:00", "17:00"]], "wed": [["18:00", "22:00"]]})
        for _ in range(12)
    ]
    history = generate(
        session,
        program_id=program.id,
        topic_ids=[t.id for t in program.topics],
        peer_ids=[p.id for p in peers],
        until=now - timedelta(days=2),
        weeks=26,
        requests=6000,
        texters=2500,
    )
    session.flush()
    return program, history


def _week_of(period: periods.Period, moment) -> int | None:
    """Which week of the period a UTC moment falls in, counted from its local date."""
    local = moment.astimezone(ZoneInfo(period.tz)).date()
    days = (local - period.first_monday).days
    return days // 7 if 0 <= days < 7 * period.weeks else None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def test_the_dashboard_agrees_with_an_independent_count(generated, session, now):
    program, history = generated
    period = periods.resolve(tz=program.timezone, now=now, preset="12w")
    dashboard = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    figures = dashboard.current
    zone = ZoneInfo(program.timezone)
    assert (
        len({r["topic_id"] for r in history.requests}) == len(TOPICS) + 1
    )  # every topic, and none

    in_period = [r for r in history.requests if _week_of(period, r["created_at"]) is not None]
    assert len(in_period) > 2000
    # Requests per week by topic: every visible cell is the true count; hidden ones are not zero.
    truth = Counter((_week_of(period, r["created_at"]), r["topic_id"] or 0) for r in in_period)
    hidden = 0
    for week, line in enumerate(figures.by_topic.weeks):
        for topic_id, figure in line.items():
            if figure.hidden:
                hidden += 1
                assert truth[(week, topic_id)] > 0
            else:
                assert figure.value == truth[(week, topic_id)]
                assert figure.value == 0 or figure.value >= K
        assert figures.by_topic.week_totals[week].value == sum(
            n for (w, _), n in truth.items() if w == week
        )
    assert hidden > 0  # the generated program is small enough per week to need hiding
    assert figures.requests == cells.Figure(len(in_period))
    # The period total of a topic is exact when no week of it was hidden, else a lower bound.
    for topic_id, figure in figures.by_topic.by_key().items():
        real = sum(n for (_, t), n in truth.items() if t == topic_id)
        assert figure.value == real if not figure.partial else figure.value < real

    # Responsiveness.
    matched = [r for r in in_period if r["matched_at"]]
    waits = [(r["matched_at"] - r["created_at"]).total_seconds() / 60 for r in matched]
    assert figures.to_match.median == round(statistics.median(waits), 1)
    assert figures.to_match.p90 == round(_percentile(waits, 0.9), 1)
    started = {c["request_id"]: c for c in history.conversations}
    replies = [
        (started[r["id"]]["first_peer_message_at"] - r["created_at"]).total_seconds() / 60
        for r in matched
    ]
    assert figures.to_reply.median == round(statistics.median(replies), 1)
    assert figures.share_matched.percent == round(100 * len(matched) / len(in_period), 1)
    assert not figures.share_matched.partial
    long_waits = sum(
        1
        for r in in_period
        if ((r["matched_at"] or r["closed_at"]) - r["created_at"]).total_seconds() / 60
        > program.wait_alert_minutes
    )
    assert figures.share_long_wait.percent == round(100 * long_waits / len(in_period), 1)
    closed = sum(1 for r in in_period if not hours.within_hours(program, r["created_at"]))
    assert 0 < closed < len(in_period)
    assert figures.share_after_hours.percent == round(100 * closed / len(in_period), 1)
    asked_again = sum(1 for r in in_period if r["preferred_peer_id"])
    reconnect = figures.reconnect.by_key()["yes"]
    assert (
        reconnect.value == asked_again if not reconnect.partial else reconnect.value < asked_again
    )

    # Demand by hour of the week: exact cells equal the count made here.
    slots = Counter()
    for r in in_period:
        local = r["created_at"].astimezone(zone)
        slots[(local.weekday(), local.hour - local.hour % BLOCK_HOURS)] += 1
    by_slot = figures.by_slot.by_key()
    exact = [s for s in SLOTS if not by_slot[s].partial]
    assert exact
    for slot in SLOTS:
        assert (
            by_slot[slot].value == slots[slot]
            if slot in exact
            else by_slot[slot].value < slots[slot]
        )

    # Outcomes and check-ins, week by week.
    outcome_truth = Counter(
        (_week_of(period, r["created_at"]), started[r["id"]]["outcome"] or "none") for r in matched
    )
    for week, line in enumerate(figures.outcomes.weeks):
        for key, figure in line.items():
            assert figure.hidden or figure.value == outcome_truth[(week, key)]
    score_truth = Counter(
        (_week_of(period, c["answered_at"]), c["score"])
        for c in history.checkins
        if _week_of(period, c["answered_at"]) is not None
    )
    for week, line in enumerate(figures.scores.weeks):
        for score, figure in line.items():
            assert figure.hidden or figure.value == score_truth[(week, score)]
            assert not figure.hidden or 0 < score_truth[(week, score)]

    # Safety: crisis alerts per week, and how fast they were acknowledged.
    alerts = [a for a in history.alerts if _week_of(period, a["created_at"]) is not None]
    crisis_truth = Counter(_week_of(period, a["created_at"]) for a in alerts)
    for week, figure in enumerate(figures.crisis):
        assert figure.hidden == (0 < crisis_truth[week] < K)
        assert figure.hidden or figure.value == crisis_truth[week]
    acks = [
        (a["acknowledged_at"] - a["created_at"]).total_seconds() / 60
        for a in alerts
        if a["acknowledged_at"]
    ]
    assert figures.to_ack.median == round(statistics.median(acks), 1)

    # Conversations per peer: a distribution over the 12 peers, never a named row.
    per_peer = Counter(started[r["id"]]["peer_profile_id"] for r in matched)
    assert sum(f.value for f in figures.per_peer.values()) == len(per_peer)
    assert figures.per_peer["11+"].value == sum(1 for n in per_peer.values() if n >= 11)

    # The previous period is the twelve weeks before, counted the same way.
    before = [
        r for r in history.requests if _week_of(period.previous(), r["created_at"]) is not None
    ]
    assert dashboard.previous.requests.value == len(before)


def test_periods_are_whole_weeks_and_never_shorter_than_one(now):
    tz = "America/New_York"
    period = periods.resolve(tz=tz, now=now, preset="4w")
    # Now is Wednesday 25 November: the last whole week ended on Sunday 22 November.
    assert (period.first_monday.isoformat(), period.last_day.isoformat()) == (
        "2026-10-26",
        "2026-11-22",
    )
    custom = periods.resolve(
        tz=tz, now=now, start=now.date() - timedelta(days=40), end=now.date() - timedelta(days=20)
    )
    assert custom.first_monday.weekday() == 0 and custom.weeks == 4
    for start, end in (
        (now.date() - timedelta(days=20), now.date() - timedelta(days=15)),
        (now.date() - timedelta(days=1), now.date() + timedelta(days=10)),
    ):
        with pytest.raises(periods.PeriodError):
            periods.resolve(tz=tz, now=now, start=start, end=end)


@pytest.mark.parametrize(
    ("line", "hidden"),
    [
        ({"a": 12, "b": 3, "c": 6}, {"b", "c"}),  # one small cell: the next smallest goes too
        ({"a": 12, "b": 1, "c": 1, "d": 9}, {"b", "c", "d"}),  # 1 + 1 would pin both at 1
        ({"a": 20, "b": 4, "c": 4, "d": 30}, {"b", "c", "a"}),  # 4 + 4: both pinned at 4
        ({"a": 3, "b": 1}, {"a", "b"}),  # the whole week is small
        ({"a": 0, "b": 9, "c": 7}, set()),  # zeros single nobody out
    ],
)
def test_the_suppression_rule(line, hidden):
    assert cells.suppress_line(line, 5) == hidden


def test_the_minimum_cell_is_never_below_five(make, org):
    program = make.program(org)
    program.report_min_cell = 3
    assert cells.min_cell(program) == 5
    program.report_min_cell = 8
    assert cells.min_cell(program) == 8
