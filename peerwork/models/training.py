"""Training modules, quiz questions and attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from peerwork import clock
from peerwork.db import Base
from peerwork.models._types import UTCDateTime


class TrainingModule(Base):
    __tablename__ = "training_modules"
    __table_args__ = (
        UniqueConstraint("program_id", "slug"),
        CheckConstraint("pass_mark BETWEEN 1 AND 100", name="pass_mark_range"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    lesson_md: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    pass_mark: Mapped[int] = mapped_column(Integer, default=80)  # percent
    # Bumped when an admin publishes a change; peers re-pass required modules.
    version: Mapped[int] = mapped_column(Integer, default=1)
    version_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The previous version still counts until this moment (grace period).
    previous_version_valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    has_draft_changes: Mapped[bool] = mapped_column(Boolean, default=False)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    questions: Mapped[list[TrainingQuestion]] = relationship(
        back_populates="module", order_by="TrainingQuestion.position", cascade="all, delete-orphan"
    )


class TrainingQuestion(Base):
    __tablename__ = "training_questions"
    __table_args__ = (CheckConstraint("correct_index >= 0", name="correct_index_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("training_modules.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    prompt: Mapped[str] = mapped_column(Text)
    choices: Mapped[list[str]] = mapped_column(JSON)
    correct_index: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text, default="")

    module: Mapped[TrainingModule] = relationship(back_populates="questions")


class TrainingAttempt(Base):
    __tablename__ = "training_attempts"
    __table_args__ = (
        CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
        # Matching checks certification per peer and module on every decision.
        Index("ix_training_attempts_peer_module", "peer_profile_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("training_modules.id", ondelete="CASCADE"), index=True
    )
    peer_profile_id: Mapped[int] = mapped_column(
        ForeignKey("peer_profiles.id", ondelete="CASCADE"), index=True
    )
    module_version: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    # {"draw": seed, "chosen": [[question_id, choice index or -1], ...]}; older rows: a list.
    answers: Mapped[Any] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
