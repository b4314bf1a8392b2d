"""One local week's counters from its request and check-in rows: the dashboard's unit of counting.

Both of the dashboard's paths go through `count_weeks`: weeks read raw from the
tables, and settled weeks counted once and kept in `report_weeks` (see
`rollups`). A week's counters are exactly what the dashboard sums over a period,
so a period's figures are the same whichever path each of its weeks took.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import case, select
from sqlalchemy.engine import Connection

from peerwork.insights import timeline
from peerwork.insights.timeline import epoch
from peerwork.models import CheckIn, Conversation, Program, SupportRequest

# The hour-of-week grid: seven days by six blocks of four hours. Finer blocks
# would leave most weekly cells of a mid-sized program below the minimum.
BLOCK_HOURS = 4
NO_TOPIC = 0
# The wrap-up choices of the peers' form (peers/forms.py OUTCOMES; a test keeps them equal).
OUTCOME_LABELS = {
    "listened": "They felt heard",
    "skills": "Worked on a coping skill",
    "resources": "Shared a resource",
    "plan": "Worked on a crisis plan",
    "escalated": "Brought in a supervisor",
    "cut_short": "Ended before getting far",
    "none": "No wrap-up recorded",
}


@dataclass
class WeekCounts:
    """What one week's requests (by creation) and answered check-ins add to a period."""

    topics: Counter = field(default_factory=Counter)
    slots: Counter = field(default_factory=Counter)  # (weekday, first hour of the block)
    matched: Counter = field(default_factory=Counter)
    long_wait: Counter = field(default_factory=Counter)
    after_hours: Counter = field(default_factory=Counter)
    reconnect: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    scores: Counter = field(default_factory=Counter)
    per_peer: Counter = field(default_factory=Counter)  # peer profile id: conversations
    to_match: array = field(default_factory=lambda: array("d"))  # minutes
    to_reply: array = field(default_factory=lambda: array("d"))  # minutes
    # What the rows were, so a stored week can be checked against the tables.
    requests: int = 0
    request_ids: int = 0  # the sum of their ids: a deleted and an added row do not cancel out
    checkins: int = 0  # answered, with a score or not
    # A request still waiting (its long-wait answer moves with the period's end) or a
    # conversation still going (its outcome is not known yet): the week is not settled.
    open: bool = False


@dataclass(frozen=True)
class Rules:
    """The program settings the counting depends on (the rollups' fingerprint hashes them)."""

    tz: str
    hours: dict | None
    closed_dates: tuple[str, ...]
    wait_alert_minutes: int

    @staticmethod
    def of(program: Program) -> Rules:
        return Rules(
            program.timezone,
            program.hours,
            tuple(program.closed_dates or ()),
            program.wait_alert_minutes,
        )


def count_weeks(
    rules: Rules,
    bounds: list[float],
    wait_ends: list[float],
    requests: list,
    checkins: list,
) -> list[WeekCounts]:
    """Count consecutive weeks (`bounds`: epoch seconds of each week's start and the last end).

    `requests` rows are (created, topic id, matched, closed if unmatched, preferred peer,
    first reply, peer profile id, ended, outcome, request id), times in epoch seconds;
    `checkins` rows are (answered, score or None). Rows outside the weeks are skipped. A request
    never matched nor closed waits until `wait_ends[week]`, the end of the period shown.
    """
    first, last = bounds[0], bounds[-1]
    n = len(bounds) - 1
    clock = timeline.LocalClock(
        rules.tz, datetime.fromtimestamp(first, UTC), datetime.fromtimestamp(last, UTC)
    )
    # `base` is at or before `first` and `offsets` reach past `last` (LocalClock), so
    # every hour index of a row inside the weeks is in range.
    offsets, base = clock.offsets, clock.base
    closed = {timeline.day_number(date.fromisoformat(d)) for d in rules.closed_dates}
    open_at = timeline.open_minutes(rules.hours)
    long_wait = rules.wait_alert_minutes * 60
    # Plain lists per week in the loop (a hundred thousand rows): the weeks are made after.
    topic_week = [Counter() for _ in range(n)]
    slot_week = [Counter() for _ in range(n)]
    outcome_week = [Counter() for _ in range(n)]
    peer_week = [Counter() for _ in range(n)]
    match_week = [array("d") for _ in range(n)]
    reply_week = [array("d") for _ in range(n)]
    rows, ids, matched, waited, after, again = ([0] * n for _ in range(6))
    unsettled = [False] * n
    for (
        created,
        topic_id,
        matched_at,
        closed_at,
        preferred,
        reply_at,
        peer_id,
        ended,
        outcome,
        request_id,
    ) in requests:
        if not first <= created < last:
            continue
        week = bisect_right(bounds, created) - 1
        rows[week] += 1
        ids[week] += request_id
        local = int(created) + offsets[int(created - base) // 3600]
        day = local // 86400
        weekday = (day + 3) % 7
        minute = (local % 86400) // 60
        topic_week[week][topic_id or NO_TOPIC] += 1
        slot_week[week][(weekday, minute // 60 - (minute // 60) % BLOCK_HOURS)] += 1
        if matched_at:
            matched[week] += 1
            match_week[week].append((matched_at - created) / 60)
        elif not closed_at:
            unsettled[week] = True
        waited_until = matched_at or closed_at or wait_ends[week]
        if waited_until - created > long_wait:
            waited[week] += 1
        if day in closed or not open_at[weekday][minute]:
            after[week] += 1
        if preferred:
            again[week] += 1
        if reply_at:
            reply_week[week].append((reply_at - created) / 60)
        if peer_id:
            peer_week[week][peer_id] += 1
            if ended:
                outcome_week[week][outcome if outcome in OUTCOME_LABELS else "none"] += 1
            else:
                unsettled[week] = True
    score_week = [Counter() for _ in range(n)]
    answered = [0] * n
    for answered_at, score in checkins:
        if first <= answered_at < last:
            week = bisect_right(bounds, answered_at) - 1
            answered[week] += 1
            if score is not None:
                score_week[week][score] += 1
    return [
        WeekCounts(
            topics=topic_week[i],
            slots=slot_week[i],
            matched=_yes_no(matched[i], rows[i]),
            long_wait=_yes_no(waited[i], rows[i]),
            after_hours=_yes_no(after[i], rows[i]),
            reconnect=_yes_no(again[i], rows[i]),
            outcomes=outcome_week[i],
            scores=score_week[i],
            per_peer=peer_week[i],
            to_match=match_week[i],
            to_reply=reply_week[i],
            requests=rows[i],
            request_ids=ids[i],
            checkins=answered[i],
            open=unsettled[i],
        )
        for i in range(n)
    ]


def _yes_no(yes: int, of: int) -> Counter:
    """A yes/no line holding only the answers given (an empty week stays empty)."""
    return Counter({answer: count for answer, count in (("yes", yes), ("no", of - yes)) if count})


def _plain_rows(connection: Connection, statement) -> list[tuple]:
    """The driver's own tuples: every column here is a number or a string that needs no
    conversion (times come as `epoch` floats), so no Row object is built per row."""
    result = connection.execute(statement)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def read_rows(
    connection: Connection, *, program_id: int, since: datetime, until: datetime
) -> tuple[list[tuple], list[tuple]]:
    """The request rows (with their conversation) and answered check-ins `count_weeks` reads."""
    # Core rows, not ORM rows: nothing here is an object, and 100,000 rows add up.
    requests = _plain_rows(
        connection,
        select(
            epoch(SupportRequest.created_at),
            SupportRequest.topic_id,
            epoch(SupportRequest.matched_at),
            # Only an unmatched request's wait ends when it closes.
            case((SupportRequest.matched_at.is_(None), epoch(SupportRequest.closed_at))),
            SupportRequest.preferred_peer_id,
            epoch(Conversation.first_peer_message_at),
            Conversation.peer_profile_id,
            Conversation.ended_at.is_not(None),
            Conversation.outcome,
            SupportRequest.id,
        )
        .outerjoin(Conversation, Conversation.request_id == SupportRequest.id)
        .where(
            SupportRequest.program_id == program_id,
            SupportRequest.created_at >= since,
            SupportRequest.created_at < until,
        ),
    )
    checkins = _plain_rows(
        connection,
        select(epoch(CheckIn.answered_at), CheckIn.score).where(
            CheckIn.program_id == program_id,
            CheckIn.answered_at >= since,
            CheckIn.answered_at < until,
        ),
    )
    return requests, checkins
