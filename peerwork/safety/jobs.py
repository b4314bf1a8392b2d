"""Safety jobs: escalate unacknowledged alerts, follow up unanswered texts, catch misses."""

from __future__ import annotations

from datetime import timedelta

from peerwork import clock
from peerwork.extensions import db, get_dispatcher
from peerwork.jobs import job
from peerwork.queue import URGENT
from peerwork.safety import escalation

# A crisis message is normally escalated by its dialog job within a second or
# two; past this, the sweep assumes the job was lost and does it itself.
MISSED_CRISIS_AFTER = timedelta(seconds=30)


@job
def escalate_alert(alert_id: int) -> bool:
    """Delayed: send an alert nobody acknowledged in time to the backup contacts."""
    return escalation.escalate(
        db.session, alert_id=alert_id, now=clock.now(), dispatcher=get_dispatcher()
    )


@job
def handle_crisis_message(message_id: int):
    """Flag and alert for one crisis message (safe to run twice)."""
    alert = escalation.handle_crisis_message(
        db.session, message_id=message_id, now=clock.now(), dispatcher=get_dispatcher()
    )
    return alert.id if alert is not None else None


@job
def safety_sweep() -> dict[str, int]:
    """Periodic: catch missed crises, carry them forward, escalate, follow up silences."""
    session, now, dispatcher = db.session, clock.now(), get_dispatcher()
    missed = escalation.handle_missed_crisis_messages(
        session, now=now, dispatcher=dispatcher, after=MISSED_CRISIS_AFTER
    )
    carried = escalation.carry_crisis_forward(session, now=now, dispatcher=dispatcher)
    session.commit()
    escalated = escalation.escalate_overdue(session, now=now, dispatcher=dispatcher)
    session.commit()
    followed = escalation.follow_up_unanswered(session, now=now, dispatcher=dispatcher)
    return {
        "missed_crisis": missed,
        "carried_forward": carried,
        "escalated": escalated,
        "unanswered": followed,
    }


PERIODIC = [(safety_sweep, 60, URGENT)]
