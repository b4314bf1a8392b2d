"""The audit log: append-only records of who did what, never content or phones."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork.models import AuditEvent

_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_FORBIDDEN_KEYS = {"body", "message", "phone", "phone_number", "text", "content", "password"}


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _PHONE_LIKE.sub("[redacted]", value)[:200]
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in _FORBIDDEN_KEYS}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value][:50]
    return value


def record(
    session: Session,
    *,
    organization_id: int,
    action: str,
    now: datetime,
    actor=None,
    program_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event. `actor` is a User or None for the system."""
    event = AuditEvent(
        organization_id=organization_id,
        program_id=program_id,
        actor_user_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "name", None) or "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=_scrub(details or {}),
        created_at=now,
    )
    session.add(event)
    return event


def record_for_program(
    session: Session,
    program,
    *,
    action: str,
    now: datetime,
    actor=None,
    object_type: str | None = None,
    object_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event about something in `program` (and so in its organization)."""
    return record(
        session,
        organization_id=program.organization_id,
        program_id=program.id,
        action=action,
        now=now,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )


def record_once_per_window(
    session: Session,
    *,
    organization_id: int,
    action: str,
    now: datetime,
    actor,
    object_type: str,
    object_id: int,
    window: timedelta = timedelta(hours=1),
    program_id: int | None = None,
) -> bool:
    """Record `action` unless this actor already did it to this object within `window`.

    For reads worth auditing (a supervisor opening a conversation) on pages
    that reload themselves: one row per visit, not one per refresh.
    """
    recent = session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.organization_id == organization_id,
            AuditEvent.actor_user_id == getattr(actor, "id", None),
            AuditEvent.action == action,
            AuditEvent.object_type == object_type,
            AuditEvent.object_id == object_id,
            AuditEvent.created_at > now - window,
        )
        .limit(1)
    )
    if recent is not None:
        return False
    record(
        session,
        organization_id=organization_id,
        program_id=program_id,
        action=action,
        now=now,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
    )
    return True
