"""The audit log viewer: filter an organization's events, newest first, by page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peerwork.models import AuditEvent

PAGE_SIZE = 50


@dataclass
class AuditPage:
    events: list[AuditEvent]
    page: int
    pages: int
    total: int


def search(
    session: Session,
    *,
    organization_id: int,
    action: str | None = None,
    actor_user_id: int | None = None,
    program_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
) -> AuditPage:
    """One page of the organization's audit events matching the filters."""
    where = [AuditEvent.organization_id == organization_id]
    if action:
        # "topic" matches every topic.* action; "topic.create" matches exactly.
        where.append(
            AuditEvent.action == action if "." in action else AuditEvent.action.like(f"{action}.%")
        )
    if actor_user_id:
        where.append(AuditEvent.actor_user_id == actor_user_id)
    if program_id:
        where.append(AuditEvent.program_id == program_id)
    if since:
        where.append(AuditEvent.created_at >= since)
    if until:
        where.append(AuditEvent.created_at < until)
    total = session.scalar(select(func.count(AuditEvent.id)).where(*where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    events = session.scalars(
        select(AuditEvent)
        .where(*where)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return AuditPage(list(events), page, pages, total)


def actions(session: Session, organization_id: int) -> list[str]:
    """The distinct actions recorded for the organization (for the filter menu)."""
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.organization_id == organization_id)
            .distinct()
            .order_by(AuditEvent.action)
        )
    )
