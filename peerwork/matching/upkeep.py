"""Matching upkeep: the sweep that keeps the queue moving.

Run every few seconds by the `matching_sweep` job (peerwork/jobs.py), it
repairs whatever a lost job or a Redis outage left behind: overdue offers
are expired and their requests move on, queued and held requests are
offered as soon as peers or opening hours allow. (A request that has waited
too long raises an alert: that is safety's, `escalation.raise_wait_alerts`,
run by the same job.)
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from peerwork.matching import offers
from peerwork.models import Offer, Program, SupportRequest

log = logging.getLogger(__name__)

# Requests repaired per sweep; the next sweep (seconds later) takes the rest.
SWEEP_BATCH = 500


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
    session.flush()
