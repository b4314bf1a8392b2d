"""Anonymous aggregate reports: counts only, never content, small cells hidden.

A count between 1 and 4 is shown as "fewer than 5" so nobody can be singled
out. Within a breakdown whose total is shown, a lone hidden cell could be
worked out by subtraction, so the next smallest cell is hidden as well.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peerwork.models import Alert, CheckIn, Conversation, Program, SupportRequest, Topic

MIN_CELL = 5


@dataclass
class Cell:
    label: str
    count: int
    hidden: bool = False

    @property
    def shown(self) -> str:
        return f"fewer than {MIN_CELL}" if self.hidden else str(self.count)


def _cell(label: str, count: int) -> Cell:
    hidden = 0 < count < MIN_CELL
    # A hidden cell keeps no exact value that a template could leak.
    return Cell(label, 0 if hidden else count, hidden=hidden)


def _suppress_group(cells: list[Cell]) -> list[Cell]:
    hidden = [c for c in cells if c.hidden]
    if len(hidden) == 1:
        visible = sorted((c for c in cells if not c.hidden and c.count > 0), key=lambda c: c.count)
        if visible:
            visible[0].hidden, visible[0].count = True, 0
    return cells


@dataclass
class ProgramReport:
    program: Program
    since: datetime
    until: datetime
    requests: Cell
    conversations: Cell
    crisis_alerts: Cell
    checkins_answered: Cell
    matched: int
    median_wait_minutes: float | None  # None: too few matches to show
    by_topic: list[Cell] = field(default_factory=list)
    checkin_scores: list[Cell] = field(default_factory=list)


def program_report(
    session: Session, *, program: Program, since: datetime, until: datetime
) -> ProgramReport:
    """Counts for one program between `since` and `until` (UTC)."""

    def count(column, *where) -> int:
        return session.scalar(select(func.count(column)).where(*where)) or 0

    req_window = (
        SupportRequest.program_id == program.id,
        SupportRequest.created_at >= since,
        SupportRequest.created_at < until,
    )
    requests = count(SupportRequest.id, *req_window)
    conversations = count(
        Conversation.id,
        Conversation.program_id == program.id,
        Conversation.started_at >= since,
        Conversation.started_at < until,
    )
    crisis = count(
        Alert.id,
        Alert.program_id == program.id,
        Alert.kind == "crisis",
        Alert.created_at >= since,
        Alert.created_at < until,
    )
    waits = [
        (matched - created).total_seconds() / 60
        for created, matched in session.execute(
            select(SupportRequest.created_at, SupportRequest.matched_at).where(
                *req_window, SupportRequest.matched_at.is_not(None)
            )
        )
    ]
    median = round(statistics.median(waits), 1) if len(waits) >= MIN_CELL else None

    topic_rows = session.execute(
        select(Topic.name, func.count(SupportRequest.id))
        .select_from(SupportRequest)
        .outerjoin(Topic, Topic.id == SupportRequest.topic_id)
        .where(*req_window)
        .group_by(Topic.name)
    ).all()
    by_topic = _suppress_group(
        sorted(
            (_cell(name or "No topic chosen", n) for name, n in topic_rows),
            key=lambda c: (-c.count, c.label),
        )
    )
    score_rows = dict(
        session.execute(
            select(CheckIn.score, func.count(CheckIn.id))
            .where(
                CheckIn.program_id == program.id,
                CheckIn.answered_at >= since,
                CheckIn.answered_at < until,
                CheckIn.score.is_not(None),
            )
            .group_by(CheckIn.score)
        ).all()
    )
    scores = _suppress_group([_cell(str(s), score_rows.get(s, 0)) for s in range(1, 6)])
    return ProgramReport(
        program=program,
        since=since,
        until=until,
        requests=_cell("Requests", requests),
        conversations=_cell("Conversations", conversations),
        crisis_alerts=_cell("Crisis alerts", crisis),
        checkins_answered=_cell("Check-ins answered", sum(score_rows.values())),
        matched=len(waits),
        median_wait_minutes=median,
        by_topic=by_topic,
        checkin_scores=scores,
    )
