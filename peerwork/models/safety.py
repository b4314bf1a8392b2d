"""Escalation contacts, alerts for supervisors, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from peerwork import clock
from peerwork.db import Base
from peerwork.models import states
from peerwork.models._types import UTCDateTime, one_of

ALERT_KINDS = ("crisis", "flag", "wait", "unanswered", "backup")


class EscalationContact(Base):
    __tablename__ = "escalation_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(120))
    phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    phone_last4: Mapped[str | None] = mapped_column(String(4))  # shown to admins as ••••1234
    is_backup: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        one_of("kind", ALERT_KINDS, "kind_valid"),
        one_of("state", states.ALERT.states, "state_valid"),
        Index("ix_alerts_program_state", "program_id", "state"),
        Index("ix_alerts_program_created", "program_id", "created_at"),
        # One crisis alert and one unanswered follow-up per message, whoever races.
        UniqueConstraint("kind", "message_id", name="uq_alerts_kind_message"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(14), default="open")
    category: Mapped[str | None] = mapped_column(String(40))  # crisis category, never content
    reason: Mapped[str | None] = mapped_column(
        String(300)
    )  # written by staff/system, never a message body
    # How a crisis was detected, never content: the message's language ("en"/"es")
    # and the reason, a phrase id and/or the model's score ("model 0.93").
    language: Mapped[str | None] = mapped_column(String(5))
    detected_by: Mapped[str | None] = mapped_column(String(80))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_requests.id", ondelete="SET NULL")
    )
    texter_id: Mapped[int | None] = mapped_column(ForeignKey("texters.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Append-only: who did what to which object. Never content or phone numbers."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_org_created", "organization_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="SET NULL"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(
        String(120)
    )  # "system", or the actor's name at the time
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


SUPERVISOR_NOTE_KINDS = ("joined", "note")


class SupervisorNote(Base):
    """A supervisor on a peer's conversation: "joined", or a private note to the peer.

    Never a Message: nothing here can reach the outbox, so the texter never
    receives it. The body is staff-written and erased by the retention purge
    with the conversation's messages.
    """

    __tablename__ = "supervisor_notes"
    __table_args__ = (
        one_of("kind", SUPERVISOR_NOTE_KINDS, "kind_valid"),
        Index("ix_supervisor_notes_conversation_id_id", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_label: Mapped[str] = mapped_column(String(120))  # the supervisor's name at the time
    kind: Mapped[str] = mapped_column(String(8), default="note")
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
