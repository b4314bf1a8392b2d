"""Accounts, roles, peer profiles and invites."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from peerwork import clock
from peerwork.db import Base
from peerwork.models import states
from peerwork.models._types import UTCDateTime, one_of

if TYPE_CHECKING:
    from peerwork.models.org import Topic

peer_topics = Table(
    "peer_topics",
    Base.metadata,
    Column("peer_profile_id", ForeignKey("peer_profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
    # Matching looks peers up by topic.
    Index("ix_peer_topics_topic_peer", "topic_id", "peer_profile_id"),
)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Changes on password change/deactivation so old sessions stop working.
    session_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language of the web pages they see (None: their browser's Accept-Language).
    locale: Mapped[str | None] = mapped_column(String(8))

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    peer_profiles: Mapped[list[PeerProfile]] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        # The session token is part of the id: rotating it logs every session out.
        return f"{self.id}:{self.session_token}"

    @property
    def roles(self) -> set[str]:
        return {m.role for m in self.memberships}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "organization_id", "role"),
        one_of("role", states.ROLES, "role_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    user: Mapped[User] = relationship(back_populates="memberships")


class PeerProfile(Base):
    """A volunteer's presence in one program: what texters and matching see."""

    __tablename__ = "peer_profiles"
    __table_args__ = (
        UniqueConstraint("user_id", "program_id"),
        UniqueConstraint("program_id", "alias"),
        CheckConstraint("capacity BETWEEN 1 AND 20", name="capacity_range"),
        # Matching starts from the switched-on peers of one program.
        Index("ix_peer_profiles_program_available", "program_id", "available"),
        # Matching adds the any-topic peers to the peers who listed a topic.
        Index(
            "ix_peer_profiles_program_available_any",
            "program_id",
            "available",
            "accepts_any_topic",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    alias: Mapped[str | None] = mapped_column(String(40))
    capacity: Mapped[int] = mapped_column(Integer, default=2)
    accepts_any_topic: Mapped[bool] = mapped_column(Boolean, default=False)
    # The "available now" switch.
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    # Weekly hours in the program's timezone, same shape as Program.hours.
    availability: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    onboarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alert_phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    sms_alerts: Mapped[bool] = mapped_column(Boolean, default=False)
    active_conversations: Mapped[int] = mapped_column(Integer, default=0)
    last_matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Languages they can hold a conversation in, comma-separated codes ("en,es"), so that
    # the matching SQL tests one with LIKE on every database (peerwork.languages).
    languages: Mapped[str] = mapped_column(String(60), default="en", server_default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    user: Mapped[User] = relationship(back_populates="peer_profiles")
    topics: Mapped[list[Topic]] = relationship(secondary=peer_topics)

    @property
    def profile_complete(self) -> bool:
        return bool(self.alias and self.availability and (self.accepts_any_topic or self.topics))


class Invite(Base):
    __tablename__ = "invites"
    __table_args__ = (one_of("role", states.ROLES, "role_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    # Random value carried inside the signed token; only its hash is stored.
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
