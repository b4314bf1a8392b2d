"""The program's local resources directory (what RESOURCES texts back)."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork import audit
from peerwork.admin.setup_common import SetupError
from peerwork.models import Program, Resource

FIELDS = ("name", "description", "phone", "url", "topic_ids")

URL_MAX = 300
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TOP_LEVEL = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# Digits with the usual separators: "988", "741741", "1-800-950-6264", "+1 (585) 555-0100".
_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{1,38}$")
_BAD_URL = "Enter a web address like www.example.org or https://example.org."


def normalize_url(raw: str | None) -> str | None:
    """A web address as texters should get it: `example.org/help` becomes
    `https://example.org/help`. Raises SetupError for anything that is not an
    http(s) address with a real host name (javascript:, mailto:, data:,
    spaces, user names, bare words)."""
    text = (raw or "").strip()
    if not text:
        return None
    if any(c.isspace() or ord(c) < 32 for c in text) or "\\" in text:
        raise SetupError("url", _BAD_URL)
    if text.startswith("//"):
        text = "https:" + text
    scheme = _SCHEME.match(text)
    if scheme and not text[scheme.end() :].startswith("//"):
        # "javascript:..." or "mailto:..." (a scheme), or "example.org:8080/x" (a host).
        if "." not in scheme.group(1):
            raise SetupError("url", _BAD_URL)
        scheme = None
    if scheme is None:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise SetupError("url", _BAD_URL) from exc
    host = (parts.hostname or "").rstrip(".")
    labels = host.split(".")
    if (
        parts.scheme.lower() not in ("http", "https")
        or "@" in parts.netloc
        or len(labels) < 2
        or not all(_HOST_LABEL.match(label) for label in labels)
        or not _TOP_LEVEL.match(labels[-1])
    ):
        raise SetupError("url", _BAD_URL)
    netloc = host + (f":{port}" if port else "")
    url = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))
    if len(url) > URL_MAX:
        raise SetupError("url", f"Keep the web address under {URL_MAX} characters.")
    return url


def _clean(program: Program, values: dict) -> dict:
    clean = {
        "name": (values.get("name") or "").strip(),
        "description": (values.get("description") or "").strip(),
        "phone": (values.get("phone") or "").strip() or None,
        "url": normalize_url(values.get("url")),
        "topic_ids": sorted(int(t) for t in values.get("topic_ids") or []),
    }
    if not clean["name"]:
        raise SetupError("name", "Enter the resource's name.")
    if clean["phone"] and not (
        _PHONE.match(clean["phone"]) and sum(c.isdigit() for c in clean["phone"]) >= 3
    ):
        raise SetupError("phone", "Enter a phone or text number, like 988 or 1-800-950-6264.")
    if not clean["phone"] and not clean["url"]:
        # RESOURCES texts the directory: an entry nobody can reach helps nobody.
        raise SetupError(
            "phone", "Add a phone number or a web address, so a texter can reach them."
        )
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


def open_suggestions(session: Session, program: Program, suggestions) -> list:
    """The suggested local groups not yet in the directory (by name), general ones first."""
    taken = {r.name.strip().lower() for r in list_resources(session, program)}
    left = [s for s in suggestions if s.name.lower() not in taken]
    return sorted(left, key=lambda s: bool(s.region))
