"""A supervisor's hands: the live queue of waiting texters and what they can do about it,
and their private notes to a peer on a conversation.

Queue actions settle their races in `matching.offers` (the request's row lock,
conditional UPDATEs, the unique conversation per request): a request matched
or cancelled meanwhile raises `SupervisionRefused` with a message safe to show
the supervisor. Every action is audit-logged with ids and counts, never a
message body or a phone number. Functions flush and leave the commit to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peerwork import audit
from peerwork.matching import eligibility, offers
from peerwork.models import (
    AuditEvent,
    Conversation,
    Offer,
    PeerProfile,
    Program,
    SupervisorNote,
    SupportRequest,
    Texter,
    Topic,
    User,
)
from peerwork.sms import texts
from peerwork.sms.outbox import queue_sms

NOTE_MAX = 1000


class SupervisionRefused(Exception):
    """The action cannot happen (any more); `message` is safe to show the supervisor."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- the queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FreePeer:
    id: int
    alias: str
    active_conversations: int
    capacity: int
    asked: bool = False  # holds an open offer for this request already


@dataclass(frozen=True)
class WaitingTexter:
    request_id: int
    program: str
    pseudonym: str
    topic: str
    timezone: str
    is_crisis: bool
    state: str
    waiting_since: datetime
    offers_so_far: int
    open_offers: int
    free_peers: list[FreePeer]
    can_take: bool
    update_sent_at: datetime | None

    @property
    def not_yet_asked(self) -> list[FreePeer]:
        """Free peers without this request in front of them (what "everyone" would reach)."""
        return [p for p in self.free_peers if not p.asked]


def request_in_org(session: Session, request_id: int, organization_id: int):
    """The support request if it belongs to the organization, else None (a 404)."""
    return session.scalar(
        select(SupportRequest)
        .join(Program, Program.id == SupportRequest.program_id)
        .where(SupportRequest.id == request_id, Program.organization_id == organization_id)
    )


def supervisor_profile(session: Session, user: User, program_id: int) -> PeerProfile | None:
    """The supervisor's own peer profile in the program, when they volunteer there too."""
    return session.scalar(
        select(PeerProfile).where(
            PeerProfile.user_id == user.id, PeerProfile.program_id == program_id
        )
    )


def _can_take(session: Session, user: User, program_id: int, now: datetime) -> bool:
    profile = supervisor_profile(session, user, program_id)
    return (
        profile is not None
        and user.has_role("peer")
        and profile.active_conversations < profile.capacity
        and eligibility.is_certified(session, profile.id, now)
    )


def waiting_queue(session: Session, *, user: User, now: datetime) -> list[WaitingTexter]:
    """Texters of the supervisor's organization waiting for a peer: crisis first, then oldest."""
    offered = (
        select(Offer.request_id, func.count(Offer.id).label("n"))
        .group_by(Offer.request_id)
        .subquery()
    )
    still_open = (
        select(Offer.request_id, func.count(Offer.id).label("n"))
        .where(Offer.state == "open", Offer.expires_at > now)
        .group_by(Offer.request_id)
        .subquery()
    )
    rows = session.execute(
        select(
            SupportRequest,
            Program.name,
            Program.timezone,
            Texter.pseudonym,
            Topic.name,
            func.coalesce(offered.c.n, 0),
            func.coalesce(still_open.c.n, 0),
        )
        .join(Program, Program.id == SupportRequest.program_id)
        .join(Texter, Texter.id == SupportRequest.texter_id)
        .outerjoin(Topic, Topic.id == SupportRequest.topic_id)
        .outerjoin(offered, offered.c.request_id == SupportRequest.id)
        .outerjoin(still_open, still_open.c.request_id == SupportRequest.id)
        .where(
            Program.organization_id == user.organization_id,
            SupportRequest.state.in_(offers.ACTIONABLE_STATES),
        )
        .order_by(SupportRequest.is_crisis.desc(), SupportRequest.created_at, SupportRequest.id)
    ).all()
    updates = _updates_sent(session, user.organization_id, [r[0].id for r in rows])
    return [
        WaitingTexter(
            request_id=request.id,
            program=program,
            pseudonym=pseudonym,
            topic=(topic or "Topic in their own words") if request.topic_id else "Any topic",
            timezone=timezone or "UTC",
            is_crisis=request.is_crisis,
            state=request.state,
            waiting_since=request.created_at,
            offers_so_far=n_offers,
            open_offers=n_open,
            free_peers=free_peers(session, request, now),
            can_take=_can_take(session, user, request.program_id, now),
            update_sent_at=updates.get(request.id),
        )
        for request, program, timezone, pseudonym, topic, n_offers, n_open in rows
    ]


def free_peers(session: Session, request: SupportRequest, now: datetime) -> list[FreePeer]:
    """Peers a supervisor may offer the request to: eligible and free now, best first."""
    candidates = eligibility.eligible_peers(session, request, now, mind_offers=False)
    if not candidates:
        return []
    aliases = dict(
        session.execute(
            select(PeerProfile.id, PeerProfile.alias).where(
                PeerProfile.id.in_([c.peer_profile_id for c in candidates])
            )
        ).all()
    )
    holding = set(
        session.scalars(
            select(Offer.peer_profile_id).where(
                Offer.request_id == request.id, Offer.state == "open", Offer.expires_at > now
            )
        )
    )
    return [
        FreePeer(
            c.peer_profile_id,
            aliases[c.peer_profile_id],
            c.active_conversations,
            c.capacity,
            asked=c.peer_profile_id in holding,
        )
        for c in candidates
    ]


def _updates_sent(session: Session, organization_id: int, request_ids: list[int]) -> dict:
    if not request_ids:
        return {}
    rows = session.execute(
        select(AuditEvent.object_id, func.max(AuditEvent.created_at))
        .where(
            AuditEvent.organization_id == organization_id,
            AuditEvent.action == "supervisor.texter_updated",
            AuditEvent.object_type == "support_request",
            AuditEvent.object_id.in_(request_ids),
        )
        .group_by(AuditEvent.object_id)
    ).all()
    return dict(rows)


def _moved_on(session: Session, request: SupportRequest | None) -> SupervisionRefused:
    """What to tell a supervisor whose request was matched or ended meanwhile."""
    if request is None:
        return SupervisionRefused("This texter is no longer waiting.")
    pseudonym = session.scalar(select(Texter.pseudonym).where(Texter.id == request.texter_id))
    if request.state in ("matched", "closed"):
        alias = session.scalar(
            select(PeerProfile.alias)
            .join(Conversation, Conversation.peer_profile_id == PeerProfile.id)
            .where(Conversation.request_id == request.id)
        )
        who = f"peer {alias}" if alias else "a peer"
        return SupervisionRefused(
            f"{pseudonym} was matched with {who} in the meantime, so nothing was changed. "
            "They have someone now."
        )
    if request.state == "cancelled":
        return SupervisionRefused(
            f"{pseudonym} stopped waiting in the meantime (they cancelled), so nothing was sent."
        )
    return SupervisionRefused(f"{pseudonym}'s request is held until the line opens.")


def _audit(session, request: SupportRequest, actor: User, action: str, now, **details):
    audit.record(
        session,
        organization_id=actor.organization_id,
        program_id=request.program_id,
        action=action,
        now=now,
        actor=actor,
        object_type="support_request",
        object_id=request.id,
        details=details,
    )


def offer_to_peer(
    session: Session,
    *,
    request_id: int,
    peer_profile_id: int,
    actor: User,
    now: datetime,
    dispatcher,
) -> str:
    """Offer a waiting request to one peer the supervisor chose; returns the peer's alias."""
    try:
        offers.supervisor_wave(
            session,
            request_id=request_id,
            peer_profile_id=peer_profile_id,
            now=now,
            dispatcher=dispatcher,
        )
    except offers.NotWaiting as gone:
        raise _moved_on(session, gone.request) from gone
    except offers.OfferUnavailable as refused:
        raise SupervisionRefused(refused.message) from refused
    request = session.get(SupportRequest, request_id)
    _audit(
        session, request, actor, "supervisor.offered_to_peer", now, peer_profile_id=peer_profile_id
    )
    session.flush()
    return session.scalar(select(PeerProfile.alias).where(PeerProfile.id == peer_profile_id))


def reoffer_to_everyone(
    session: Session, *, request_id: int, actor: User, now: datetime, dispatcher
) -> int:
    """Offer a waiting request again to every peer free now; returns how many were asked."""
    try:
        asked = offers.supervisor_wave(
            session, request_id=request_id, now=now, dispatcher=dispatcher
        )
    except offers.NotWaiting as gone:
        raise _moved_on(session, gone.request) from gone
    except offers.OfferUnavailable as refused:
        raise SupervisionRefused(refused.message) from refused
    request = session.get(SupportRequest, request_id)
    _audit(session, request, actor, "supervisor.reoffered", now, peers_asked=len(asked))
    session.flush()
    return len(asked)


def take_request(
    session: Session, *, request_id: int, actor: User, now: datetime, dispatcher
) -> Conversation:
    """The supervisor takes the texter themselves, as the certified peer they also are."""
    try:
        request = offers.still_waiting(session, request_id=request_id)
    except offers.NotWaiting as gone:
        raise _moved_on(session, gone.request) from gone
    profile = supervisor_profile(session, actor, request.program_id)
    if (
        profile is None
        or not actor.has_role("peer")
        or not eligibility.is_certified(session, profile.id, now)
    ):
        raise SupervisionRefused(
            "You can take a texter yourself once you have a peer profile in this program "
            "and have finished its training."
        )
    try:
        conversation = offers.take_request(
            session,
            request_id=request_id,
            peer_profile_id=profile.id,
            now=now,
            dispatcher=dispatcher,
        )
    except offers.NotWaiting as gone:
        raise _moved_on(session, gone.request) from gone
    except offers.OfferUnavailable as refused:
        if refused.message == offers.TAKEN:
            raise _moved_on(session, session.get(SupportRequest, request_id)) from refused
        raise SupervisionRefused(refused.message) from refused
    request = session.get(SupportRequest, request_id)
    _audit(
        session,
        request,
        actor,
        "supervisor.took_request",
        now,
        conversation_id=conversation.id,
        peer_profile_id=profile.id,
    )
    session.flush()
    return conversation


def update_texter(
    session: Session, *, request_id: int, actor: User, now: datetime, dispatcher
) -> None:
    """Text a waiting texter an honest update: a supervisor is finding them a peer."""
    try:
        request = offers.still_waiting(session, request_id=request_id)
    except offers.NotWaiting as gone:
        raise _moved_on(session, gone.request) from gone
    texter = session.get(Texter, request.texter_id)
    if texter.opted_out:
        raise SupervisionRefused(
            f"{texter.pseudonym} has opted out of texts, so no update can be sent."
        )
    program = session.get(Program, request.program_id)
    queue_sms(
        session,
        program=program,
        body=texts.for_texter("supervisor_update", program, texter),
        now=now,
        dispatcher=dispatcher,
        texter_id=texter.id,
    )
    _audit(session, request, actor, "supervisor.texter_updated", now)
    session.flush()


# -- notes to a peer ---------------------------------------------------------------------


@dataclass(frozen=True)
class NoteView:
    id: int
    author_id: int | None
    kind: str
    author: str
    body: str | None
    created_at: datetime


def notes_on(session: Session, conversation_id: int) -> list[NoteView]:
    """Who joined the conversation and their notes to the peer, oldest first."""
    return [
        NoteView(n.id, n.author_user_id, n.kind, n.author_label, n.body, n.created_at)
        for n in session.scalars(
            select(SupervisorNote)
            .where(SupervisorNote.conversation_id == conversation_id)
            .order_by(SupervisorNote.id)
        )
    ]


def last_note_id(session: Session, conversation_id: int) -> int:
    """The newest note's id (0 if none), for the pages that poll."""
    return (
        session.scalar(
            select(func.max(SupervisorNote.id)).where(
                SupervisorNote.conversation_id == conversation_id
            )
        )
        or 0
    )


def join(session: Session, *, conversation: Conversation, actor: User, now: datetime) -> bool:
    """The supervisor joins the conversation (the peer sees who); False if already there."""
    already = session.scalar(
        select(SupervisorNote.id).where(
            SupervisorNote.conversation_id == conversation.id,
            SupervisorNote.author_user_id == actor.id,
            SupervisorNote.kind == "joined",
        )
    )
    if already is not None:
        return False
    session.add(
        SupervisorNote(
            program_id=conversation.program_id,
            conversation_id=conversation.id,
            author_user_id=actor.id,
            author_label=actor.name or "A supervisor",
            kind="joined",
            created_at=now,
        )
    )
    audit.record(
        session,
        organization_id=actor.organization_id,
        program_id=conversation.program_id,
        action="supervisor.joined_conversation",
        now=now,
        actor=actor,
        object_type="conversation",
        object_id=conversation.id,
    )
    session.flush()
    return True


def note_to_peer(
    session: Session, *, conversation: Conversation, actor: User, body: str, now: datetime
) -> SupervisorNote:
    """A private note to the peer on a conversation; the texter never receives it."""
    body = (body or "").strip()
    if not body:
        raise SupervisionRefused("Write a note for the peer first.")
    if conversation.state != "active":
        raise SupervisionRefused("This conversation has ended, so the peer is no longer on it.")
    join(session, conversation=conversation, actor=actor, now=now)
    note = SupervisorNote(
        program_id=conversation.program_id,
        conversation_id=conversation.id,
        author_user_id=actor.id,
        author_label=actor.name or "A supervisor",
        kind="note",
        body=body[:NOTE_MAX],
        created_at=now,
    )
    session.add(note)
    session.flush()
    audit.record(
        session,
        organization_id=actor.organization_id,
        program_id=conversation.program_id,
        action="supervisor.note_to_peer",
        now=now,
        actor=actor,
        object_type="conversation",
        object_id=conversation.id,
        details={"note_id": note.id, "characters": len(note.body)},
    )
    session.flush()
    return note
