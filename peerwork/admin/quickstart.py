"""The quick start: a program ready to launch from one short form.

It asks only what nobody else can know (the program's name and timezone, its
SMS number, who gets crisis alerts, who volunteers) and fills in the rest with
the defaults a program would otherwise be set up with page by page: weekday
hours, the default texts and settings, a starter topic menu, the default
curriculum published, and the national crisis lines as resources. It goes
through the same domain functions as the full pages (`programs`, `topics`,
`contacts`, `volunteers`, training's `publish_training`), so every rule and
audit event is the same; launching still takes the same checklist. Nothing
is committed here: the caller commits once, so a refused answer leaves
nothing half made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from peerwork.admin import contacts, programs, topics, volunteers
from peerwork.admin.defaults import DEFAULT_TOPICS
from peerwork.admin.setup_common import SetupError, record_change
from peerwork.models import Program
from peerwork.training.authoring import AuthoringError, publish_training


@dataclass(frozen=True)
class Contact:
    name: str
    phone_e164: str
    field_prefix: str  # the form's fields for this contact, e.g. "contact" -> contact_name


@dataclass
class QuickStartResult:
    program: Program
    invites: list[volunteers.InviteOutcome] = field(default_factory=list)


def quick_start(
    session: Session,
    *,
    organization_id: int,
    name: str,
    timezone: str,
    sms_number: str,
    escalation_contacts: list[Contact],
    emails: list[str],
    secret_key: str,
    invite_max_age_seconds: int,
    vault,
    now: datetime,
    actor,
) -> QuickStartResult:
    """Create a program with the defaults, its number, contacts and volunteer invites."""
    if not escalation_contacts:
        raise SetupError("contact_name", "Name at least one person who gets crisis alerts.")
    program = programs.create_program(
        session, organization_id=organization_id, name=name, timezone=timezone, now=now, actor=actor
    )
    programs.update_settings(
        session, program=program, values={"sms_number": sms_number}, now=now, actor=actor
    )
    for topic_name, words in DEFAULT_TOPICS:
        topics.add_topic(
            session,
            program=program,
            name=topic_name,
            keywords=topics.parse_keywords(", ".join(words)),
            description=None,
            now=now,
            actor=actor,
        )
    try:
        publish_training(session, program_id=program.id, now=now, actor=actor)
    except AuthoringError as exc:  # the default curriculum always publishes; say so if not
        raise SetupError("name", str(exc)) from exc
    for contact in escalation_contacts:
        try:
            contacts.add_contact(
                session,
                program=program,
                name=contact.name,
                phone_e164=contact.phone_e164,
                user_id=None,
                is_backup=False,
                vault=vault,
                now=now,
                actor=actor,
            )
        except SetupError as exc:
            raise SetupError(f"{contact.field_prefix}_{exc.field}", exc.message) from exc
    invites = []
    if emails:
        invites = volunteers.invite_volunteers(
            session,
            program=program,
            emails=emails,
            secret_key=secret_key,
            max_age_seconds=invite_max_age_seconds,
            now=now,
            actor=actor,
        )
    record_change(
        session,
        program,
        "program.quick_start",
        now,
        actor,
        object_type="program",
        object_id=program.id,
        details={"contacts": len(escalation_contacts), "invites": len(invites)},
    )
    session.flush()
    return QuickStartResult(program=program, invites=invites)
