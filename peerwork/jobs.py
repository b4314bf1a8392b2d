"""Every job RQ runs, in one registry, and what they share: an app context, a clean session.

Each job here is a thin wrapper: it takes ids, calls one domain function
with the session, `now` and the collaborators, and returns quietly if the
work is done or the row is gone. `@job` makes it run the same under
`peerwork worker` and under a plain `rq worker` (which has no app: one is
built on first use).

Domain code enqueues by reference, naming the domain function:
`dispatcher.enqueue(offers.expire_wave, request_id, wave, at=...)`; the job
that runs it here bears the same name (`ENTRY_POINTS`; the queue module
turns the reference into `peerwork.jobs.<name>`, so domain code never
imports this module). `PERIODIC` lists the periodic upkeep for
`peerwork scheduler`.

The SMS jobs act on what the channel reports (a send refused because the
texter opted out at the carrier): the channel never calls up into the dialog.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context

from peerwork import clock
from peerwork.app import create_app
from peerwork.checkins import schedule
from peerwork.checkins import upkeep as checkin_upkeep
from peerwork.config import serving_instance_path
from peerwork.extensions import db, get_dispatcher, get_redis, get_vault
from peerwork.insights import rollups
from peerwork.matching import offers, upkeep
from peerwork.models import Message
from peerwork.privacy import retention
from peerwork.queue import MAINTENANCE, MESSAGES, URGENT
from peerwork.safety import escalation
from peerwork.sms import sender
from peerwork.sms.outbox import sweep_outbox
from peerwork.sms.throttle import Throttle
from peerwork.sms.transport import get_transport
from peerwork.texter import inbound, outage, spoolfile
from peerwork.texter.inbound import sweep_inbound
from peerwork.texter.optout import opt_out

log = logging.getLogger(__name__)

_app = None


def _get_app():
    global _app
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        _app = create_app(instance_path=serving_instance_path())
    return _app


def job(func):
    """Run `func` inside an app context with its own session, removed after."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        app = _get_app()
        with app.app_context():
            try:
                result = func(*args, **kwargs)
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                raise
            finally:
                db.session.remove()

    return wrapper


def use_app(app) -> None:
    """Make `app` the one jobs run in (the worker command calls this)."""
    global _app
    _app = app


# -- SMS: sending and receiving ------------------------------------------------------


@job
def send_message(message_id: int, slot: int | None = None) -> str:
    """Send one queued outbound message (idempotent; see peerwork.sms.sender).

    `slot` is the throttle second this job was scheduled for.
    """
    app = current_app
    dispatcher = get_dispatcher()
    now = clock.now()
    # The messages waiting behind this one for the same person follow in this job.
    result = sender.send_line(
        db.session,
        message_id=message_id,
        now=now,
        transport=get_transport(),
        vault=get_vault(),
        dispatcher=dispatcher,
        status_callback=sender.status_callback_url(app.config),
        throttle=Throttle(get_redis(), app.config["RQ_QUEUE_PREFIX"]),
        slot=slot,
    )
    if result.opted_out_texter_id is not None:
        # The carrier refused: the texter opted out there, so they are opted out here.
        opt_out(
            db.session,
            texter_id=result.opted_out_texter_id,
            now=now,
            dispatcher=dispatcher,
        )
        db.session.commit()
    if result.outcome == "throttled":
        # Run once, in the second reserved for it: no re-runs ahead of other work.
        throttled = result.message_id if result.message_id is not None else message_id
        message = db.session.get(Message, throttled)
        dispatcher.enqueue(
            send_message,
            throttled,
            result.slot,
            queue=URGENT if message.is_crisis else MESSAGES,
            at=datetime.fromtimestamp(result.slot, UTC),
            job_id=f"send-message-{throttled}-slot-{result.slot}",
            retry=sender.SEND_RETRY,
        )
    return result.outcome


@job
def process_inbound(message_id: int) -> int:
    """Run the texter dialog for one stored inbound message (safe to run twice)."""
    return inbound.process_inbound(
        db.session, message_id=message_id, now=clock.now(), dispatcher=get_dispatcher()
    )


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


@job
def ingest_spooled_inbound() -> int:
    """Periodic: store the texts kept aside while the database was unreachable.

    From the Redis spool, and from the local spool files on this worker's host.
    """
    return outage.ingest_spool(
        db.session,
        vault=get_vault(),
        dispatcher=get_dispatcher(),
        connection=get_redis(),
        prefix=current_app.config["RQ_QUEUE_PREFIX"],
    ) + outage.ingest_files(
        db.session,
        directory=spoolfile.directory(current_app.instance_path),
        vault=get_vault(),
        dispatcher=get_dispatcher(),
    )


# -- matching ------------------------------------------------------------------------


@job
def expire_wave(request_id: int, wave: int) -> None:
    """Expire one wave's offers and send the next wave (or queue the request)."""
    offers.expire_wave(
        db.session, request_id=request_id, wave=wave, now=clock.now(), dispatcher=get_dispatcher()
    )


@job
def reoffer(request_id: int) -> None:
    """Offer a waiting request again once a peer's cool-down is over."""
    offers.reoffer(db.session, request_id=request_id, now=clock.now(), dispatcher=get_dispatcher())


@job
def matching_sweep() -> None:
    """Periodic: keep the queue moving, and raise the alerts of long waits."""
    now, dispatcher = clock.now(), get_dispatcher()
    upkeep.run_sweep(db.session, now=now, dispatcher=dispatcher)
    escalation.raise_wait_alerts(db.session, now=now, dispatcher=dispatcher)


# -- check-ins -----------------------------------------------------------------------


@job
def send_checkin(checkin_id: int) -> str:
    """Deliver one check-in (or skip, hold or drop it); idempotent."""
    return schedule.send_checkin(
        db.session, checkin_id=checkin_id, now=clock.now(), dispatcher=get_dispatcher()
    )


@job
def checkin_sweep() -> None:
    """Periodic: deliver check-ins whose job was lost, close old ones, schedule weekly ones."""
    checkin_upkeep.run_sweep(db.session, now=clock.now(), dispatcher=get_dispatcher())


# -- safety --------------------------------------------------------------------------


@job
def escalate_alert(alert_id: int) -> bool:
    """Delayed: send an alert nobody acknowledged in time to the backup contacts."""
    return escalation.escalate_alert(
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
        session, now=now, dispatcher=dispatcher, after=escalation.MISSED_CRISIS_AFTER
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


# -- privacy -------------------------------------------------------------------------


@job
def purge_old_bodies() -> int:
    """Erase message bodies past each program's retention period (idempotent)."""
    erased = retention.purge(db.session, now=clock.now(), commit_each_batch=True)
    total = sum(erased.values())
    if total:
        log.info("retention purge erased %d message bodies in %d programs", total, len(erased))
    return total


# -- reports -------------------------------------------------------------------------


@job
def fill_report_weeks() -> int:
    """Store the weekly report counters of weeks that have settled (idempotent), so the
    Reports page reads them instead of counting a year of rows while an admin waits."""
    filled = rollups.fill(db.session, now=clock.now())
    return sum(filled.values())


# -- the registry --------------------------------------------------------------------

# The domain functions enqueued by reference (`dispatcher.enqueue(offers.expire_wave, ...)`)
# and the entry point here that runs each: it bears the same name.
ENTRY_POINTS = {
    sender.send_message: send_message,
    inbound.process_inbound: process_inbound,
    offers.expire_wave: expire_wave,
    offers.reoffer: reoffer,
    schedule.send_checkin: send_checkin,
    escalation.escalate_alert: escalate_alert,
    escalation.handle_crisis_message: handle_crisis_message,
}

PURGE_EVERY_SECONDS = 6 * 3600
# Weeks settle once a week (`rollups.SETTLE_DAYS` after they end): daily is plenty.
REPORT_WEEKS_EVERY_SECONDS = 24 * 3600

# Periodic upkeep for `peerwork scheduler`: (job, seconds between runs, queue).
# Every one is idempotent, so running a scheduler on more than one host is safe.
PERIODIC = [
    (outbox_sweep, 30, MAINTENANCE),
    (inbound_sweep, 15, MAINTENANCE),
    (ingest_spooled_inbound, 10, URGENT),
    (matching_sweep, 15, MAINTENANCE),
    (checkin_sweep, 60, MAINTENANCE),
    (safety_sweep, 60, URGENT),
    (purge_old_bodies, PURGE_EVERY_SECONDS, MAINTENANCE),
    (fill_report_weeks, REPORT_WEEKS_EVERY_SECONDS, MAINTENANCE),
]
