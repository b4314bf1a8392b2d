"""Program setup: create and edit a program, its settings, texts and hours, and its
state changes (draft -> live -> paused -> closed). The topic menu is in
`topics`, the launch checklist in `launch`, the test SMS in `test_sms`.

Every function takes the session, the program, `now` and the acting user,
writes an audit event naming what changed (never values such as phone
numbers or texter-facing wording), and leaves the commit to the caller.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peerwork import hours as sms_hours
from peerwork.admin.defaults import DEFAULT_RESOURCES
from peerwork.admin.launch import Checklist, checklist
from peerwork.admin.setup_common import SetupError, record_change
from peerwork.checkins.defaults import install_defaults
from peerwork.languages import DEFAULT as DEFAULT_LANGUAGE
from peerwork.languages import FALLBACKS, join_list
from peerwork.models import WAIT_ALERT_MINUTES, WEEKDAYS, Program, Resource, states
from peerwork.sms import texts as sms_texts
from peerwork.sms import wording as sms_wording
from peerwork.training.curriculum import install_default_curriculum

SETTINGS_FIELDS = (
    "name",
    "sms_number",
    "timezone",
    "offer_timeout_seconds",
    "wave_size",
    "max_waves",
    "default_capacity",
    "keep_requests_after_hours",
    "wait_alert_minutes",
    "checkin_default",
    "quiet_start",
    "quiet_end",
    "retention_days",
    "languages",
    "language_fallback",
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
    record_change(
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
    if "languages" in values:
        # A list of codes from the form; English is always offered.
        values["languages"] = join_list([DEFAULT_LANGUAGE, *values["languages"]])
    if values.get("language_fallback", "anyone") not in FALLBACKS:
        raise SetupError("language_fallback", "Choose what happens when no peer speaks it.")
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
    if "wait_alert_minutes" in values:
        # After this many minutes supervisors are alerted and the texter hears an
        # honest update (`safety.escalation.raise_wait_alerts`).
        low, high = WAIT_ALERT_MINUTES
        minutes = values["wait_alert_minutes"]
        if not isinstance(minutes, int) or not low <= minutes <= high:
            raise SetupError("wait_alert_minutes", f"Use {low} to {high} minutes.")
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
        record_change(
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
    record_change(
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
        record_change(
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
    record_change(
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
