"""Settled weeks, counted once: the dashboard's weekly counters kept in `report_weeks`.

A period is whole local weeks, and a week long past no longer changes, so its
counters (`weekly.WeekCounts`) are stored the first time a dashboard counts it
and read back after that. A week is stored only when it is settled: it ended at
least `SETTLE_DAYS` before now and none of its requests is still waiting and
none of its conversations still going.

Every read checks what it uses. A stored week counts for nothing when its
fingerprint (the counting code's version and the program settings the counts
depend on: timezone, hours, closed dates, long-wait threshold) is not today's,
or when the tables no longer hold the rows it was counted from (one grouped
count of requests, with the sum of their ids, and of answered check-ins per
week (`row_counts`): a purge, a demo backfill or a deleted row shows there). Such a week is
counted from its rows again and stored afresh.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from array import array
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import TextClause, bindparam, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peerwork.insights.periods import MAX_WEEKS, Period, resolve
from peerwork.insights.weekly import Rules, WeekCounts, count_weeks, read_rows
from peerwork.models import Program, ReportWeek, SupportRequest

# Change it whenever `count_weeks` counts differently: every stored week is counted again.
ROLLUP_VERSION = 1
SETTLE_DAYS = 14
_YES_NO = ("matched", "long_wait", "after_hours", "reconnect")


def fingerprint(rules: Rules) -> str:
    """What a stored week's counts depend on besides its rows."""
    text = json.dumps(
        [
            ROLLUP_VERSION,
            rules.tz,
            rules.hours,
            sorted(rules.closed_dates),
            rules.wait_alert_minutes,
        ],
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _pack(values: array) -> bytes:
    if sys.byteorder == "big":  # stored little-endian, whatever machine wrote them
        values = array("d", values)
        values.byteswap()
    return values.tobytes()


def _unpack(data: bytes) -> array:
    values = array("d")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def encode(week: WeekCounts) -> tuple[dict, bytes]:
    """A week as the JSON counts and the packed minutes of its `report_weeks` row."""
    counts = {
        "requests": week.requests,
        "request_ids": week.request_ids,
        "checkins": week.checkins,
        "topics": sorted(week.topics.items()),
        "slots": sorted([day, block, n] for (day, block), n in week.slots.items()),
        "outcomes": dict(week.outcomes),
        "scores": sorted(week.scores.items()),
        "per_peer": sorted(week.per_peer.items()),
        "to_match": len(week.to_match),
    } | {name: dict(getattr(week, name)) for name in _YES_NO}
    # Sorted: the period's median sorts the weeks' runs together, and sorted runs merge fast.
    return counts, _pack(array("d", sorted(week.to_match))) + _pack(
        array("d", sorted(week.to_reply))
    )


def decode(counts: dict, timings: bytes) -> WeekCounts:
    """The week `encode` stored."""
    minutes = _unpack(timings)
    split = counts["to_match"]
    return WeekCounts(
        topics=Counter(dict(counts["topics"])),
        slots=Counter({(day, block): n for day, block, n in counts["slots"]}),
        outcomes=Counter(counts["outcomes"]),
        scores=Counter(dict(counts["scores"])),
        per_peer=Counter(dict(counts["per_peer"])),
        to_match=minutes[:split],
        to_reply=minutes[split:],
        requests=counts["requests"],
        request_ids=counts["request_ids"],
        checkins=counts["checkins"],
        **{name: Counter(counts[name]) for name in _YES_NO},
    )


def row_counts(
    connection, *, program_id: int, weeks: list[tuple[datetime, datetime]]
) -> list[tuple[int, int, int]]:
    """(requests, sum of their ids, answered check-ins) in each [start, end) of `weeks`.

    Two statements, each a join of the week boundaries (a VALUES list) with one range of
    the (program_id, created_at) and (program_id, answered_at) indexes per week; both
    indexes answer alone (the first is the covering report index).
    """
    if not weeks:
        return []
    params: dict = {"program_id": program_id}
    for i, (start, end) in enumerate(weeks):
        params |= {f"week_{i}": i, f"since_{i}": start, f"until_{i}": end}
    requests_sql, checkins_sql = _row_count_statements(len(weeks))
    requests = {
        week: (count, int(ids)) for week, count, ids in connection.execute(requests_sql, params)
    }
    checkins = dict(connection.execute(checkins_sql, params).all())
    return [(*requests.get(i, (0, 0)), checkins.get(i, 0)) for i in range(len(weeks))]


@functools.cache
def _row_count_statements(weeks: int) -> tuple[TextClause, TextClause]:
    """The two statements of `row_counts` for a number of weeks. Plain SQL: built as
    expressions, a VALUES list of 104 weeks took longer to compile than to run."""
    moment = SupportRequest.created_at.type  # bound as the columns it is compared with
    rows = ", ".join(f"(:week_{i}, :since_{i}, :until_{i})" for i in range(weeks))
    # Only placeholders are put together here; every value is a bound parameter.
    bounds = f"WITH bounds (week, since, until) AS (VALUES {rows}) "
    types = [
        bindparam(f"{edge}_{i}", type_=moment) for i in range(weeks) for edge in ("since", "until")
    ]
    requests = text(
        bounds  # noqa: S608 (placeholders only)
        + "SELECT bounds.week, count(*), sum(r.id) FROM bounds "
        "JOIN support_requests AS r ON r.program_id = :program_id "
        "AND r.created_at >= bounds.since AND r.created_at < bounds.until GROUP BY bounds.week"
    ).bindparams(*types)
    checkins = text(
        bounds  # noqa: S608 (placeholders only)
        + "SELECT bounds.week, count(*) FROM bounds "
        "JOIN checkins AS c ON c.program_id = :program_id "
        "AND c.answered_at >= bounds.since AND c.answered_at < bounds.until GROUP BY bounds.week"
    ).bindparams(*types)
    return requests, checkins


def _stored(session: Session, *, program_id: int, first: date, last: date, print_: str) -> dict:
    rows = session.execute(
        select(ReportWeek.week_start, ReportWeek.counts, ReportWeek.timings).where(
            ReportWeek.program_id == program_id,
            ReportWeek.week_start >= first,
            ReportWeek.week_start <= last,
            ReportWeek.fingerprint == print_,
        )
    )
    return {week_start: decode(counts, timings) for week_start, counts, timings in rows}


def store(
    session: Session,
    *,
    program_id: int,
    weeks: dict[date, WeekCounts],
    print_: str,
    now: datetime,
) -> None:
    """Write (or overwrite) settled weeks; the caller commits. A dashboard counting the same
    week at the same moment writes the same counts, so whichever row wins is right."""
    if not weeks:
        return
    rows = []
    for week_start in sorted(weeks):  # one order for every writer: no deadlock
        counts, timings = encode(weeks[week_start])
        rows.append(
            {
                "program_id": program_id,
                "week_start": week_start,
                "fingerprint": print_,
                "computed_at": now,
                "counts": counts,
                "timings": timings,
            }
        )
    dialect = session.connection().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ReportWeek).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[ReportWeek.program_id, ReportWeek.week_start],
        set_={
            name: statement.excluded[name]
            for name in ("fingerprint", "computed_at", "counts", "timings")
        },
    )
    try:
        # A savepoint: a failed write (the program deleted meanwhile) costs the cache, not the page.
        with session.begin_nested():
            session.execute(statement)
    except IntegrityError:
        pass


def period_weeks(
    session: Session, *, program: Program, period: Period, now: datetime
) -> tuple[list[WeekCounts], list[WeekCounts]]:
    """The weekly counters of the period before `period` and of `period`: stored weeks that
    still hold, the others counted from their rows (and stored when settled)."""
    previous = period.previous()
    rules = Rules.of(program)
    print_ = fingerprint(rules)
    starts = previous.week_starts() + period.week_starts()
    bounds = previous.boundaries()[:-1] + period.boundaries()
    seconds = [b.timestamp() for b in bounds]
    # A request never matched nor closed waits until the end of the period it is shown in.
    wait_ends = [previous.until.timestamp()] * previous.weeks + [
        period.until.timestamp()
    ] * period.weeks
    settled_before = now.astimezone(UTC) - timedelta(days=SETTLE_DAYS)
    settled = [bounds[i + 1] <= settled_before for i in range(len(starts))]
    weeks: list[WeekCounts | None] = [None] * len(starts)
    if any(settled):
        stored = _stored(
            session, program_id=program.id, first=starts[0], last=starts[-1], print_=print_
        )
        held = [i for i, start in enumerate(starts) if settled[i] and start in stored]
        live = row_counts(
            session.connection(),
            program_id=program.id,
            weeks=[(bounds[i], bounds[i + 1]) for i in held],
        )
        for i, (requests, ids, checkins) in zip(held, live, strict=True):
            week = stored[starts[i]]
            if (week.requests, week.request_ids, week.checkins) == (requests, ids, checkins):
                weeks[i] = week
    fresh: dict[date, WeekCounts] = {}
    for lo, hi in _runs([i for i, week in enumerate(weeks) if week is None]):
        requests, checkins = read_rows(
            session.connection(), program_id=program.id, since=bounds[lo], until=bounds[hi]
        )
        counted = count_weeks(rules, seconds[lo : hi + 1], wait_ends[lo:hi], requests, checkins)
        for i, week in enumerate(counted, start=lo):
            weeks[i] = week
            if settled[i] and not week.open:
                fresh[starts[i]] = week
    store(session, program_id=program.id, weeks=fresh, print_=print_, now=now)
    return weeks[: previous.weeks], weeks[previous.weeks :]


def fill(session: Session, *, now: datetime) -> dict[int, int]:
    """Count and store every settled week the dashboard may show, for each program that
    takes texts (`peerwork scheduler` runs it daily), so no admin waits for a first count.

    The span is the longest period an admin can ask for and the period before it; weeks
    already stored and still holding are only checked. Commits once per program.
    Returns {program id: weeks stored or checked}.
    """
    done: dict[int, int] = {}
    programs = session.scalars(
        select(Program).where(Program.status.in_(("live", "paused"))).order_by(Program.id)
    ).all()
    for program in programs:
        period = resolve(tz=program.timezone, now=now, preset=None)
        widest = Period(
            period.first_monday - timedelta(days=7 * (MAX_WEEKS - period.weeks)),
            MAX_WEEKS,
            period.tz,
        )
        earlier, later = period_weeks(session, program=program, period=widest, now=now)
        session.commit()
        done[program.id] = len(earlier) + len(later)
    return done


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Consecutive indexes as [lo, hi) ranges: one read per run of weeks."""
    runs: list[tuple[int, int]] = []
    for i in indexes:
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs
