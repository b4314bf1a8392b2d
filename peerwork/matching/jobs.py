"""Matching jobs: wave expiry, and the sweep that keeps the queue moving.

`expire_wave` is scheduled for each wave at its expiry time. The `sweep`
runs every few seconds from the scheduler and repairs whatever a lost job
or a Redis outage left behind: overdue offers are expired and their
requests move on, queued and held requests are offered as soon as peers or
opening hours allow, and a request that has waited too long raises one
alert for supervisors and one honest update to the texter: "everyone is
busy" only when no eligible peer is available at that moment, otherwise
that peers have been asked and have not answered yet.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, select, update

from peerwork import clock
from peerwork.extensions import db, get_dispatcher
from peerwork.jobs import job
from peerwork.matching import eligibility, offers
from peerwork.models import Alert, EscalationContact, Offer, Program, SupportRequest
from peerwork.queue import MAINTENANCE
from peerwork.sms import texts
from peerwork.sms.outbox import queue_sms

log = logging.getLogger(__name__)

# Requests repaired per sweep; the next sweep (seconds later) takes the rest.
SWEEP_BATCH = 500


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
def sweep() -> None:
    """Periodic upkeep of matching; safe to run anywhere, any number of times."""
    now = clock.now()
    dispatcher = get_dispatcher()
    run_sweep(db.session, now=now, dispatcher=dispatcher)


def run_sweep(session, *, now: datetime, dispatcher) -> None:
    """The sweep's work, on a session the caller commits."""
    overdue = session.execute(
        select(Offer.request_id, Offer.wave)
        .join(SupportRequest, SupportRequest.id == Offer.request_id)
        .where(
            Offer.state == "open",
            Offer.expires_at <= now,
            SupportRequest.state == "offering",
            SupportRequest.wave == Offer.wave,
        )
        .distinct()
        .limit(SWEEP_BATCH)
    ).all()
    for request_id, wave in overdue:
        offers.expire_wave(
            session, request_id=request_id, wave=wave, now=now, dispatcher=dispatcher
        )
    # Stray open offers of superseded waves (a crisis wave, a lost job) expire too.
    offers.expire_stray_offers(session, now=now)
    program_ids = session.scalars(
        select(SupportRequest.program_id)
        .join(Program, Program.id == SupportRequest.program_id)
        .where(SupportRequest.state.in_(("waiting", "held")), Program.status == "live")
        .distinct()
    ).all()
    for program_id in program_ids:
        offers.wake_waiting(session, program_id=program_id, now=now, dispatcher=dispatcher)
    raise_wait_alerts(session, now=now, dispatcher=dispatcher)
    session.flush()


def raise_wait_alerts(session, *, now: datetime, dispatcher) -> int:
    """Once per request: alert supervisors and update the texter when a wait runs long.

    The texter hears "everyone is busy" only when it is true: no eligible peer
    is switched on with room right now. When some are (they were asked and
    have not answered, or are cooling down from this request), the update
    says so instead, and the supervisors' alert says peers are not answering.
    """
    candidates = session.execute(
        select(SupportRequest.id, Program.wait_alert_minutes, SupportRequest.created_at)
        .join(Program, Program.id == SupportRequest.program_id)
        .where(
            SupportRequest.state.in_(("offering", "waiting")),
            SupportRequest.wait_alerted_at.is_(None),
        )
        .order_by(SupportRequest.created_at)
        .limit(SWEEP_BATCH)
    ).all()
    raised = 0
    for request_id, minutes, created_at in candidates:
        if created_at > now - timedelta(minutes=minutes):
            continue
        claimed = session.execute(
            update(SupportRequest)
            .where(and_(SupportRequest.id == request_id, SupportRequest.wait_alerted_at.is_(None)))
            .values(wait_alerted_at=now)
            .execution_options(synchronize_session="fetch")
        ).rowcount
        if not claimed:
            continue
        request = session.get(SupportRequest, request_id, populate_existing=True)
        program = session.get(Program, request.program_id)
        waited = int((now - request.created_at).total_seconds() // 60)
        peers_free = eligibility.someone_available(session, request, now)
        reason = f"A texter has waited {waited} minutes for a peer."
        if peers_free:
            reason += " Peers are switched on but have not answered."
        session.add(
            Alert(
                program_id=program.id,
                kind="wait",
                state="open",
                reason=reason,
                request_id=request.id,
                texter_id=request.texter_id,
                created_at=now,
            )
        )
        queue_sms(
            session,
            program=program,
            body=texts.for_program("still_asking" if peers_free else "still_waiting", program),
            now=now,
            dispatcher=dispatcher,
            texter_id=request.texter_id,
        )
        contacts = session.scalars(
            select(EscalationContact.id).where(
                EscalationContact.program_id == program.id,
                EscalationContact.is_backup.is_(False),
                EscalationContact.phone_encrypted.is_not(None),
            )
        ).all()
        staff_text = texts.for_program(
            "staff_alert", program, what=f"a texter has waited {waited} minutes for a peer"
        )
        for contact_id in contacts:
            queue_sms(
                session,
                program=program,
                body=staff_text,
                now=now,
                dispatcher=dispatcher,
                recipient="contact",
                contact_id=contact_id,
                kind="alert",
            )
        raised += 1
    return raised


PERIODIC = [(sweep, 15, MAINTENANCE)]
