"""Program setup: create and edit a program, its topics, texts and hours; the
launch checklist; and state changes (draft -> live -> paused -> closed).

Every function takes the session, the program, `now` and the acting user,
writes an audit event naming what changed (never values such as phone
numbers or texter-facing wording), and leaves the commit to the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peerwork import audit
from peerwork import hours as sms_hours
from peerwork.admin.defaults import DEFAULT_RESOURCES
from peerwork.checkins.defaults import install_defaults
from peerwork.matching.eligibility import is_certified
from peerwork.models import (
    WEEKDAYS,
    EscalationContact,
    PeerProfile,
    Program,
    Resource,
    Topic,
    TrainingModule,
    User,
    states,
)
from peerwork.sms import texts as sms_texts
from peerwork.sms import wording as sms_wording
from peerwork.sms.outbox import queue_sms
from peerwork.texter import dialog as _dialog  # noqa: F401  (importing it registers every keyword)
from peerwork.texter.keywords import OPT_IN_WORDS, OPT_OUT_WORDS
from peerwork.texter.keywords import REGISTRY as KEYWORDS
from peerwork.training.curriculum import install_default_curriculum

_KEYWORD = re.compile(r"^[A-Za-z][A-Za-z'-]{1,29}$")

SETTINGS_FIELDS = (
    "name",
    "sms_number",
    "timezone",
    "offer_timeout_seconds",
    "wave_size",
    "max_waves",
    "default_capacity",
    "keep_requests_after_hours",
    "checkin_default",
    "quiet_start",
    "quiet_end",
    "retention_days",
)


class SetupError(ValueError):
    """Input the admin must correct; `field` names the form field it belongs to."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def timezone_choices() -> list[str]:
    """IANA zones an admin may pick, with the common US zones first."""
    common = [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
    ]
    rest = sorted(
        z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    )
    return common + [z for z in rest if z not in common]


def _audit(session, program: Program, action: str, now, actor, **kw) -> None:
    audit.record(
        session,
        organization_id=program.organization_id,
        program_id=program.id,
        action=action,
        now=now,
        actor=actor,
        **kw,
    )


# -- programs --------------------------------------------------------------------------


def create_program(
    session: Session, *, organization_id: int, name: str, timezone: str, now: datetime, actor
) -> Program:
    """A new draft program with the default curriculum, resources and skill cards."""
    name = name.strip()
    if not name:
        raise SetupError("name", "Give the program a name.")
    _check_timezone(timezone)
    _check_name_free(session, organization_id, name, program_id=None)
    program = Program(
        organization_id=organization_id,
        name=name,
        timezone=timezone,
        status="draft",
        created_at=now,
    )
    session.add(program)
    session.flush()
    for position, default in enumerate(DEFAULT_RESOURCES):
        session.add(
            Resource(
                program_id=program.id,
                name=default.name,
                description=default.description,
                phone=default.phone,
                url=default.url,
                topic_ids=[],
                position=position,
            )
        )
    install_default_curriculum(session, program_id=program.id, now=now)
    install_defaults(session, program_id=program.id, now=now)
    _audit(
        session, program, "program.create", now, actor, object_type="program", object_id=program.id
    )
    session.flush()
    return program


def _check_timezone(timezone: str) -> None:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SetupError("timezone", "Pick a timezone from the list.") from exc


def _check_name_free(session, organization_id: int, name: str, program_id: int | None) -> None:
    query = select(Program.id).where(
        Program.organization_id == organization_id, func.lower(Program.name) == name.lower()
    )
    if program_id is not None:
        query = query.where(Program.id != program_id)
    if session.scalar(query) is not None:
        raise SetupError("name", "Another program of yours already has this name.")


def update_settings(
    session: Session, *, program: Program, values: dict, now: datetime, actor
) -> list[str]:
    """Save the program's settings; `sms_number` must already be E.164 (or None).

    Returns the names of the settings that changed.
    """
    values = {k: v for k, v in values.items() if k in SETTINGS_FIELDS}
    if "name" in values:
        values["name"] = values["name"].strip()
        if not values["name"]:
            raise SetupError("name", "Give the program a name.")
        _check_name_free(session, program.organization_id, values["name"], program.id)
    if "timezone" in values:
        _check_timezone(values["timezone"])
    number = values.get("sms_number")
    if number:
        taken = session.scalar(
            select(Program.id).where(Program.sms_number == number, Program.id != program.id)
        )
        if taken is not None:
            # Deliberately vague: the other program may belong to another employer.
            raise SetupError(
                "sms_number", "This number is already used by another program. Each needs its own."
            )
    for key in ("quiet_start", "quiet_end"):
        if key in values and not sms_hours.is_time(values[key]):
            raise SetupError(key, "Use a time like 21:00.")
    changed = [k for k, v in values.items() if getattr(program, k) != v]
    if program.status != "draft" and "sms_number" in changed and not number:
        raise SetupError("sms_number", "A launched program needs its number.")
    for key in changed:
        setattr(program, key, values[key])
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        # A concurrent save took the number between our check and our write.
        raise SetupError(
            "sms_number", "This number is already used by another program. Each needs its own."
        ) from exc
    if changed:
        _audit(
            session,
            program,
            "program.settings",
            now,
            actor,
            object_type="program",
            object_id=program.id,
            details={"changed": sorted(changed)},
        )
    return changed


def parse_hours(rows: dict[str, tuple[bool, str, str]]) -> dict[str, list[list[str]]]:
    """Weekly hours from {day: (open, start, end)}; raises SetupError naming the day."""
    try:
        return sms_hours.parse_week(rows)
    except sms_hours.HoursError as exc:
        if exc.problem == "format":
            raise SetupError(
                exc.day, "Use times like 09:00 and 17:00 (24:00 for midnight)."
            ) from exc
        raise SetupError(exc.day, "The closing time must be after the opening time.") from exc


def parse_closed_dates(raw: str) -> list[str]:
    """Closed dates, one YYYY-MM-DD a line; raises SetupError on a bad line."""
    dates = []
    for line in (raw or "").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            dates.append(datetime.strptime(line, "%Y-%m-%d").date().isoformat())
        except ValueError as exc:
            raise SetupError(
                "closed_dates", f"“{line[:20]}” is not a date. Use the form 2026-12-25."
            ) from exc
    return sorted(set(dates))


def set_hours(
    session: Session,
    *,
    program: Program,
    hours: dict[str, list[list[str]]],
    closed_dates: list[str],
    now: datetime,
    actor,
) -> None:
    """Replace the weekly hours and closed days."""
    program.hours = hours
    program.closed_dates = closed_dates
    _audit(
        session,
        program,
        "program.hours",
        now,
        actor,
        object_type="program",
        object_id=program.id,
        details={
            "open_days": [d for d in WEEKDAYS if d in hours],
            "closed_dates": len(closed_dates),
        },
    )
    session.flush()


# -- texter-facing texts --------------------------------------------------------------


def placeholder_samples(program: Program) -> dict[str, str]:
    """What each placeholder becomes when this program sends a text (for counting)."""
    next_steps = (
        sms_texts.TEXTS["closed_kept"].default,
        sms_texts.TEXTS["closed_not_kept"].default,
    )
    return {
        "program": program.name,
        "hours": sms_hours.describe(program),
        "next_step": max(next_steps, key=len),
        "alias": "Alex",
    }


def set_texts(
    session: Session, *, program: Program, wordings: dict[str, str], now: datetime, actor
) -> list[str]:
    """Save reworded texts (blank or default: back to the default); returns keys changed."""
    overrides = dict(program.texts or {})
    for key, wording in wordings.items():
        if key not in sms_texts.EDITABLE:
            raise SetupError(key, "This text cannot be edited.")
        wording = (wording or "").replace("\r\n", "\n").strip()
        if not wording or wording == sms_texts.EDITABLE[key].default:
            overrides.pop(key, None)
            continue
        errors = sms_wording.text_errors(key, wording, placeholder_samples(program))
        if errors:
            raise SetupError(key, " ".join(errors))
        overrides[key] = wording
    changed = sorted(
        k for k in sms_texts.EDITABLE if (program.texts or {}).get(k) != overrides.get(k)
    )
    if changed:
        program.texts = overrides
        _audit(
            session,
            program,
            "program.texts",
            now,
            actor,
            object_type="program",
            object_id=program.id,
            details={"changed": changed},
        )
        session.flush()
    return changed


# -- topics ------------------------------------------------------------------------------


def reserved_keywords() -> frozenset[str]:
    """Words a texter sends as commands, and Twilio's own opt-out words, read
    from the dialog's keyword registry: a topic keyword must never shadow them."""
    return frozenset(KEYWORDS.words() | OPT_OUT_WORDS | OPT_IN_WORDS)


def parse_keywords(raw: str) -> list[str]:
    """Comma- or space-separated keywords, upper-cased; raises SetupError."""
    words = []
    for word in re.split(r"[,\s]+", raw or ""):
        if not word:
            continue
        if not _KEYWORD.match(word):
            raise SetupError(
                "keywords", f"“{word[:30]}” is not a keyword: use single words of letters."
            )
        word = word.upper()
        if word in reserved_keywords():
            raise SetupError(
                "keywords", f"{word} is a command texters already use; pick another word."
            )
        if word not in words:
            words.append(word)
    return words[:12]


def active_topics(program: Program) -> list[Topic]:
    return [t for t in program.topics if t.retired_at is None]


def _check_topic(session, program: Program, name: str, keywords: list[str], topic_id=None):
    if not name:
        raise SetupError("name", "Give the topic a name.")
    for other in program.topics:
        if other.id == topic_id:
            continue
        if other.name.strip().lower() == name.lower():
            raise SetupError("name", f"There is already a topic called “{other.name}”.")
        if other.retired_at is None:
            clash = set(keywords) & set(other.keywords or [])
            if clash:
                raise SetupError(
                    "keywords",
                    f"{', '.join(sorted(clash))} already leads to “{other.name}”.",
                )


def _renumber(program: Program) -> None:
    """Menu numbers follow the order of active topics: 1, 2, 3..."""
    ordered = sorted(program.topics, key=lambda t: (t.retired_at is not None, t.position, t.id))
    number = 0
    for position, topic in enumerate(ordered):
        topic.position = position
        if topic.retired_at is None:
            number += 1
            topic.menu_number = number


def add_topic(
    session: Session,
    *,
    program: Program,
    name: str,
    keywords: list[str],
    description: str | None,
    now: datetime,
    actor,
) -> Topic:
    """Add a topic at the end of the menu."""
    name = (name or "").strip()
    _check_topic(session, program, name, keywords)
    topic = Topic(
        program_id=program.id,
        name=name,
        keywords=keywords,
        description=(description or "").strip() or None,
        position=len(program.topics) + 1,
        menu_number=len(active_topics(program)) + 1,
    )
    program.topics.append(topic)
    _renumber(program)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise SetupError("name", "There is already a topic with this name.") from exc
    _audit(session, program, "topic.create", now, actor, object_type="topic", object_id=topic.id)
    return topic


def update_topic(
    session: Session,
    *,
    topic: Topic,
    name: str,
    keywords: list[str],
    description: str | None,
    now: datetime,
    actor,
) -> None:
    """Rename a topic or change its keywords and description."""
    program = topic.program
    name = (name or "").strip()
    _check_topic(session, program, name, keywords, topic_id=topic.id)
    changed = [
        k
        for k, v in (("name", name), ("keywords", keywords), ("description", description or None))
        if getattr(topic, k) != v
    ]
    topic.name, topic.keywords, topic.description = (
        name,
        keywords,
        (description or "").strip() or None,
    )
    session.flush()
    if changed:
        _audit(
            session,
            program,
            "topic.update",
            now,
            actor,
            object_type="topic",
            object_id=topic.id,
            details={"changed": changed},
        )


def move_topic(session: Session, *, topic: Topic, offset: int, now: datetime, actor) -> None:
    """Move an active topic up (-1) or down (+1) the menu."""
    program = topic.program
    ordered = active_topics(program)
    if topic.retired_at is not None or topic not in ordered:
        return  # a retired topic has no place on the menu to move from
    target = ordered.index(topic) + offset
    if not 0 <= target < len(ordered):
        return
    other = ordered[target]
    topic.position, other.position = other.position, topic.position
    _renumber(program)
    session.flush()
    _audit(session, program, "topic.move", now, actor, object_type="topic", object_id=topic.id,
           details={"menu_number": topic.menu_number})  # fmt: skip


def retire_topic(session: Session, *, topic: Topic, now: datetime, actor) -> None:
    """Take a topic off the menu; past conversations keep it."""
    if topic.retired_at is not None:
        return
    program = topic.program
    topic.retired_at = now
    _renumber(program)
    session.flush()
    _audit(session, program, "topic.retire", now, actor, object_type="topic", object_id=topic.id)


def restore_topic(session: Session, *, topic: Topic, now: datetime, actor) -> None:
    """Put a retired topic back at the end of the menu."""
    if topic.retired_at is None:
        return
    program = topic.program
    clash = {
        k for t in active_topics(program) for k in (t.keywords or []) if k in (topic.keywords or [])
    }
    if clash:
        raise SetupError("keywords", f"{', '.join(sorted(clash))} now leads to another topic.")
    topic.retired_at = None
    topic.position = len(program.topics) + 1
    _renumber(program)
    session.flush()
    _audit(session, program, "topic.restore", now, actor, object_type="topic", object_id=topic.id)


# -- the launch checklist ---------------------------------------------------------------


@dataclass
class CheckItem:
    key: str
    label: str
    done: bool
    blocking: bool = True
    detail: str = ""
    fix_endpoint: str | None = None

    @property
    def css(self) -> str:
        return "done" if self.done else ("todo" if self.blocking else "warn")


@dataclass
class Checklist:
    items: list[CheckItem] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(item.done for item in self.items if item.blocking)

    @property
    def blocking(self) -> list[CheckItem]:
        return [item for item in self.items if item.blocking and not item.done]

    @property
    def warnings(self) -> list[CheckItem]:
        return [item for item in self.items if not item.blocking and not item.done]


def certified_peers(session: Session, program: Program, now: datetime) -> list[PeerProfile]:
    """Active volunteers of the program who are certified right now."""
    profiles = session.scalars(
        select(PeerProfile)
        .join(User, User.id == PeerProfile.user_id)
        .where(PeerProfile.program_id == program.id, User.active.is_(True))
    ).all()
    return [p for p in profiles if is_certified(session, p.id, now)]


def checklist(session: Session, program: Program, now: datetime) -> Checklist:
    """What must be true before `program` can go live, and what is only advised."""
    topics = active_topics(program)
    required_modules = session.scalar(
        select(func.count(TrainingModule.id)).where(
            TrainingModule.program_id == program.id,
            TrainingModule.required.is_(True),
            TrainingModule.retired_at.is_(None),
        )
    )
    contacts = session.scalar(
        select(func.count(EscalationContact.id)).where(EscalationContact.program_id == program.id)
    )
    peers = certified_peers(session, program, now)
    items = [
        CheckItem(
            "sms_number",
            "SMS number set",
            bool(program.sms_number),
            detail="The number employees text.",
            fix_endpoint="admin.settings",
        ),
        CheckItem(
            "topics",
            "At least one topic",
            bool(topics),
            detail=f"{len(topics)} active topic{'s' if len(topics) != 1 else ''}.",
            fix_endpoint="admin.topics",
        ),
        CheckItem(
            "training",
            "Training published",
            bool(program.training_published_at and required_modules),
            detail=f"{required_modules} required module{'s' if required_modules != 1 else ''}.",
            fix_endpoint="training.program",
        ),
        CheckItem(
            "peers",
            "At least one certified peer",
            bool(peers),
            detail=f"{len(peers)} certified peer{'s' if len(peers) != 1 else ''}.",
            fix_endpoint="admin.volunteers_page",
        ),
        CheckItem(
            "contacts",
            "An escalation contact for crisis alerts",
            bool(contacts),
            detail=f"{contacts} contact{'s' if contacts != 1 else ''}.",
            fix_endpoint="admin.contacts_page",
        ),
    ]
    for topic in topics:
        covered = any(p.accepts_any_topic or topic in p.topics for p in peers)
        if not covered:
            items.append(
                CheckItem(
                    f"topic:{topic.id}",
                    f"No certified peer covers “{topic.name}” yet",
                    False,
                    blocking=False,
                    detail="Texters who pick it will wait until a peer who takes it is free.",
                    fix_endpoint="admin.volunteers_page",
                )
            )
    return Checklist(items)


# -- program states ---------------------------------------------------------------------

ACTIONS = {"launch": "live", "pause": "paused", "resume": "live", "close": "closed"}


def change_status(
    session: Session, *, program: Program, action: str, now: datetime, actor
) -> Checklist | None:
    """Launch, pause, resume or close; returns the checklist when it blocks a launch."""
    new = ACTIONS[action]
    if new == "live":
        ready = checklist(session, program, now)
        if not ready.ready:
            return ready
    states.PROGRAM.check(program.status, new)
    values: dict = {}
    if new == "live" and program.launched_at is None:
        values["launched_at"] = now
    moved = states.transition(
        session,
        Program,
        program.id,
        states.PROGRAM,
        new,
        attr="status",
        synchronize_session=False,
        **values,
    )
    session.refresh(program)
    if moved != 1:
        raise states.IllegalTransition(f"program: already {program.status}")
    _audit(
        session,
        program,
        f"program.{action}",
        now,
        actor,
        object_type="program",
        object_id=program.id,
        details={"status": new},
    )
    session.flush()
    return None


def send_test_sms(
    session: Session,
    *,
    program: Program,
    contact: EscalationContact,
    now: datetime,
    actor,
    dispatcher,
):
    """Queue the test text to an escalation contact through the real outbox."""
    if contact.program_id != program.id or not contact.phone_encrypted:
        raise SetupError("contact_id", "Pick an escalation contact with a phone number.")
    message = queue_sms(
        session,
        program=program,
        body=sms_texts.for_program("test_sms", program),
        now=now,
        dispatcher=dispatcher,
        recipient="contact",
        contact_id=contact.id,
        kind="test",
    )
    _audit(
        session,
        program,
        "sms.test",
        now,
        actor,
        object_type="escalation_contact",
        object_id=contact.id,
        details={"message_id": message.id},
    )
    return message
