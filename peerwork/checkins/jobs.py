"""Check-in jobs: deliver one check-in at its time, and the sweep that repairs the rest.

`send_checkin` is scheduled with RQ's `enqueue_at` for each check-in's due
time. The `sweep` (every minute, from `peerwork scheduler`) delivers due
check-ins whose job was lost (Redis outage, flushed queue), closes the
answer window of old ones, and makes sure every texter who asked for weekly
check-ins has the next one scheduled. Both are safe to run twice: every
state change is a conditional UPDATE.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork import clock
from peerwork.checkins import schedule
from peerwork.extensions import db, get_dispatcher
from peerwork.jobs import job
from peerwork.models import CheckIn, Texter
from peerwork.queue import MAINTENANCE

# A due check-in is left to its own job this long before the sweep steps in.
SWEEP_GRACE = timedelta(minutes=5)
SWEEP_BATCH = 200


@job
def send_checkin(checkin_id: int) -> str:
    """Deliver one check-in (or skip, hold or drop it); idempotent."""
    return schedule.deliver(
        db.session, checkin_id=checkin_id, now=clock.now(), dispatcher=get_dispatcher()
    )


@job
def sweep() -> None:
    """Periodic upkeep of check-ins; safe anywhere, any number of times."""
    run_sweep(db.session, now=clock.now(), dispatcher=get_dispatcher())


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
        outcome = schedule.deliver(session, checkin_id=checkin_id, now=now, dispatcher=dispatcher)
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


PERIODIC = [(sweep, 60, MAINTENANCE)]
