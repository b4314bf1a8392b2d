"""Report rollups: one settled local week of a program's dashboard counters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from peerwork.db import Base
from peerwork.models._types import UTCDateTime


class ReportWeek(Base):
    """A past week's counters, kept so the dashboard need not count its rows again.

    Written by `insights.rollups` only for weeks that can no longer change, and
    checked against the tables' row counts on every read (a stale week is counted again).
    """

    __tablename__ = "report_weeks"
    __table_args__ = (UniqueConstraint("program_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint leads with program_id: it is the program's index too.
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    week_start: Mapped[date] = mapped_column(Date)  # a Monday, local to the program
    # A hash of the counting code's version and the program settings the counts depend on.
    fingerprint: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The week's minutes to a match and to a first reply, packed doubles.
    timings: Mapped[bytes] = mapped_column(LargeBinary)
