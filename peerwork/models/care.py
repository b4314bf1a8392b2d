"""What continues after a conversation: check-ins, crisis plans, skill cards, resources."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from peerwork import clock
from peerwork.db import Base
from peerwork.models import states
from peerwork.models._types import UTCDateTime, one_of


class CheckIn(Base):
    __tablename__ = "checkins"
    __table_args__ = (
        one_of("state", states.CHECKIN.states, "state_valid"),
        one_of("kind", ("followup", "recurring"), "kind_valid"),
        CheckConstraint("score IS NULL OR score BETWEEN 1 AND 5", name="score_range"),
        Index("ix_checkins_state_due_at", "state", "due_at"),
        Index("ix_checkins_program_answered", "program_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    texter_id: Mapped[int] = mapped_column(ForeignKey("texters.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    peer_profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("peer_profiles.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(12), default="followup")
    state: Mapped[str] = mapped_column(String(12), default="scheduled")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Past this moment a delayed check-in is dropped, not sent at 3 a.m.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class CrisisPlan(Base):
    """A texter's crisis plan / recovery roadmap, encrypted as a whole."""

    __tablename__ = "crisis_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    texter_id: Mapped[int] = mapped_column(
        ForeignKey("texters.id", ondelete="CASCADE"), unique=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    peer_profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("peer_profiles.id", ondelete="SET NULL")
    )
    content_encrypted: Mapped[bytes] = mapped_column(LargeBinary)  # Fernet(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class SkillCard(Base):
    __tablename__ = "skill_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)  # fits in two SMS segments
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Resource(Base):
    """An entry in the program's local directory."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str | None] = mapped_column(String(40))  # an organization's public number
    url: Mapped[str | None] = mapped_column(String(300))
    topic_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # empty: every topic
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @hybrid_property
    def reachable(self) -> bool:
        """It has a phone number or a web address: only then is it ever texted."""
        return bool((self.phone or "").strip() or (self.url or "").strip())

    @reachable.inplace.expression
    @classmethod
    def _reachable_expression(cls):
        return or_(
            func.coalesce(func.trim(cls.phone), "") != "",
            func.coalesce(func.trim(cls.url), "") != "",
        )
