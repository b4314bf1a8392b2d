"""Texters, support requests, offers, conversations and messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from peerwork import clock
from peerwork.db import Base
from peerwork.models import states
from peerwork.models._types import UTCDateTime, one_of

RECURRING_CHECKINS = ("off", "weekly")


class Texter(Base):
    """An employee who texted a program. Known to people only by pseudonym."""

    __tablename__ = "texters"
    __table_args__ = (
        UniqueConstraint("program_id", "phone_hash"),
        UniqueConstraint("program_id", "pseudonym"),
        one_of("dialog_state", states.DIALOG.states, "dialog_state_valid"),
        one_of("recurring_checkin", RECURRING_CHECKINS, "recurring_checkin_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    # Fernet ciphertext of the E.164 number; decrypted only by the SMS sender.
    phone_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    # HMAC-SHA256 of the E.164 number under the data key: lookup without clear text.
    phone_hash: Mapped[str] = mapped_column(String(64))
    pseudonym: Mapped[str] = mapped_column(String(40))
    # Opting out is stored here and nowhere else: the dialog state "opted_out".
    dialog_state: Mapped[str] = mapped_column(String(20), default="new")
    recurring_checkin: Mapped[str] = mapped_column(String(10), default="off")
    # What we text them in (peerwork.languages): chosen by keyword or read from the first text.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    last_peer_id: Mapped[int | None] = mapped_column(
        ForeignKey("peer_profiles.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def opted_out(self) -> bool:
        """The texter texted STOP (or the carrier says so): nothing is sent to them."""
        return self.dialog_state == "opted_out"


_OPEN_REQUEST_SQL = "state IN ({})".format(", ".join(f"'{s}'" for s in states.OPEN_REQUEST_STATES))


class SupportRequest(Base):
    __tablename__ = "support_requests"
    __table_args__ = (
        one_of("state", states.SUPPORT_REQUEST.states, "state_valid"),
        CheckConstraint("wave >= 0", name="wave_nonnegative"),
        # A texter has at most one request that is still looking for a peer.
        Index(
            "uq_support_requests_open_per_texter",
            "texter_id",
            unique=True,
            sqlite_where=text(_OPEN_REQUEST_SQL),
            postgresql_where=text(_OPEN_REQUEST_SQL),
        ),
        Index("ix_support_requests_program_state", "program_id", "state"),
        # Reports read a program's requests of a period from this index alone (covering).
        Index(
            "ix_support_requests_report",
            "program_id",
            "created_at",
            "topic_id",
            "matched_at",
            "closed_at",
            "preferred_peer_id",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    texter_id: Mapped[int] = mapped_column(ForeignKey("texters.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), default="offering")
    is_crisis: Mapped[bool] = mapped_column(Boolean, default=False)
    # Continuity: offer this peer first if eligible.
    preferred_peer_id: Mapped[int | None] = mapped_column(
        ForeignKey("peer_profiles.id", ondelete="SET NULL")
    )
    wave: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(16), default="texter")  # texter, checkin, handback
    # The texter's language when the request opened: matching prefers peers who speak it.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wait_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    offers: Mapped[list[Offer]] = relationship(back_populates="request", order_by="Offer.id")


class Offer(Base):
    __tablename__ = "offers"
    __table_args__ = (
        # A peer may be asked again for a request after a cool-down (each ask is
        # its own row), but never holds two open offers for the same request.
        Index(
            "uq_offers_open_per_request_peer",
            "request_id",
            "peer_profile_id",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
        one_of("state", states.OFFER.states, "state_valid"),
        Index("ix_offers_peer_state", "peer_profile_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("support_requests.id", ondelete="CASCADE"), index=True
    )
    peer_profile_id: Mapped[int] = mapped_column(ForeignKey("peer_profiles.id", ondelete="CASCADE"))
    wave: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[SupportRequest] = relationship(back_populates="offers")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        one_of("state", states.CONVERSATION.states, "state_valid"),
        one_of("checkin_choice", ("none", "1d", "3d", "1w"), "checkin_choice_valid"),
        # One live conversation per texter: relaying has exactly one place to go.
        Index(
            "uq_conversations_active_per_texter",
            "texter_id",
            unique=True,
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
        Index("ix_conversations_peer_state", "peer_profile_id", "state"),
        # Fairness in matching counts each peer's conversations of the last week.
        Index("ix_conversations_peer_started", "peer_profile_id", "started_at"),
        # Reports join each request to its conversation from this index alone (covering).
        Index(
            "ix_conversations_report",
            "request_id",
            "first_peer_message_at",
            "peer_profile_id",
            "ended_at",
            "outcome",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    # One conversation per request, whoever wins the race to accept it.
    request_id: Mapped[int] = mapped_column(
        ForeignKey("support_requests.id", ondelete="CASCADE"), unique=True
    )
    texter_id: Mapped[int] = mapped_column(ForeignKey("texters.id", ondelete="CASCADE"), index=True)
    peer_profile_id: Mapped[int] = mapped_column(ForeignKey("peer_profiles.id", ondelete="CASCADE"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), default="active")
    is_crisis: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(
        String(16)
    )  # texter, peer, optout, handback, system
    outcome: Mapped[str | None] = mapped_column(String(40))  # wrap-up: how it went
    checkin_choice: Mapped[str] = mapped_column(String(4), default="none")
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    peer_last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_texter_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_peer_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The first human reply (reports: how long a texter waited to hear from a person).
    first_peer_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[SupportRequest] = relationship()


MESSAGE_AUTHORS = ("texter", "peer", "system")
# The kind of the inbound text that began an ask (first contact, NEW, a crisis
# text when idle, a check-in's TALK): the peer's thread starts there.
OPENING_KIND = "opening"
MESSAGE_DIRECTIONS = ("inbound", "outbound")
# Who an outbound message is for: the texter, a peer's own phone, an escalation contact.
RECIPIENTS = ("texter", "peer", "contact")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        one_of("direction", MESSAGE_DIRECTIONS, "direction_valid"),
        one_of("author", MESSAGE_AUTHORS, "author_valid"),
        one_of("status", states.DELIVERY.states, "status_valid"),
        CheckConstraint(
            "(direction = 'inbound' AND recipient IS NULL) OR "
            "(direction = 'outbound' AND recipient IS NOT NULL)",
            name="recipient_matches_direction",
        ),
        CheckConstraint(
            "recipient IS NULL OR recipient IN ('texter', 'peer', 'contact')",
            name="recipient_valid",
        ),
        Index("ix_messages_status_queued_at", "status", "queued_at"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(8))
    author: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(
        String(24), default="relay"
    )  # relay, system, crisis, checkin, alert...
    recipient: Mapped[str | None] = mapped_column(String(8))
    texter_id: Mapped[int | None] = mapped_column(
        ForeignKey("texters.id", ondelete="CASCADE"), index=True
    )
    peer_profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("peer_profiles.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_contacts.id", ondelete="SET NULL")
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    body: Mapped[str | None] = mapped_column(Text)  # erased by the retention purge
    body_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    segments: Mapped[int] = mapped_column(Integer, default=1)
    is_crisis: Mapped[bool] = mapped_column(Boolean, default=False)
    # Inbound: Twilio's MessageSid (unique: retries are processed once).
    # Outbound: the SID Twilio gave the message when it accepted it.
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(12))
    error_code: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # inbound: dialog handled
    # Inbound: the replies answered at once in the webhook's TwiML (system copy,
    # never a number), so a retried delivery of the same MessageSid gets the same
    # answer without being stored or handled twice.
    twiml_replies: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
