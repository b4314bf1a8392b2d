"""What a peer's workspace shows, and the supervisor's alert queue.

Every query here is scoped by the caller's peer profile or organization, so
a view that passes the wrong id gets nothing back (and answers 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peerwork import conversations, languages
from peerwork.models import (
    Alert,
    Conversation,
    Message,
    Offer,
    PeerProfile,
    Program,
    Resource,
    SkillCard,
    SupportRequest,
    Texter,
    Topic,
    User,
    states,
)
from peerwork.safety import supervision
from peerwork.safety.detect import category_label, language_name


@dataclass(frozen=True)
class OfferView:
    id: int
    topic: str
    is_crisis: bool
    waiting_since: datetime
    expires_at: datetime
    # The texter's own words, quoted short: only ever built for the offered peer.
    preview: str | None = None
    language: str = "en"  # the texter's
    # False: the peer's profile does not list the texter's language (the program
    # offers such requests to anyone rather than let them wait): the offer says so.
    peer_speaks: bool = True


@dataclass(frozen=True)
class ConversationView:
    id: int
    pseudonym: str
    topic: str
    is_crisis: bool
    started_at: datetime
    unread: int
    flagged: bool
    language: str = "en"  # the texter's


def current_profile(session: Session, user: User) -> PeerProfile | None:
    """The user's peer profile in their own organization (the first, if several), or None."""
    return session.scalar(
        select(PeerProfile)
        .join(Program, Program.id == PeerProfile.program_id)
        .where(
            PeerProfile.user_id == user.id,
            Program.organization_id == user.organization_id,
        )
        .order_by(PeerProfile.id)
        .limit(1)
    )


def own_offer(session: Session, offer_id: int, peer_profile_id: int) -> Offer | None:
    """The peer's own offer, or None (someone else's offer is treated as missing)."""
    offer = session.get(Offer, offer_id)
    return offer if offer is not None and offer.peer_profile_id == peer_profile_id else None


def own_conversation(
    session: Session, conversation_id: int, peer_profile_id: int
) -> Conversation | None:
    """The peer's own conversation, or None."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.peer_profile_id != peer_profile_id:
        return None
    return conversation


def open_offers(
    session: Session, peer_profile_id: int, now: datetime, *, previews: bool = True
) -> list[OfferView]:
    """Offers the peer can still accept, oldest request first (with the texter's words)."""
    rows = session.execute(
        select(Offer, SupportRequest, Topic.name)
        .join(SupportRequest, SupportRequest.id == Offer.request_id)
        .outerjoin(Topic, Topic.id == SupportRequest.topic_id)
        .where(
            Offer.peer_profile_id == peer_profile_id,
            Offer.state == "open",
            Offer.expires_at > now,
            SupportRequest.state == "offering",
        )
        .order_by(SupportRequest.is_crisis.desc(), SupportRequest.created_at)
    ).all()
    profile = session.get(PeerProfile, peer_profile_id)
    spoken = languages.parse_list(profile.languages) if profile else [languages.DEFAULT]
    views = []
    for offer, request, topic in rows:
        preview = None
        if previews:
            preview = conversations.preview(
                conversations.words_before_match(session, texter_id=request.texter_id)
            )
        views.append(
            OfferView(
                id=offer.id,
                topic=topic or (_l("Topic in their own words") if preview else _l("Any topic")),
                is_crisis=request.is_crisis,
                waiting_since=request.waiting_since or request.created_at,
                expires_at=offer.expires_at,
                preview=preview,
                language=request.language,
                peer_speaks=request.language in spoken,
            )
        )
    return views


def active_conversations(session: Session, peer_profile_id: int) -> list[ConversationView]:
    """The peer's live conversations with unread counts, newest activity first."""
    unread = conversations.unread_counts(session, peer_profile_id=peer_profile_id)
    rows = session.execute(
        select(Conversation, Texter.pseudonym, Topic.name, Texter.language)
        .join(Texter, Texter.id == Conversation.texter_id)
        .outerjoin(Topic, Topic.id == Conversation.topic_id)
        .where(Conversation.peer_profile_id == peer_profile_id, Conversation.state == "active")
        .order_by(Conversation.started_at.desc())
    ).all()
    return [
        ConversationView(
            id=c.id,
            pseudonym=pseudonym,
            topic=topic or _l("Topic in their own words"),
            is_crisis=c.is_crisis,
            started_at=c.started_at,
            unread=unread.get(c.id, 0),
            flagged=c.flagged_at is not None,
            language=language,
        )
        for c, pseudonym, topic, language in rows
    ]


def recent_conversations(session: Session, peer_profile_id: int, limit: int = 10):
    """The peer's ended conversations, most recent first."""
    return session.execute(
        select(Conversation, Texter.pseudonym, Topic.name)
        .join(Texter, Texter.id == Conversation.texter_id)
        .outerjoin(Topic, Topic.id == Conversation.topic_id)
        .where(Conversation.peer_profile_id == peer_profile_id, Conversation.state == "ended")
        .order_by(Conversation.ended_at.desc())
        .limit(limit)
    ).all()


def wrap_ups_due(session: Session, peer_profile_id: int, limit: int = 10):
    """The peer's ended conversations still waiting for their wrap-up, most recent first."""
    return session.execute(
        select(Conversation, Texter.pseudonym)
        .join(Texter, Texter.id == Conversation.texter_id)
        .where(
            Conversation.peer_profile_id == peer_profile_id,
            Conversation.state == "ended",
            Conversation.outcome.is_(None),
            Conversation.ended_by.not_in(conversations.NO_WRAP_UP),
        )
        .order_by(Conversation.ended_at.desc())
        .limit(limit)
    ).all()


def thread(session: Session, conversation: Conversation) -> list[Message]:
    """The messages a peer sees in a conversation, in order: first what the texter
    wrote before the match (no conversation id yet), then the texter's and their own."""
    before = conversations.words_before_match(
        session, texter_id=conversation.texter_id, conversation=conversation
    )
    during = session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation.id,
            (Message.direction == "inbound") | (Message.recipient == "texter"),
        )
        .order_by(Message.created_at, Message.id)
    )
    return [*before, *during]


def own_words(messages: list[Message]) -> str | None:
    """A short quote of what the texter wrote before the match, for a conversation with no topic."""
    return conversations.preview([m for m in messages if m.conversation_id is None])


def resources_for(session: Session, conversation: Conversation) -> list[Resource]:
    """The program's directory entries that fit the conversation's topic."""
    rows = session.scalars(
        select(Resource)
        .where(
            Resource.program_id == conversation.program_id,
            Resource.retired_at.is_(None),
            Resource.reachable,  # a peer may paste it into a text
        )
        .order_by(Resource.position, Resource.id)
    ).all()
    return [r for r in rows if not r.topic_ids or conversation.topic_id in r.topic_ids]


def skill_cards_for(session: Session, program_id: int) -> list[SkillCard]:
    """The program's coping-skill cards."""
    return list(
        session.scalars(
            select(SkillCard)
            .where(SkillCard.program_id == program_id, SkillCard.retired_at.is_(None))
            .order_by(SkillCard.position, SkillCard.id)
        )
    )


def resource_text(resource: Resource) -> str:
    """A directory entry as a peer would paste it into a text."""
    parts = [resource.name]
    if resource.description:
        parts.append(f"- {resource.description}")
    if resource.phone:
        parts.append(f"Call {resource.phone}.")
    if resource.url:
        parts.append(resource.url)
    return " ".join(parts)


def live_stamp(session: Session, peer_profile_id: int, now: datetime) -> dict:
    """Small JSON for polling: changes whenever offers or conversations change."""
    offers = open_offers(session, peer_profile_id, now, previews=False)
    active = active_conversations(session, peer_profile_id)
    last_message = session.scalar(
        select(Message.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.peer_profile_id == peer_profile_id)
        .order_by(Message.id.desc())
        .limit(1)
    )
    return {
        "offers": [o.id for o in offers],
        "conversations": {str(c.id): c.unread for c in active},
        "last_message_id": last_message or 0,
        "unread": sum(c.unread for c in active),
    }


# -- supervisors -------------------------------------------------------------------


@dataclass(frozen=True)
class AlertView:
    id: int
    kind: str
    state: str
    program: str
    category: str | None
    reason: str | None
    pseudonym: str | None
    peer_alias: str | None
    created_at: datetime
    conversation_id: int | None
    conversation_active: bool
    language: str | None = None
    detected_by: str | None = None
    request_id: int | None = None
    waiting: bool = False  # raised on a request still waiting for a peer: the queue can act

    @property
    def category_name(self) -> str:
        """The crisis category as supervisors read it."""
        return category_label(self.category)

    @property
    def language_name(self) -> str:
        """The detected language of the crisis message ("Spanish"), never its words."""
        return language_name(self.language)


def open_alerts(session: Session, organization_id: int) -> list[AlertView]:
    """Unacknowledged alerts across the organization's programs, crises first."""
    rows = session.execute(
        select(
            Alert,
            Program.name,
            Texter.pseudonym,
            PeerProfile.alias,
            Conversation.state,
            SupportRequest.state,
        )
        .join(Program, Program.id == Alert.program_id)
        .outerjoin(SupportRequest, SupportRequest.id == Alert.request_id)
        .outerjoin(Texter, Texter.id == Alert.texter_id)
        .outerjoin(Conversation, Conversation.id == Alert.conversation_id)
        .outerjoin(PeerProfile, PeerProfile.id == Conversation.peer_profile_id)
        .where(
            Program.organization_id == organization_id,
            Alert.state.in_(states.ALERT.sources("acknowledged")),
        )
        .order_by((Alert.kind == "crisis").desc(), Alert.created_at)
    ).all()
    return [
        AlertView(
            id=alert.id,
            kind=alert.kind,
            state=alert.state,
            program=program,
            category=alert.category,
            reason=alert.reason,
            pseudonym=pseudonym,
            peer_alias=alias,
            created_at=alert.created_at,
            conversation_id=alert.conversation_id,
            conversation_active=conv_state == "active",
            language=alert.language,
            detected_by=alert.detected_by,
            request_id=alert.request_id,
            waiting=request_state in ("offering", "waiting"),
        )
        for alert, program, pseudonym, alias, conv_state, request_state in rows
    ]


def flagged_conversations(session: Session, organization_id: int):
    """Active conversations a peer flagged or that are crises, in the organization."""
    return session.execute(
        select(Conversation, Program.name, Texter.pseudonym, PeerProfile.alias)
        .join(Program, Program.id == Conversation.program_id)
        .join(Texter, Texter.id == Conversation.texter_id)
        .join(PeerProfile, PeerProfile.id == Conversation.peer_profile_id)
        .where(
            Program.organization_id == organization_id,
            Conversation.state == "active",
            (Conversation.flagged_at.is_not(None)) | (Conversation.is_crisis.is_(True)),
        )
        .order_by(Conversation.is_crisis.desc(), Conversation.flagged_at)
    ).all()


def supervision_stamp(session: Session, organization_id: int) -> dict:
    """Small JSON for the supervisor's page: changes whenever an alert or flag changes."""
    return {
        "alerts": [[a.id, a.state] for a in open_alerts(session, organization_id)],
        "flagged": [c.id for c, *_ in flagged_conversations(session, organization_id)],
    }


@dataclass(frozen=True)
class SupervisedAlert:
    id: int
    kind: str
    state: str
    category: str
    reason: str | None
    raised_by: str | None
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    language: str = ""  # a human name ("Spanish"), never content
    detected_by: str | None = None


@dataclass(frozen=True)
class SupervisedConversation:
    conversation: Conversation
    program: Program
    pseudonym: str
    peer_alias: str
    topic: str
    messages: list[Message]
    alerts: list[SupervisedAlert]
    notes: list = ()

    @property
    def categories(self) -> list[str]:
        """The distinct crisis categories raised on the conversation, first seen first."""
        return list(dict.fromkeys(a.category for a in self.alerts if a.category))

    @property
    def open_alerts(self) -> list[SupervisedAlert]:
        """Alerts nobody has acknowledged yet."""
        return [a for a in self.alerts if a.state != "acknowledged"]

    @property
    def last_message_id(self) -> int:
        """The newest message id, for polling."""
        return max((m.id for m in self.messages), default=0)


def supervised_conversation(
    session: Session, conversation_id: int, organization_id: int
) -> Conversation | None:
    """A conversation a supervisor of the organization may open, or None.

    Only conversations that asked for a supervisor (a flag, a crisis, any alert):
    a supervisor does not browse peers' ordinary conversations.
    """
    has_alert = (
        select(Alert.id)
        .where(
            (Alert.conversation_id == Conversation.id)
            | (Alert.request_id == Conversation.request_id)
        )
        .exists()
    )
    return session.scalar(
        select(Conversation)
        .join(Program, Program.id == Conversation.program_id)
        .where(
            Conversation.id == conversation_id,
            Program.organization_id == organization_id,
            Conversation.flagged_at.is_not(None) | Conversation.is_crisis.is_(True) | has_alert,
        )
    )


def supervision_view(session: Session, conversation: Conversation) -> SupervisedConversation:
    """Everything the supervisor's read-only conversation page shows, without phone numbers."""
    program = session.get(Program, conversation.program_id)
    texter = session.get(Texter, conversation.texter_id)
    peer = session.get(PeerProfile, conversation.peer_profile_id)
    topic = session.get(Topic, conversation.topic_id) if conversation.topic_id else None
    raiser = PeerProfile.__table__.alias("raiser")
    rows = session.execute(
        select(Alert, raiser.c.alias, User.name)
        .outerjoin(
            raiser,
            (raiser.c.user_id == Alert.raised_by_id) & (raiser.c.program_id == Alert.program_id),
        )
        .outerjoin(User, User.id == Alert.acknowledged_by_id)
        # Raised on the conversation, or on the request it came out of (while the texter waited).
        .where(
            (Alert.conversation_id == conversation.id)
            | (Alert.request_id == conversation.request_id)
        )
        .order_by(Alert.created_at, Alert.id)
    ).all()
    alerts = [
        SupervisedAlert(
            id=alert.id,
            kind=alert.kind,
            state=alert.state,
            category=category_label(alert.category),
            reason=alert.reason,
            raised_by=alias,
            created_at=alert.created_at,
            acknowledged_at=alert.acknowledged_at,
            acknowledged_by=acknowledger,
            language=language_name(alert.language),
            detected_by=alert.detected_by,
        )
        for alert, alias, acknowledger in rows
    ]
    return SupervisedConversation(
        conversation=conversation,
        program=program,
        pseudonym=texter.pseudonym,
        peer_alias=peer.alias,
        topic=topic.name if topic else "Topic in their own words",
        messages=thread(session, conversation),
        alerts=alerts,
        notes=supervision.notes_on(session, conversation.id),
    )


def waiting_count(session: Session, organization_id: int) -> int:
    """How many texters of the organization are waiting for a peer (the queue's length)."""
    return (
        session.scalar(
            select(func.count(SupportRequest.id))
            .join(Program, Program.id == SupportRequest.program_id)
            .where(
                Program.organization_id == organization_id,
                SupportRequest.state.in_(("offering", "waiting")),
            )
        )
        or 0
    )
