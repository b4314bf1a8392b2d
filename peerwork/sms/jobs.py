"""SMS jobs: send one outbound message, process one inbound message, sweeps."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from peerwork import clock
from peerwork.extensions import db, get_dispatcher, get_redis, get_vault
from peerwork.jobs import job
from peerwork.models import Message, Program, Texter, states
from peerwork.queue import DEFAULT, MAINTENANCE, MESSAGES, URGENT
from peerwork.safety.escalation import handle_crisis_message
from peerwork.sms import dialog, sender
from peerwork.sms.outbox import SEND_RETRY
from peerwork.sms.throttle import Throttle
from peerwork.sms.transport import get_transport

log = logging.getLogger(__name__)

# The longest pause SEND_RETRY takes between attempts.
RETRY_PATIENCE = timedelta(seconds=max(SEND_RETRY.intervals))


def status_callback_url(config) -> str | None:
    """Where Twilio posts delivery updates (needs the public URL)."""
    base = config.get("PUBLIC_BASE_URL")
    return f"{base}/sms/status" if base else None


@job
def send_message(message_id: int, slot: int | None = None) -> str:
    """Send one queued outbound message (idempotent; see peerwork.sms.sender).

    `slot` is the throttle second this job was scheduled for.
    """
    app = current_app
    dispatcher = get_dispatcher()
    result = sender.send_message(
        db.session,
        message_id=message_id,
        now=clock.now(),
        transport=get_transport(),
        vault=get_vault(),
        dispatcher=dispatcher,
        status_callback=status_callback_url(app.config),
        throttle=Throttle(get_redis(), app.config["RQ_QUEUE_PREFIX"]),
        slot=slot,
    )
    if result.outcome == "throttled":
        # Run once, in the second reserved for it: no re-runs ahead of other work.
        message = db.session.get(Message, message_id)
        dispatcher.enqueue(
            "sms.jobs.send_message",
            message_id,
            result.slot,
            queue=URGENT if message.is_crisis else MESSAGES,
            at=datetime.fromtimestamp(result.slot, UTC),
            job_id=f"send-message-{message_id}-slot-{result.slot}",
            retry=SEND_RETRY,
        )
    return result.outcome


def process_pending(session: Session, *, message_id: int, now: datetime, dispatcher) -> int:
    """Run the dialog for this message and any earlier unprocessed ones of its texter, in order."""
    message = session.get(Message, message_id)
    if message is None or message.direction != "inbound" or message.texter_id is None:
        return 0
    # One texter's messages are handled one at a time, oldest first.
    texter = session.get(Texter, message.texter_id, with_for_update=True, populate_existing=True)
    program = session.get(Program, message.program_id)
    pending = session.scalars(
        select(Message)
        .where(
            Message.texter_id == texter.id,
            Message.direction == "inbound",
            Message.processed_at.is_(None),
            Message.id <= message_id,
        )
        .order_by(Message.id)
    ).all()
    handled = 0
    for item in pending:
        claimed = session.execute(
            update(Message)
            .where(Message.id == item.id, Message.processed_at.is_(None))
            .values(processed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        turn = dialog.Turn(
            session=session,
            program=program,
            texter=texter,
            message=item,
            now=now,
            dispatcher=dispatcher,
        )
        dialog.handle(turn)
        if item.is_crisis:
            handle_crisis_message(session, message_id=item.id, now=now, dispatcher=dispatcher)
        handled += 1
    return handled


@job
def process_inbound(message_id: int) -> int:
    """Run the texter dialog for one stored inbound message (safe to run twice)."""
    return process_pending(
        db.session, message_id=message_id, now=clock.now(), dispatcher=get_dispatcher()
    )


def enqueue_inbound(dispatcher, message_id: int, *, crisis: bool = False):
    """Hand a stored inbound message to the dialog job."""
    return dispatcher.enqueue(
        "sms.jobs.process_inbound",
        message_id,
        queue=URGENT if crisis else DEFAULT,
        job_id=f"process-inbound-{message_id}",
    )


def sweep_outbox(session: Session, *, now: datetime, after: timedelta, dispatcher) -> int:
    """Re-enqueue outbound messages a lost job left behind; returns how many."""
    cutoff = now - after
    # `sending` past the cutoff: the worker died mid-send (the HTTP timeout is far
    # shorter than the cutoff). Back to `queued` with attempts > 0: the send job
    # first asks the provider whether it already holds the message (reconcile,
    # see peerwork.sms.sender) and sends only if it does not.
    stuck = session.scalars(
        select(Message.id).where(
            Message.direction == "outbound",
            Message.status == "sending",
            Message.status_updated_at < cutoff,
        )
    ).all()
    for message_id in stuck:
        session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == "sending")
            .values(status="queued", status_updated_at=now)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    # A row that already failed temporarily has an RQ retry pending (up to
    # RETRY_PATIENCE away): the sweep leaves it to that retry's backoff.
    retry_cutoff = cutoff - RETRY_PATIENCE
    waiting = session.execute(
        select(Message.id, Message.is_crisis, Message.attempts).where(
            Message.direction == "outbound",
            Message.status.in_(states.DELIVERY.sources("sending")),
            Message.id.in_(stuck or [-1])
            | ((Message.attempts == 0) & (Message.queued_at < cutoff))
            | (
                (Message.attempts > 0)
                & (func.coalesce(Message.status_updated_at, Message.queued_at) < retry_cutoff)
            ),
        )
    ).all()
    for message_id, is_crisis, attempts in waiting:
        # A fresh job id per attempt: the lost job's id may still look "started".
        dispatcher.enqueue(
            "sms.jobs.send_message",
            message_id,
            queue=URGENT if is_crisis else MESSAGES,
            job_id=f"sweep-send-{message_id}-{attempts}",
            retry=SEND_RETRY,
        )
    if waiting:
        log.info("outbox sweep re-enqueued %d message(s)", len(waiting))
    return len(waiting)


def sweep_inbound(session: Session, *, now: datetime, after: timedelta, dispatcher) -> int:
    """Re-enqueue inbound messages whose dialog job never ran (Redis was down)."""
    rows = session.execute(
        select(Message.id, Message.is_crisis).where(
            Message.direction == "inbound",
            Message.processed_at.is_(None),
            Message.created_at < now - after,
        )
    ).all()
    for message_id, is_crisis in rows:
        enqueue_inbound(dispatcher, message_id, crisis=is_crisis)
    if rows:
        log.info("inbound sweep re-enqueued %d message(s)", len(rows))
    return len(rows)


def _sweep_after() -> timedelta:
    return timedelta(seconds=current_app.config["OUTBOX_SWEEP_AFTER_SECONDS"])


@job
def outbox_sweep() -> int:
    """Periodic: resend outbound messages left queued or half-sent."""
    return sweep_outbox(
        db.session, now=clock.now(), after=_sweep_after(), dispatcher=get_dispatcher()
    )


@job
def inbound_sweep() -> int:
    """Periodic: process inbound messages whose job was lost."""
    # Inbound jobs are quick: a much shorter wait than the outbox's is enough.
    after = min(_sweep_after(), timedelta(seconds=20))
    return sweep_inbound(db.session, now=clock.now(), after=after, dispatcher=get_dispatcher())


PERIODIC = [
    (outbox_sweep, 30, MAINTENANCE),
    (inbound_sweep, 15, MAINTENANCE),
]
