"""A volunteer's own figures: what they gave, and how their texters said they were doing.

Suppressed like the program's figures (weekly cells, the program's minimum):
a peer must not be able to tell which of their texters answered what.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork.insights import cells
from peerwork.insights.cells import Breakdown, Figure
from peerwork.insights.dashboard import SCORE_LABELS, week_index
from peerwork.insights.periods import Period
from peerwork.models import WEEKDAYS, CheckIn, Conversation, PeerProfile


@dataclass
class OwnFigures:
    period: Period
    k: int
    conversations: list[Figure]  # per week
    hours_available: float  # per week, from the weekly availability they set
    scores: Breakdown

    @property
    def conversations_total(self) -> Figure:
        return cells.total(self.conversations)


def weekly_hours(availability: dict | None) -> float:
    """Hours a week covered by a volunteer's availability."""
    minutes = 0
    for day in WEEKDAYS:
        for start, end in (availability or {}).get(day) or ():
            begin = int(start[:2]) * 60 + int(start[3:5])
            finish = 24 * 60 if end == "24:00" else int(end[:2]) * 60 + int(end[3:5])
            minutes += max(0, finish - begin)
    return round(minutes / 60, 1)


def peer_figures(
    session: Session, *, program_id: int, peer_profile_id: int, period: Period, k: int
) -> OwnFigures:
    """One peer's conversations per week, weekly hours, and their texters' check-ins in aggregate."""
    k = max(cells.MIN_CELL_FLOOR, k)
    bounds = period.boundaries()
    conversations = [0] * period.weeks
    for (started,) in session.execute(
        select(Conversation.started_at).where(
            Conversation.program_id == program_id,
            Conversation.peer_profile_id == peer_profile_id,
            Conversation.started_at >= period.since,
            Conversation.started_at < period.until,
        )
    ):
        week = week_index(bounds, started)
        if week is not None:
            conversations[week] += 1
    score_weeks = [Counter() for _ in range(period.weeks)]
    for answered_at, score in session.execute(
        select(CheckIn.answered_at, CheckIn.score).where(
            CheckIn.program_id == program_id,
            CheckIn.peer_profile_id == peer_profile_id,
            CheckIn.answered_at >= period.since,
            CheckIn.answered_at < period.until,
            CheckIn.score.is_not(None),
        )
    ):
        week = week_index(bounds, answered_at)
        if week is not None:
            score_weeks[week][score] += 1
    profile = session.get(PeerProfile, peer_profile_id)
    return OwnFigures(
        period=period,
        k=k,
        # The peer knows their own conversations: only their texters' answers need hiding.
        conversations=[Figure(n) for n in conversations],
        hours_available=weekly_hours(profile.availability if profile else None),
        scores=cells.breakdown(list(SCORE_LABELS), SCORE_LABELS, score_weeks, k),
    )
