"""The program dashboard: every aggregate of one period and the period before it.

`program_dashboard(session, program_id=..., period=..., now=...)` gets the
weekly counters of both periods from `rollups` (settled weeks read back from
`report_weeks`, the others counted from their rows in Python by `weekly`: weeks
and hours are local to the program, which SQL cannot bucket the same way on
SQLite and PostgreSQL), reads the few alerts, invites and peers live, and hands
every weekly line to `cells` before anything leaves this module.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from peerwork.insights import cells, rollups, timeline
from peerwork.insights.cells import Breakdown, Figure
from peerwork.insights.periods import Period
from peerwork.insights.timeline import epoch
from peerwork.insights.weekly import BLOCK_HOURS, NO_TOPIC, OUTCOME_LABELS, WeekCounts
from peerwork.matching.eligibility import certified_clause
from peerwork.models import (
    WEEKDAYS,
    Alert,
    Invite,
    PeerProfile,
    Program,
    Topic,
)
from peerwork.models.people import peer_topics

BLOCKS = tuple(range(0, 24, BLOCK_HOURS))
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SLOTS = tuple((day, block) for day in range(7) for block in BLOCKS)


def slot_label(slot: tuple[int, int]) -> str:
    day, block = slot
    return f"{DAY_LABELS[day]} {block:02d}:00-{block + BLOCK_HOURS:02d}:00"


SCORE_LABELS = {1: "1 (rough)", 2: "2", 3: "3", 4: "4", 5: "5 (good)"}
PER_PEER_BUCKETS = (("0", 0, 0), ("1-2", 1, 2), ("3-5", 3, 5), ("6-10", 6, 10), ("11+", 11, None))


@dataclass
class Timing:
    """Median and 90th percentile in minutes, shown only over at least k values."""

    median: float | None
    p90: float | None
    n_enough: bool

    @staticmethod
    def of(minutes: list[float], k: int) -> Timing:
        if len(minutes) < k:
            return Timing(None, None, False)
        ordered = sorted(minutes)
        p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
        return Timing(round(statistics.median(ordered), 1), round(p90, 1), True)


@dataclass
class Share:
    """A percentage over the weeks whose line is fully shown; `partial` if some were left out."""

    percent: float | None
    partial: bool

    @staticmethod
    def of(part: Breakdown, key) -> Share:
        numerator = denominator = 0
        partial = False
        for week, week_total in zip(part.weeks, part.week_totals, strict=True):
            if week_total.partial or any(f.partial for f in week.values()):
                partial = partial or week_total.partial or week_total.value > 0
                continue
            numerator += week[key].value
            denominator += week_total.value
        if not denominator:
            return Share(None, partial)
        return Share(round(100 * numerator / denominator, 1), partial)

    @property
    def shown(self) -> str:
        if self.percent is None:
            return "not enough data"
        return f"{self.percent:g}%"


@dataclass
class Coverage:
    """Volunteers whose weekly availability covers each block, against demand per week."""

    peers: dict[tuple[int, int], Figure]
    demand: dict[tuple[int, int], Figure]  # requests in the period
    weeks: int
    thin: list[tuple[int, int]]  # blocks where demand outruns the volunteers on
    by_topic: list[tuple[str, Figure, Figure]]  # topic, requests, volunteers offering it


@dataclass
class Figures:
    """One period's aggregates (all made of visible weekly cells)."""

    period: Period
    k: int
    by_topic: Breakdown
    by_slot: Breakdown
    matched: Breakdown
    long_wait: Breakdown
    after_hours: Breakdown
    reconnect: Breakdown
    outcomes: Breakdown
    scores: Breakdown
    crisis: list[Figure]
    backup: list[Figure]
    invited: list[Figure]
    onboarded: list[Figure]
    to_match: Timing
    to_reply: Timing
    to_ack: Timing
    active_peers: Figure
    per_peer: dict[str, Figure]

    @property
    def requests(self) -> Figure:
        return self.by_topic.grand()

    @property
    def conversations(self) -> Figure:
        return self.matched.by_key()["yes"]

    @property
    def share_matched(self) -> Share:
        return Share.of(self.matched, "yes")

    @property
    def share_long_wait(self) -> Share:
        return Share.of(self.long_wait, "yes")

    @property
    def share_after_hours(self) -> Share:
        return Share.of(self.after_hours, "yes")

    @property
    def crisis_alerts(self) -> Figure:
        return cells.total(self.crisis)

    @property
    def escalations(self) -> Figure:
        return cells.total(self.backup)


@dataclass
class Dashboard:
    program_id: int
    period: Period
    k: int
    current: Figures
    previous: Figures
    coverage: Coverage
    funnel: list[tuple[str, Figure]] = field(default_factory=list)


def week_index(bounds: list[datetime], moment: datetime | None) -> int | None:
    """Which week of `bounds` a moment falls in (None: outside)."""
    return timeline.week_of([b.timestamp() for b in bounds], moment and moment.timestamp())


def _covers(availability: dict | None, day: int, block: int) -> bool:
    """A volunteer's weekly availability overlaps this block of this day."""
    spans = (availability or {}).get(WEEKDAYS[day]) or ()
    start, end = block * 60, (block + BLOCK_HOURS) * 60
    for begin, finish in spans:
        b = int(begin[:2]) * 60 + int(begin[3:5])
        f = 24 * 60 if finish == "24:00" else int(finish[:2]) * 60 + int(finish[3:5])
        if b < end and f > start:
            return True
    return False


def _figures(
    period: Period,
    k: int,
    topics: list[tuple[int, str]],
    weekly: list[WeekCounts],
    alerts: list,
    invites: list,
    onboarded: list,
) -> Figures:
    """One period's figures from its weeks' counters (`weekly`) and rows whose timestamps are
    epoch seconds (see `timeline`)."""
    bounds = [b.timestamp() for b in period.boundaries()]
    n = period.weeks
    to_match: list[float] = []
    to_reply: list[float] = []
    per_peer: Counter = Counter()
    for week in weekly:
        to_match.extend(week.to_match)
        to_reply.extend(week.to_reply)
        per_peer.update(week.per_peer)
    crisis_week, backup_week = [0] * n, [0] * n
    to_ack: list[float] = []
    for kind, created, acknowledged_at, escalated_at in alerts:
        week = timeline.week_of(bounds, created)
        if week is None:
            continue
        if kind == "crisis":
            crisis_week[week] += 1
            if acknowledged_at:
                to_ack.append((acknowledged_at - created) / 60)
        if escalated_at or kind == "backup":
            backup_week[week] += 1
    invited_week, onboarded_week = [0] * n, [0] * n
    for (created,) in invites:
        week = timeline.week_of(bounds, created)
        if week is not None:
            invited_week[week] += 1
    for (at,) in onboarded:
        week = timeline.week_of(bounds, at)
        if week is not None:
            onboarded_week[week] += 1

    topic_keys = [tid for tid, _ in topics] + [NO_TOPIC]
    topic_labels = dict(topics) | {NO_TOPIC: "No topic chosen"}
    yes_no = {"yes": "yes", "no": "no"}
    bucket_counts = Counter()
    for count in per_peer.values():
        for label, low, high in PER_PEER_BUCKETS:
            if count >= low and (high is None or count <= high):
                bucket_counts[label] += 1

    def lines(name: str) -> list[Counter]:
        return [getattr(week, name) for week in weekly]

    return Figures(
        period=period,
        k=k,
        by_topic=cells.breakdown(topic_keys, topic_labels, lines("topics"), k),
        by_slot=cells.breakdown(list(SLOTS), {s: slot_label(s) for s in SLOTS}, lines("slots"), k),
        matched=cells.breakdown(["yes", "no"], yes_no, lines("matched"), k),
        long_wait=cells.breakdown(["yes", "no"], yes_no, lines("long_wait"), k),
        after_hours=cells.breakdown(["yes", "no"], yes_no, lines("after_hours"), k),
        reconnect=cells.breakdown(["yes", "no"], yes_no, lines("reconnect"), k),
        outcomes=cells.breakdown(list(OUTCOME_LABELS), OUTCOME_LABELS, lines("outcomes"), k),
        scores=cells.breakdown(list(SCORE_LABELS), SCORE_LABELS, lines("scores"), k),
        crisis=cells.single(crisis_week, k),
        backup=cells.single(backup_week, k),
        invited=cells.single(invited_week, k),
        onboarded=cells.single(onboarded_week, k),
        to_match=Timing.of(to_match, k),
        to_reply=Timing.of(to_reply, k),
        to_ack=Timing.of(to_ack, k),
        active_peers=cells.single([len(per_peer)], k)[0],
        # Peers with no conversation are the roster's business, not a distribution's.
        per_peer=cells.snapshot(
            {label: bucket_counts[label] for label, _, _ in PER_PEER_BUCKETS[1:]}, k
        ),
    )


def program_dashboard(
    session: Session, *, program_id: int, period: Period, now: datetime, k: int
) -> Dashboard:
    """Every aggregate of `period` and of the period before it, suppressed with minimum cell `k`."""
    k = max(cells.MIN_CELL_FLOOR, k)
    program = session.get(Program, program_id)
    previous = period.previous()
    since, until = previous.since, period.until
    topics = [
        (tid, name)
        for tid, name in session.execute(
            select(Topic.id, Topic.name)
            .where(Topic.program_id == program_id)
            .order_by(Topic.position, Topic.id)
        )
    ]
    connection = session.connection()
    alerts = connection.execute(
        select(
            Alert.kind, epoch(Alert.created_at), epoch(Alert.acknowledged_at), Alert.escalated_at
        ).where(
            Alert.program_id == program_id,
            Alert.created_at >= since,
            Alert.created_at < until,
            Alert.kind.in_(("crisis", "backup")),
        )
    ).all()
    invites = connection.execute(
        select(epoch(Invite.created_at)).where(
            Invite.program_id == program_id, Invite.created_at >= since, Invite.created_at < until
        )
    ).all()
    peers = session.execute(
        select(
            PeerProfile.id,
            # The JSON text as stored: decoded once per distinct pattern below, not per peer.
            cast(PeerProfile.availability, Text).label("availability"),
            PeerProfile.onboarded_at,
            PeerProfile.accepts_any_topic,
            certified_clause(now).label("certified"),
        ).where(PeerProfile.program_id == program_id)
    ).all()
    onboarded = [(p.onboarded_at.timestamp(),) for p in peers if p.onboarded_at]
    earlier, recent = rollups.period_weeks(session, program=program, period=period, now=now)
    current = _figures(period, k, topics, recent, alerts, invites, onboarded)
    before = _figures(previous, k, topics, earlier, alerts, invites, onboarded)

    certified = [p for p in peers if p.certified and p.onboarded_at]
    peer_slots = Counter()
    # Volunteers often share a pattern of hours: work each distinct one out once.
    covered: dict[str | None, list[tuple[int, int]]] = {}
    for peer in certified:
        pattern = peer.availability
        if pattern not in covered:
            availability = json.loads(pattern) if pattern else None
            covered[pattern] = [s for s in SLOTS if _covers(availability, *s)]
        peer_slots.update(covered[pattern])
    on_duty = cells.each({s: peer_slots[s] for s in SLOTS}, k)
    demand = current.by_slot.by_key()
    thin = [
        s
        for s in SLOTS
        if demand[s].value >= k * period.weeks
        and (on_duty[s].value == 0 or demand[s].value / period.weeks > 2 * on_duty[s].value)
    ]
    offering = Counter()
    any_topic = sum(1 for p in certified if p.accepts_any_topic)
    certified_ids = {p.id for p in certified}
    for peer_id, topic_id in session.execute(
        select(peer_topics.c.peer_profile_id, peer_topics.c.topic_id)
        .join(Topic, Topic.id == peer_topics.c.topic_id)
        .where(Topic.program_id == program_id)
    ):
        if peer_id in certified_ids:
            offering[topic_id] += 1
    offer_figures = cells.each({tid: offering[tid] + any_topic for tid, _ in topics}, k)
    topic_figures = current.by_topic.by_key()
    coverage = Coverage(
        peers=on_duty,
        demand=demand,
        weeks=period.weeks,
        thin=thin,
        by_topic=[(name, topic_figures[tid], offer_figures[tid]) for tid, name in topics],
    )
    invited_total = session.scalar(
        select(func.count(Invite.id)).where(
            Invite.program_id == program_id, Invite.created_at < until
        )
    )
    funnel = cells.each(
        {
            "invited": invited_total or 0,
            "onboarded": sum(1 for p in peers if p.onboarded_at and p.onboarded_at < period.until),
            "certified": len(certified),
            "active": current.active_peers.value if not current.active_peers.partial else 0,
        },
        k,
    )
    funnel_labels = {
        "invited": "Invited (ever)",
        "onboarded": "Finished onboarding",
        "certified": "Certified today",
        "active": "Held a conversation this period",
    }
    return Dashboard(
        program_id=program_id,
        period=period,
        k=k,
        current=current,
        previous=before,
        coverage=coverage,
        funnel=[(funnel_labels[key], funnel[key]) for key in funnel_labels],
    )
