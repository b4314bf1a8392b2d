"""The program's local resources directory (what RESOURCES texts back)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork import audit
from peerwork.admin.setup_common import SetupError
from peerwork.models import Program, Resource

FIELDS = ("name", "description", "phone", "url", "topic_ids")


def _clean(program: Program, values: dict) -> dict:
    clean = {
        "name": (values.get("name") or "").strip(),
        "description": (values.get("description") or "").strip(),
        "phone": (values.get("phone") or "").strip() or None,
        "url": (values.get("url") or "").strip() or None,
        "topic_ids": sorted(int(t) for t in values.get("topic_ids") or []),
    }
    if not clean["name"]:
        raise SetupError("name", "Enter the resource's name.")
    if clean["url"] and not clean["url"].startswith(("https://", "http://")):
        raise SetupError("url", "Enter a full web address starting with https://")
    known = {t.id for t in program.topics}
    if not set(clean["topic_ids"]) <= known:
        raise SetupError("topic_ids", "Pick topics of this program.")
    return clean


def _audit(session, program, action, resource, now, actor, details=None) -> None:
    audit.record_for_program(
        session,
        program,
        action=action,
        now=now,
        actor=actor,
        object_type="resource",
        object_id=resource.id,
        details=details,
    )


def add_resource(
    session: Session, *, program: Program, values: dict, now: datetime, actor
) -> Resource:
    """Add an entry at the end of the directory."""
    clean = _clean(program, values)
    position = max((r.position for r in list_resources(session, program)), default=0) + 1
    resource = Resource(program_id=program.id, position=position, **clean)
    session.add(resource)
    session.flush()
    _audit(session, program, "resource.create", resource, now, actor)
    return resource


def update_resource(
    session: Session, *, program: Program, resource: Resource, values: dict, now: datetime, actor
) -> None:
    """Edit an entry of the directory."""
    clean = _clean(program, values)
    changed = sorted(k for k, v in clean.items() if getattr(resource, k) != v)
    for key in changed:
        setattr(resource, key, clean[key])
    session.flush()
    if changed:
        _audit(session, program, "resource.update", resource, now, actor, {"changed": changed})


def set_retired(
    session: Session, *, program: Program, resource: Resource, retired: bool, now: datetime, actor
) -> None:
    """Hide an entry from texters (or show it again)."""
    if (resource.retired_at is not None) == retired:
        return
    resource.retired_at = now if retired else None
    session.flush()
    _audit(
        session, program, "resource.retire" if retired else "resource.restore", resource, now, actor
    )


def list_resources(session: Session, program: Program) -> list[Resource]:
    """Every entry of the program's directory, shown ones first, in order."""
    return list(
        session.scalars(
            select(Resource)
            .where(Resource.program_id == program.id)
            .order_by(Resource.retired_at.is_not(None), Resource.position, Resource.id)
        )
    )
