"""Organizations, programs and topics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from peerwork import clock
from peerwork.db import Base
from peerwork.languages import FALLBACKS
from peerwork.models import states
from peerwork.models._types import UTCDateTime, one_of

# Weekly hours: {"mon": [["09:00", "17:00"]], ...}; a missing day is closed.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CHECKIN_CHOICES = ("none", "1d", "3d", "1w")
LANGUAGE_FALLBACKS = tuple(FALLBACKS)
# Minutes a texter may wait for a peer before the long-wait alert (an admin setting).
WAIT_ALERT_MINUTES = (2, 120)


def default_hours() -> dict[str, list[list[str]]]:
    return {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    programs: Mapped[list[Program]] = relationship(back_populates="organization")


class Program(Base):
    __tablename__ = "programs"
    __table_args__ = (
        one_of("status", states.PROGRAM.states, "status_valid"),
        one_of("checkin_default", CHECKIN_CHOICES, "checkin_default_valid"),
        one_of("language_fallback", LANGUAGE_FALLBACKS, "language_fallback_valid"),
        CheckConstraint("offer_timeout_seconds BETWEEN 15 AND 3600", name="offer_timeout_range"),
        CheckConstraint("wave_size BETWEEN 1 AND 100", name="wave_size_range"),
        CheckConstraint("max_waves BETWEEN 1 AND 20", name="max_waves_range"),
        CheckConstraint("default_capacity BETWEEN 1 AND 20", name="default_capacity_range"),
        CheckConstraint("retention_days BETWEEN 1 AND 3650", name="retention_range"),
        CheckConstraint(
            f"wait_alert_minutes BETWEEN {WAIT_ALERT_MINUTES[0]} AND {WAIT_ALERT_MINUTES[1]}",
            name="wait_alert_range",
        ),
        CheckConstraint("report_min_cell BETWEEN 5 AND 100", name="report_min_cell_range"),
        UniqueConstraint("organization_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # E.164; unique across the deployment because inbound texts route by it.
    sms_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=default_hours)
    closed_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Overrides of the texter-facing texts, by key of peerwork.sms.texts.
    texts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # None: the shipped default crisis phrase list.
    crisis_phrases: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    offer_timeout_seconds: Mapped[int] = mapped_column(Integer, default=120)
    wave_size: Mapped[int] = mapped_column(Integer, default=3)
    max_waves: Mapped[int] = mapped_column(Integer, default=3)
    default_capacity: Mapped[int] = mapped_column(Integer, default=2)
    wait_alert_minutes: Mapped[int] = mapped_column(Integer, default=10)
    unanswered_minutes: Mapped[int] = mapped_column(Integer, default=10)
    alert_ack_minutes: Mapped[int] = mapped_column(Integer, default=5)
    keep_requests_after_hours: Mapped[bool] = mapped_column(Boolean, default=True)
    # The languages the line offers texters, comma-separated codes; English is always one.
    languages: Mapped[str] = mapped_column(String(60), default="en", server_default="en")
    # No peer speaks the texter's language: "anyone" (offer with a note) or "wait".
    language_fallback: Mapped[str] = mapped_column(
        String(8), default="anyone", server_default="anyone"
    )
    checkin_default: Mapped[str] = mapped_column(String(4), default="1d")
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00")
    checkin_ttl_hours: Mapped[int] = mapped_column(Integer, default=12)
    retention_days: Mapped[int] = mapped_column(Integer, default=90)
    messages_per_second: Mapped[int] = mapped_column(Integer, default=1)
    retrain_grace_days: Mapped[int] = mapped_column(Integer, default=14)
    # Reports hide any count below this (never below 5; see insights/cells.py).
    report_min_cell: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    training_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    organization: Mapped[Organization] = relationship(back_populates="programs")
    topics: Mapped[list[Topic]] = relationship(
        back_populates="program", order_by="Topic.position", cascade="all, delete-orphan"
    )


class Topic(Base):
    __tablename__ = "topics"
    __table_args__ = (
        UniqueConstraint("program_id", "name"),
        CheckConstraint("menu_number >= 1", name="menu_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(60))
    menu_number: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    program: Mapped[Program] = relationship(back_populates="topics")

    @property
    def active(self) -> bool:
        return self.retired_at is None
