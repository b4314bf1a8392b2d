"""Check-in upkeep: the sweep that repairs what a lost job left behind.

Each check-in's own job (`send_checkin`, peerwork/jobs.py) is scheduled with
RQ's `enqueue_at` for its due time. This sweep (every minute, the
`checkin_sweep` job) delivers due check-ins whose job was lost (Redis
outage, flushed queue), closes the answer window of old ones, and makes sure
every texter who asked for weekly check-ins has the next one scheduled. Safe
to run twice: every state change is a conditional UPDATE.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork.checkins import schedule
from peerwork.models import CheckIn, Texter

# A due check-in is left to its own job this long before the sweep steps in.
SWEEP_GRACE = timedelta(minutes=5)
SWEEP_BATCH = 200


def run_sweep(session: Session, *, now: datetime, dispatcher) -> dict[str, int]:
    """The sweep's work, on a session the caller commits; returns counts by outcome."""
    outcomes: dict[str, int] = {}
    overdue = session.scalars(
        select(CheckIn.id)
        .where(CheckIn.state == "scheduled", CheckIn.due_at <= now - SWEEP_GRACE)
        .order_by(CheckIn.due_at)
        .limit(SWEEP_BATCH)
    ).all()
    for checkin_id in overdue:
        outcome = schedule.send_checkin(
            session, checkin_id=checkin_id, now=now, dispatcher=dispatcher
        )
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    outcomes["unanswered"] = schedule.expire_unanswered(session, now=now)
    has_next = (
        select(CheckIn.id)
        .where(
            CheckIn.texter_id == Texter.id,
            CheckIn.kind == "recurring",
            CheckIn.state == "scheduled",
        )
        .exists()
    )
    missing = session.scalars(
        select(Texter.id)
        .where(Texter.recurring_checkin == "weekly", Texter.dialog_state != "opted_out", ~has_next)
        .limit(SWEEP_BATCH)
    ).all()
    for texter_id in missing:
        schedule.schedule_recurring(session, texter_id=texter_id, now=now, dispatcher=dispatcher)
    outcomes["rescheduled"] = len(missing)
    session.flush()
    return outcomes
