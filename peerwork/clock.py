"""The one place views and jobs read the clock (domain code takes `now`)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
