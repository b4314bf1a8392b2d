"""The offer lifecycle: requests, waves of offers, the accept race, the queue.

A request is offered to a wave of the best eligible peers at once; each
wave expires after the program's offer timeout (a delayed RQ job, with the
periodic sweep as a backstop) and the next wave goes out; after the last
wave, or when nobody is eligible, the request waits in the queue (crisis
first, then oldest) until capacity appears. The first accept wins: it is
settled by conditional UPDATEs and the unique `conversations.request_id`,
never by checking first and writing after.

Waves never simply stop while someone could answer. A peer who let an offer
lapse, or declined it, may be asked for the same request again once their
cool-down is over (`eligibility.LAPSE_COOLDOWN`, `DECLINE_COOLDOWN`). After
the last wave the request waits in the queue but goes back out at once to
anyone already out of their cool-down, and a delayed `reoffer` job is set for
the moment the next cool-down ends; switching on, ending a conversation and
the sweep wake the queue too. So while an eligible peer is available, a
request waits at most max_waves x offer timeout + LAPSE_COOLDOWN for its next
offer (tests/scenarios/test_lapse_and_reoffer.py).

A peer who lets `AWAY_AFTER_LAPSES` offers in a row lapse, answering none, is
probably away from the screen: they are switched to unavailable (with an
audit event saying why) instead of being pinged for ever, and their page
shows them switched off. That keeps "Available now" true, which is what
lets the texter be told honestly whether everyone is busy; switching back
on offers them the waiting requests at once.

Every function flushes and leaves the commit to its caller.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peerwork import audit, hours
from peerwork.matching import eligibility, ranking
from peerwork.models import (
    Alert,
    AuditEvent,
    Conversation,
    Offer,
    PeerProfile,
    Program,
    SupportRequest,
    Texter,
    Topic,
    User,
    states,
)
from peerwork.sms import texts
from peerwork.sms.outbox import queue_sms

log = logging.getLogger(__name__)

OPEN_REQUEST_STATES = states.OPEN_REQUEST_STATES
# Requests looked at per wake-up: the rest wait for the next one (seconds away).
WAKE_BATCH = 200
# Offers in a row a peer lets lapse, answering none, before they are switched off.
AWAY_AFTER_LAPSES = 3
AWAY_ACTION = "peer.switched_off_after_lapses"


class OfferUnavailable(Exception):
    """An offer that can no longer be accepted; the message is safe to show the peer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


TAKEN = "Another peer accepted this request first."
EXPIRED = "This offer has expired."
AT_CAPACITY = "You're at your limit of conversations right now. End one to accept another."
GONE = "This request is no longer waiting for a peer."
NOT_FREE = "That peer can't take it right now: they are switched off, busy or at their limit."
ALREADY_ASKED = "That peer already has this request in front of them."
NOBODY_FREE = "No peer who can take it is available right now."
# Requests a supervisor can act on from the queue.
ACTIONABLE_STATES = ("offering", "waiting")


class NotWaiting(OfferUnavailable):
    """A supervisor acted on a request that was matched, cancelled or closed meanwhile."""

    def __init__(self, request: SupportRequest | None) -> None:
        super().__init__(GONE)
        self.request = request


# -- opening a request -------------------------------------------------------------


def open_request(
    session: Session,
    *,
    program_id: int,
    texter_id: int,
    topic_id: int | None,
    now: datetime,
    dispatcher,
    is_crisis: bool = False,
    preferred_peer_id: int | None = None,
    source: str = "texter",
) -> SupportRequest:
    """Open a request (or return the texter's open one) and send its first wave."""
    existing = _open_request_of(session, texter_id)
    if existing is not None:
        if is_crisis and not existing.is_crisis:
            mark_crisis(session, request_id=existing.id, now=now, dispatcher=dispatcher)
        return existing
    program = session.get(Program, program_id)
    taking = hours.is_open(program, now)
    request = SupportRequest(
        program_id=program_id,
        texter_id=texter_id,
        topic_id=topic_id,
        is_crisis=is_crisis,
        preferred_peer_id=preferred_peer_id,
        source=source,
        language=session.get(Texter, texter_id).language,
        state="offering" if taking else "held",
        wave=0,
        created_at=now,
    )
    try:
        # The partial unique index settles two simultaneous first texts.
        with session.begin_nested():
            session.add(request)
    except IntegrityError:
        existing = _open_request_of(session, texter_id)
        if existing is None:
            raise
        return existing
    texter = session.get(Texter, texter_id)
    states.move_dialog(texter, "waiting", if_legal=True)
    if taking:
        _send_wave(session, request, program, now, dispatcher)
    session.flush()
    return request


def _open_request_of(session: Session, texter_id: int) -> SupportRequest | None:
    return session.scalar(
        select(SupportRequest).where(
            SupportRequest.texter_id == texter_id, SupportRequest.state.in_(OPEN_REQUEST_STATES)
        )
    )


def mark_crisis(session: Session, *, request_id: int, now: datetime, dispatcher) -> None:
    """Flag an open request as crisis: it jumps the queue and a wider wave goes out now."""
    request = _lock_request(session, request_id)
    if request is None or request.state not in OPEN_REQUEST_STATES:
        return
    request.is_crisis = True
    if request.waiting_since is None and request.state == "waiting":
        request.waiting_since = now
    program = session.get(Program, request.program_id)
    if request.state in ("offering", "waiting") and program.status == "live":
        # An extra, wider wave on top of any still open: a crisis does not wait for a timeout.
        _send_wave(session, request, program, now, dispatcher)
    session.flush()


# -- waves -------------------------------------------------------------------------


def _lock_request(session: Session, request_id: int) -> SupportRequest | None:
    return session.scalar(
        select(SupportRequest)
        .where(SupportRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def send_next_wave(session: Session, *, request_id: int, now: datetime, dispatcher) -> None:
    """Send the request's next wave, or put it in the queue after the program's last wave."""
    request = _lock_request(session, request_id)
    if request is None or request.state not in ("offering", "waiting"):
        return
    program = session.get(Program, request.program_id)
    if request.wave >= program.max_waves:
        # Back to the queue, and straight out again to anyone whose cool-down
        # is over (or a reoffer job set for when the next one ends).
        _to_waiting(request, now)
    _send_wave(session, request, program, now, dispatcher)
    session.flush()


def _to_waiting(request: SupportRequest, now: datetime) -> None:
    if request.state != "waiting":
        states.SUPPORT_REQUEST.advance(request, "waiting")
    if request.waiting_since is None:
        request.waiting_since = now


def _send_wave(
    session: Session,
    request: SupportRequest,
    program: Program,
    now: datetime,
    dispatcher,
    *,
    budget: dict[int, int] | None = None,
    schedule_reoffer: bool = True,
) -> list[ranking.Candidate]:
    """Offer the request to the next wave of peers (returned); no one eligible: it waits.

    A request left waiting gets a reoffer job for when its next peer's
    cool-down ends; the queue's wake-up passes `schedule_reoffer=False`, as
    that job was set when the request started waiting (the sweep is the
    backstop if it was lost).
    """
    size = ranking.wave_size(program.wave_size, is_crisis=request.is_crisis)
    exclude = {peer for peer, left in (budget or {}).items() if left <= 0}
    candidates = eligibility.eligible_peers(session, request, now, want=size, exclude=exclude)[
        :size
    ]
    if not candidates:
        # Offers still open (a crisis widening the search) keep the request offering.
        if request.state == "held" or (
            request.state == "offering" and not _has_open(session, request.id, now)
        ):
            _to_waiting(request, now)
        if request.state == "waiting" and schedule_reoffer:
            _schedule_reoffer(session, request, now, dispatcher)
        return []
    _offer_wave(session, request, program, candidates, now, dispatcher, budget=budget)
    return candidates


def _offer_wave(
    session: Session,
    request: SupportRequest,
    program: Program,
    candidates: list[ranking.Candidate],
    now: datetime,
    dispatcher,
    *,
    budget: dict[int, int] | None = None,
) -> None:
    """Write one wave of offers to `candidates`, set its expiry job and alert them by SMS."""
    if request.state != "offering":
        states.SUPPORT_REQUEST.advance(request, "offering")
    request.wave += 1
    expires_at = now + timedelta(seconds=program.offer_timeout_seconds)
    # One multi-row INSERT ... VALUES for the whole wave, in Core: one round
    # trip, and none of the ORM bulk path's autoflush and mapper bookkeeping.
    session.connection().execute(
        insert(Offer.__table__).values(
            [
                {
                    "request_id": request.id,
                    "peer_profile_id": c.peer_profile_id,
                    "wave": request.wave,
                    "state": "open",
                    "created_at": now,
                    "expires_at": expires_at,
                }
                for c in candidates
            ]
        )
    )
    session.expire(request, ["offers"])
    if budget is not None:
        for c in candidates:
            budget[c.peer_profile_id] = (
                budget.get(c.peer_profile_id, c.capacity - c.active_conversations) - 1
            )
    dispatcher.enqueue(
        expire_wave,
        request.id,
        request.wave,
        at=expires_at,
        job_id=f"expire-{request.id}-{request.wave}",
    )
    _alert_peers(session, program, request, [c for c in candidates if c.wants_sms], now, dispatcher)


def _schedule_reoffer(session: Session, request: SupportRequest, now: datetime, dispatcher):
    """Wake this waiting request when the next of its peers' cool-downs ends."""
    ends = [
        eligibility.cooldown_ends(
            state, created_at=created_at, expires_at=expires_at, responded_at=responded_at
        )
        for state, created_at, expires_at, responded_at in session.execute(
            select(Offer.state, Offer.created_at, Offer.expires_at, Offer.responded_at).where(
                Offer.request_id == request.id,
                Offer.state.in_(("expired", "declined", "withdrawn")),
            )
        )
    ]
    upcoming = [end for end in ends if end > now]
    if not upcoming:
        return
    at = min(upcoming)
    dispatcher.enqueue(
        reoffer,
        request.id,
        at=at,
        job_id=f"reoffer-{request.id}-{int(at.timestamp())}",
    )


def reoffer(session: Session, *, request_id: int, now: datetime, dispatcher) -> bool:
    """Offer a waiting request again now that a peer's cool-down is over (True if sent)."""
    request = _lock_request(session, request_id)
    if request is None or request.state != "waiting":
        return False
    program = session.get(Program, request.program_id)
    if program.status != "live" or not hours.is_open(program, now):
        return False
    sent = bool(_send_wave(session, request, program, now, dispatcher))
    session.flush()
    return sent


def _has_open(session: Session, request_id: int, now: datetime) -> bool:
    return (
        session.scalar(
            select(Offer.id)
            .where(Offer.request_id == request_id, Offer.state == "open", Offer.expires_at > now)
            .limit(1)
        )
        is not None
    )


def _alert_peers(session, program, request, candidates, now, dispatcher) -> None:
    if not candidates:
        return
    topic = None
    if request.topic_id is not None:
        topic = session.scalar(select(Topic.name).where(Topic.id == request.topic_id))
    # Each alert in the language of the peer's own pages (English unless they chose).
    locales = dict(
        session.execute(
            select(PeerProfile.id, User.locale)
            .join(User, User.id == PeerProfile.user_id)
            .where(PeerProfile.id.in_([c.peer_profile_id for c in candidates]))
        ).all()
    )
    for c in candidates:
        language = locales.get(c.peer_profile_id) or "en"
        queue_sms(
            session,
            program=program,
            body=texts.for_program(
                "peer_offer_alert",
                program,
                language=language,
                topic=topic or texts.render("any_topic", language=language),
            ),
            now=now,
            dispatcher=dispatcher,
            recipient="peer",
            peer_profile_id=c.peer_profile_id,
            kind="alert",
        )


def expire_wave(session: Session, *, request_id: int, wave: int, now: datetime, dispatcher) -> bool:
    """Expire a wave's overdue offers; when none is left open, move the request on."""
    request = _lock_request(session, request_id)
    if request is None:
        return False
    _expire_overdue(session, request_id, now)
    if request.state != "offering" or request.wave != wave:
        return False
    if _has_open(session, request_id, now):
        return False
    send_next_wave(session, request_id=request_id, now=now, dispatcher=dispatcher)
    return True


def _expire_overdue(session: Session, request_id: int, now: datetime) -> int:
    lapsed = states.transition(
        session,
        Offer,
        None,
        states.OFFER,
        "expired",
        where=(Offer.request_id == request_id, Offer.expires_at <= now),
        returning=Offer.peer_profile_id,
        responded_at=now,
    )
    for peer_profile_id in sorted(set(lapsed)):
        switch_off_if_away(session, peer_profile_id=peer_profile_id, now=now)
    return len(lapsed)


def switch_off_if_away(session: Session, *, peer_profile_id: int, now: datetime) -> bool:
    """Switch a peer off when their last `AWAY_AFTER_LAPSES` offers all lapsed (True if so).

    Any accept or decline in between breaks the run, and so does an earlier
    switch-off by matching: a peer who comes back and switches on starts
    afresh. The audit event is the record of why they were switched off.
    """
    last = session.execute(
        select(Offer.state, Offer.created_at)
        .where(
            Offer.peer_profile_id == peer_profile_id,
            Offer.state.in_(("expired", "declined", "accepted")),
        )
        .order_by(Offer.created_at.desc(), Offer.id.desc())
        .limit(AWAY_AFTER_LAPSES)
    ).all()
    if len(last) < AWAY_AFTER_LAPSES or any(state != "expired" for state, _ in last):
        return False
    program = session.scalar(
        select(Program)
        .join(PeerProfile, PeerProfile.program_id == Program.id)
        .where(PeerProfile.id == peer_profile_id)
    )
    # Within the organization's recent audit events (its index), not the whole log.
    switched_off_since = session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.organization_id == program.organization_id,
            AuditEvent.created_at >= last[-1].created_at,
            AuditEvent.action == AWAY_ACTION,
            AuditEvent.object_type == "peer_profile",
            AuditEvent.object_id == peer_profile_id,
        )
        .limit(1)
    )
    if switched_off_since is not None:
        return False
    # SKIP LOCKED: a peer row someone else is writing (an accept, a profile
    # save) means the peer is at the screen; and the sweep, which holds request
    # locks while it expires waves, never waits on a peer row an accept holds.
    peer = session.scalar(
        select(PeerProfile)
        .where(PeerProfile.id == peer_profile_id, PeerProfile.available.is_(True))
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if peer is None:
        return False
    peer.available = False
    audit.record_for_program(
        session,
        program,
        action=AWAY_ACTION,
        now=now,
        object_type="peer_profile",
        object_id=peer_profile_id,
        details={"lapsed_in_a_row": AWAY_AFTER_LAPSES},
    )
    log.info("peer %s switched off after %s lapsed offers", peer_profile_id, AWAY_AFTER_LAPSES)
    return True


# -- answers from peers --------------------------------------------------------------


def accept_offer(
    session: Session, *, offer_id: int, peer_profile_id: int, now: datetime, dispatcher
) -> Conversation:
    """The peer takes the request: exactly one accept wins; every other offer is withdrawn."""
    offer = session.get(Offer, offer_id, populate_existing=True)
    if offer is None or offer.peer_profile_id != peer_profile_id:
        raise OfferUnavailable(GONE)
    try:
        with session.begin_nested():
            conversation = _accept(session, offer, now)
    except IntegrityError as exc:
        # Another accept created the conversation between our checks.
        raise OfferUnavailable(TAKEN) from exc
    session.expire_all()
    conversation = session.get(Conversation, conversation.id)
    request = session.get(SupportRequest, conversation.request_id)
    program = session.get(Program, request.program_id)
    peer = session.get(PeerProfile, peer_profile_id)
    texter = session.get(Texter, request.texter_id)
    for step in ("waiting", "connected"):
        states.move_dialog(texter, step, if_legal=True)
    texter.last_peer_id = peer.id
    peer.last_matched_at = now
    queue_sms(
        session,
        program=program,
        body=texts.for_texter("connected", program, texter, alias=peer.alias),
        now=now,
        dispatcher=dispatcher,
        texter_id=texter.id,
        conversation_id=conversation.id,
    )
    session.flush()
    return conversation


def _accept(session: Session, offer: Offer, now: datetime) -> Conversation:
    # Lock the request row first, as every writer of a request's offers does:
    # accepts queue up behind each other instead of deadlocking on offer rows.
    request = _lock_request(session, offer.request_id)
    won = states.transition(
        session,
        Offer,
        offer.id,
        states.OFFER,
        "accepted",
        where=(Offer.expires_at > now,),
        responded_at=now,
    )
    if not won:
        session.refresh(offer)
        if offer.state == "withdrawn":
            raise OfferUnavailable(TAKEN)
        if offer.state == "expired" or (offer.state == "open" and offer.expires_at <= now):
            raise OfferUnavailable(EXPIRED)
        raise OfferUnavailable(GONE)
    matched = states.transition(
        session, SupportRequest, offer.request_id, states.SUPPORT_REQUEST, "matched", matched_at=now
    )
    if not matched:
        raise OfferUnavailable(TAKEN)
    seated = session.execute(
        update(PeerProfile)
        .where(
            PeerProfile.id == offer.peer_profile_id,
            PeerProfile.active_conversations < PeerProfile.capacity,
        )
        .values(active_conversations=PeerProfile.active_conversations + 1)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if not seated:
        raise OfferUnavailable(AT_CAPACITY)
    conversation = Conversation(
        program_id=request.program_id,
        request_id=request.id,
        texter_id=request.texter_id,
        peer_profile_id=offer.peer_profile_id,
        topic_id=request.topic_id,
        state="active",
        is_crisis=request.is_crisis,
        started_at=now,
    )
    session.add(conversation)
    session.flush()
    _withdraw_open(session, request.id, now)
    _link_alerts(session, request, conversation)
    return conversation


def _link_alerts(session: Session, request: SupportRequest, conversation: Conversation) -> None:
    """Alerts raised while the texter waited belong to the conversation that came of it.

    Those raised on the request, and a crisis raised on the texter before any
    request existed that nobody has acknowledged yet: the conversation page
    shows them and can acknowledge them.
    """
    session.execute(
        update(Alert)
        .where(Alert.request_id == request.id, Alert.conversation_id.is_(None))
        .values(conversation_id=conversation.id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Alert)
        .where(
            Alert.kind == "crisis",
            Alert.texter_id == request.texter_id,
            Alert.request_id.is_(None),
            Alert.conversation_id.is_(None),
            Alert.state.in_(states.ALERT.sources("acknowledged")),
        )
        .values(conversation_id=conversation.id, request_id=request.id)
        .execution_options(synchronize_session=False)
    )


def _withdraw_open(session: Session, request_id: int, now: datetime) -> int:
    return states.transition(
        session,
        Offer,
        None,
        states.OFFER,
        "withdrawn",
        where=(Offer.request_id == request_id,),
        responded_at=now,
    )


def decline_offer(
    session: Session, *, offer_id: int, peer_profile_id: int, now: datetime, dispatcher
) -> None:
    """The peer passes; when the whole wave has answered, the next wave goes at once."""
    request_id = session.scalar(select(Offer.request_id).where(Offer.id == offer_id))
    if request_id is None:
        return
    request = _lock_request(session, request_id)
    declined = states.transition(
        session,
        Offer,
        offer_id,
        states.OFFER,
        "declined",
        where=(Offer.peer_profile_id == peer_profile_id,),
        responded_at=now,
    )
    if not declined:
        return
    offer = session.get(Offer, offer_id, populate_existing=True)
    _next_wave_if_answered(session, request, offer.wave, now, dispatcher)


def _next_wave_if_answered(
    session: Session, request: SupportRequest, wave: int, now: datetime, dispatcher
) -> bool:
    """Send the next wave at once when `wave` is the current one and none of it is open."""
    if request.state != "offering" or request.wave != wave:
        return False
    if _has_open(session, request.id, now):
        return False
    send_next_wave(session, request_id=request.id, now=now, dispatcher=dispatcher)
    return True


def withdraw_peer_offers(
    session: Session, *, peer_profile_id: int, now: datetime, dispatcher
) -> int:
    """Withdraw a leaving peer's open offers; a wave left with none open moves on at once.

    Returns how many offers were withdrawn.
    """
    request_ids = session.scalars(
        select(Offer.request_id)
        .where(Offer.peer_profile_id == peer_profile_id, Offer.state == "open")
        .distinct()
        .order_by(Offer.request_id)
    ).all()
    withdrawn = 0
    # Request by request, each locked first as every writer of its offers does.
    for request_id in request_ids:
        request = _lock_request(session, request_id)
        waves = states.transition(
            session,
            Offer,
            None,
            states.OFFER,
            "withdrawn",
            where=(Offer.request_id == request_id, Offer.peer_profile_id == peer_profile_id),
            returning=Offer.wave,
            responded_at=now,
        )
        withdrawn += len(waves)
        if request is not None and waves:
            _next_wave_if_answered(session, request, max(waves), now, dispatcher)
    session.flush()
    return withdrawn


def close_request(session: Session, *, request_id: int, now: datetime) -> bool:
    """The request's conversation ended: the request is closed (once)."""
    return bool(
        states.transition(
            session, SupportRequest, request_id, states.SUPPORT_REQUEST, "closed", closed_at=now
        )
    )


def expire_stray_offers(session: Session, *, now: datetime) -> int:
    """Expire every open offer past its time (a superseded wave, a lost job)."""
    return states.transition(
        session,
        Offer,
        None,
        states.OFFER,
        "expired",
        where=(Offer.expires_at <= now,),
        responded_at=now,
    )


def cancel_request(session: Session, *, request_id: int, now: datetime, dispatcher) -> bool:
    """The texter gave up waiting: the request is cancelled and its open offers withdrawn."""
    _lock_request(session, request_id)
    cancelled = states.transition(
        session, SupportRequest, request_id, states.SUPPORT_REQUEST, "cancelled", closed_at=now
    )
    if cancelled:
        _withdraw_open(session, request_id, now)
    session.expire_all()
    return bool(cancelled)


# -- a supervisor's hand on the queue --------------------------------------------------


def _actionable(session: Session, request_id: int) -> SupportRequest:
    """The request locked, still waiting for a peer; NotWaiting when it moved on."""
    request = _lock_request(session, request_id)
    if request is None or request.state not in ACTIONABLE_STATES:
        raise NotWaiting(request)
    return request


def supervisor_wave(
    session: Session,
    *,
    request_id: int,
    now: datetime,
    dispatcher,
    peer_profile_id: int | None = None,
) -> list[int]:
    """A supervisor offers a waiting request to one chosen peer, or to everyone free now.

    Cool-downs are the matching sweep's manners, not a supervisor's: anyone
    eligible and free is asked, except who already holds an open offer for it.
    The request's row lock orders this against accepts and waves, so a
    request matched meanwhile raises NotWaiting instead of being offered twice.
    Returns the peers asked.
    """
    request = _actionable(session, request_id)
    _expire_overdue(session, request_id, now)
    program = session.get(Program, request.program_id)
    free = eligibility.eligible_peers(session, request, now, mind_offers=False)
    holding = set(
        session.scalars(
            select(Offer.peer_profile_id).where(
                Offer.request_id == request_id, Offer.state == "open"
            )
        )
    )
    if peer_profile_id is not None:
        chosen = [c for c in free if c.peer_profile_id == peer_profile_id]
        if not chosen:
            raise OfferUnavailable(NOT_FREE)
        if peer_profile_id in holding:
            raise OfferUnavailable(ALREADY_ASKED)
    else:
        chosen = [c for c in free if c.peer_profile_id not in holding]
        if not chosen:
            raise OfferUnavailable(ALREADY_ASKED if free else NOBODY_FREE)
    _offer_wave(session, request, program, chosen, now, dispatcher)
    session.flush()
    return [c.peer_profile_id for c in chosen]


def take_request(
    session: Session, *, request_id: int, peer_profile_id: int, now: datetime, dispatcher
) -> Conversation:
    """A certified supervisor takes a waiting request themselves: an offer they accept at once.

    The accept is `accept_offer`'s, so it races every other accept on the
    same terms (and refuses past the supervisor's own capacity).
    """
    request = _actionable(session, request_id)
    _expire_overdue(session, request_id, now)
    offer_id = session.scalar(
        select(Offer.id).where(
            Offer.request_id == request_id,
            Offer.peer_profile_id == peer_profile_id,
            Offer.state == "open",
        )
    )
    if offer_id is None:
        program = session.get(Program, request.program_id)
        offer = Offer(
            request_id=request.id,
            peer_profile_id=peer_profile_id,
            wave=request.wave,
            state="open",
            created_at=now,
            expires_at=now + timedelta(seconds=program.offer_timeout_seconds),
        )
        session.add(offer)
        session.flush()
        offer_id = offer.id
    return accept_offer(
        session, offer_id=offer_id, peer_profile_id=peer_profile_id, now=now, dispatcher=dispatcher
    )


def still_waiting(session: Session, *, request_id: int) -> SupportRequest:
    """Lock a request a supervisor is about to act on; NotWaiting when it moved on."""
    return _actionable(session, request_id)


# -- the queue -----------------------------------------------------------------------


def wake_waiting(session: Session, *, program_id: int, now: datetime, dispatcher) -> int:
    """Offer queued (and, once open, held) requests to peers who can take them now."""
    program = session.get(Program, program_id)
    if program is None or program.status != "live":
        return 0
    wanted = ["waiting"]
    if hours.is_open(program, now):
        wanted.append("held")
    queued = session.execute(
        select(
            SupportRequest.id,
            SupportRequest.is_crisis,
            SupportRequest.waiting_since,
            SupportRequest.created_at,
            SupportRequest.state,
        )
        .where(SupportRequest.program_id == program_id, SupportRequest.state.in_(wanted))
        .order_by(
            SupportRequest.is_crisis.desc(),
            func.coalesce(SupportRequest.waiting_since, SupportRequest.created_at),
            SupportRequest.id,
        )
        .limit(WAKE_BATCH)
    ).all()
    if not queued:
        return 0
    if not eligibility.any_peer_free(session, program_id) and not any(
        row.state == "held" for row in queued
    ):
        return 0
    order = ranking.queue_order(
        ranking.WaitingRequest(row.id, row.is_crisis, row.waiting_since or row.created_at)
        for row in queued
    )
    # A peer who just switched on gets at most as many offers as they have room for.
    budget: dict[int, int] = {}
    offered = 0
    for item in order:
        request = _lock_request(session, item.request_id)
        if request is None or request.state not in wanted:
            continue
        if _send_wave(
            session, request, program, now, dispatcher, budget=budget, schedule_reoffer=False
        ):
            offered += 1
    session.flush()
    return offered
