"""A volunteer's profile: alias, topics, capacity, weekly hours, alert phone, the switch.

Domain functions take the session, ids, `now` and collaborators, flush, and
leave the commit to the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork import audit, phones
from peerwork.hours import DAY_NAMES, HoursError, form_end, parse_week
from peerwork.languages import LANGUAGES, join_list
from peerwork.matching import eligibility, offers
from peerwork.models import WEEKDAYS, PeerProfile, Program, Topic, User

_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9 .'-]{1,29}$")


class ProfileError(ValueError):
    """Profile input that cannot be saved; `field` names the form field to mark."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class DayHours:
    day: str
    on: bool
    start: str
    end: str


def parse_availability(rows: list[DayHours]) -> dict[str, list[list[str]]]:
    """Weekly hours from per-day rows; `end` 00:00 means midnight. Raises ProfileError."""
    try:
        hours = parse_week({row.day: (row.on, row.start, row.end) for row in rows})
    except HoursError as exc:
        label = DAY_NAMES[exc.day]
        if exc.problem == "format":
            raise ProfileError(
                f"{exc.day}_start", f"{label}: enter times like 09:00 and 17:30."
            ) from exc
        raise ProfileError(
            f"{exc.day}_end", f"{label}: the end time must be after the start."
        ) from exc
    if not hours:
        raise ProfileError("mon_on", "Choose at least one day when you can take conversations.")
    return hours


def alias_problem(alias: str, real_name: str) -> str | None:
    """Why an alias cannot be used, or None. Texters see it, so no real names."""
    alias = " ".join(alias.split())
    if not _ALIAS.match(alias):
        return "Use 2 to 30 letters, digits, spaces, dots, apostrophes or hyphens, starting with a letter."
    alias_words = {w.lower() for w in re.split(r"[\s.'-]+", alias) if w}
    name_words = {w.lower() for w in re.split(r"[\s.'-]+", real_name or "") if len(w) >= 3}
    if alias.lower() == (real_name or "").strip().lower() or alias_words & name_words:
        return "That looks like your real name. Texters see your alias, so pick a different one."
    return None


def save_profile(
    session: Session,
    *,
    peer_profile_id: int,
    alias: str,
    topic_ids: list[int],
    any_topic: bool,
    capacity: int,
    availability: dict[str, list[list[str]]],
    alert_phone: str | None,
    sms_alerts: bool,
    now: datetime,
    vault,
    spoken: list[str] | None = None,
    locale: str | None = None,
) -> PeerProfile:
    """Validate and save the profile; the first complete save finishes onboarding.

    `spoken`: the languages they can hold a conversation in (None keeps them);
    `locale`: the language of their pages ("" follows the browser; None keeps it).
    """
    profile = session.get(PeerProfile, peer_profile_id)
    user = session.get(User, profile.user_id)
    program = session.get(Program, profile.program_id)
    alias = " ".join((alias or "").split())
    problem = alias_problem(alias, user.name)
    if problem:
        raise ProfileError("alias", problem)
    taken = session.scalar(
        select(PeerProfile.id).where(
            PeerProfile.program_id == profile.program_id,
            PeerProfile.alias == alias,
            PeerProfile.id != profile.id,
        )
    )
    if taken is not None:
        raise ProfileError("alias", "Another peer in this program already uses that alias.")
    topics = session.scalars(
        select(Topic).where(
            Topic.program_id == profile.program_id,
            Topic.id.in_(topic_ids or [-1]),
            Topic.retired_at.is_(None),
        )
    ).all()
    if not any_topic and not topics:
        raise ProfileError("topics", "Choose at least one topic, or say you can take any topic.")
    if not 1 <= capacity <= 20:
        raise ProfileError("capacity", "Capacity is between 1 and 20 conversations at once.")
    if alert_phone and alert_phone.strip():
        try:
            e164 = phones.normalize(alert_phone)
        except phones.InvalidPhoneNumber as exc:
            raise ProfileError("alert_phone", str(exc)) from exc
        profile.alert_phone_encrypted = vault.encrypt(e164)
    elif not sms_alerts:
        profile.alert_phone_encrypted = None
    if sms_alerts and profile.alert_phone_encrypted is None:
        raise ProfileError(
            "alert_phone", "Add a phone number to get text alerts, or turn them off."
        )
    if spoken is not None:
        if not [code for code in spoken if code in LANGUAGES]:
            raise ProfileError("languages", "Choose at least one language you can talk in.")
        profile.languages = join_list(spoken)
    if locale is not None:
        user.locale = locale if locale in LANGUAGES else None
    profile.alias = alias
    profile.topics = list(topics)
    profile.accepts_any_topic = any_topic
    profile.capacity = capacity
    profile.availability = availability
    profile.sms_alerts = sms_alerts
    first_time = profile.onboarded_at is None
    if first_time:
        profile.onboarded_at = now
    session.flush()
    audit.record(
        session,
        organization_id=program.organization_id,
        program_id=program.id,
        action="peer.onboarded" if first_time else "peer.profile_updated",
        now=now,
        actor=user,
        object_type="peer_profile",
        object_id=profile.id,
        details={"capacity": capacity, "topics": len(topics), "any_topic": any_topic},
    )
    return profile


def readiness(session: Session, peer_profile_id: int, now: datetime) -> list[str]:
    """What still stands between this peer and being offered requests (empty: ready)."""
    profile = session.get(PeerProfile, peer_profile_id)
    user = session.get(User, profile.user_id)
    missing = []
    if not user.active:
        missing.append("Your account is not active.")
    if profile.onboarded_at is None or not profile.profile_complete:
        missing.append("Finish your profile.")
    if not eligibility.is_certified(session, peer_profile_id, now):
        missing.append("Pass every required training module.")
    return missing


def set_available(
    session: Session, *, peer_profile_id: int, available: bool, now: datetime, dispatcher
) -> PeerProfile:
    """Flip the "available now" switch; switching on offers waiting requests at once."""
    profile = session.get(PeerProfile, peer_profile_id)
    if available:
        missing = readiness(session, peer_profile_id, now)
        if missing:
            raise ProfileError("available", " ".join(missing))
    profile.available = available
    # The roster's "last active" reads this (with sign-ins and replies).
    profile.user.last_seen_at = now
    session.flush()
    if available:
        offers.wake_waiting(session, program_id=profile.program_id, now=now, dispatcher=dispatcher)
    return profile


def availability_rows(profile: PeerProfile) -> list[DayHours]:
    """The saved weekly hours as one row per weekday (for the form)."""
    rows = []
    for day in WEEKDAYS:
        spans = (profile.availability or {}).get(day) or []
        if spans:
            start, end = spans[0]
            rows.append(DayHours(day, True, start, form_end(end)))
        else:
            rows.append(DayHours(day, False, "09:00", "17:00"))
    return rows
