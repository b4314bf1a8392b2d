"""Crisis plans (recovery roadmaps): filled in with a peer, kept encrypted, sent by SMS.

The plan is one JSON document encrypted as a whole with the data vault, so
nothing of it is readable in the database. A peer edits it only from a
conversation they hold; the texter receives it by SMS when it is saved and
whenever they text PLAN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork.models import Conversation, CrisisPlan, Message, Program, Texter
from peerwork.sms import segments, texts
from peerwork.sms.outbox import queue_sms


@dataclass(frozen=True)
class PlanSection:
    key: str
    label: str
    hint: str


SECTIONS: tuple[PlanSection, ...] = (
    PlanSection(
        "warning_signs",
        "Warning signs",
        "Thoughts, feelings or situations that tell them a hard time may be coming.",
    ),
    PlanSection(
        "things_that_help",
        "Things that help",
        "What they can do on their own to feel a bit better: a walk, music, a skill card.",
    ),
    PlanSection(
        "people_and_places",
        "People and places",
        "Who they can call or be with, and places that feel safe or calming.",
    ),
    PlanSection(
        "contacts",
        "Professional and crisis contacts",
        "Their doctor or counselor, the EAP, and crisis lines such as 988.",
    ),
)
SECTION_MAX_CHARS = 300
PLAN_MAX_SEGMENTS = texts.TEXTS["plan"].max_segments
# Phone keyboards type curly quotes and dashes; straight ones keep the SMS GSM-7 and cheap.
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
    }
)


class PlanError(Exception):
    """A plan that cannot be saved; the message is safe to show the peer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def clean(sections: dict[str, str]) -> dict[str, str]:
    """The plan's sections trimmed, with typographic punctuation made plain."""
    out = {}
    for section in SECTIONS:
        value = " ".join((sections.get(section.key) or "").translate(_PLAIN).split())
        out[section.key] = value
    return out


def render(plan: dict[str, str], language: str = "en") -> str:
    """The plan as SMS lines: one 'Label: text' line per filled section, labels in `language`."""
    return "\n".join(
        f"{texts.render('plan_label_' + section.key, language=language)}: {plan[section.key]}"
        for section in SECTIONS
        if plan.get(section.key)
    )


def plan_sms(program: Program, plan: dict[str, str], language: str = "en") -> str:
    """The whole text the texter receives for this plan, in their language."""
    return texts.for_program("plan", program, language=language, plan=render(plan, language))


def _language_of(session: Session, texter_id: int) -> str:
    texter = session.get(Texter, texter_id)
    return texter.language if texter is not None else "en"


def load(session: Session, *, texter_id: int, vault) -> dict[str, str] | None:
    """The texter's plan, decrypted; None when they have none."""
    row = session.scalar(select(CrisisPlan).where(CrisisPlan.texter_id == texter_id))
    if row is None:
        return None
    stored = json.loads(vault.decrypt(row.content_encrypted))
    return {section.key: stored.get(section.key, "") for section in SECTIONS}


def send(
    session: Session,
    *,
    program: Program,
    texter_id: int,
    plan: dict[str, str],
    now: datetime,
    dispatcher,
) -> Message:
    """Queue the plan to the texter by SMS."""
    return queue_sms(
        session,
        program=program,
        body=plan_sms(program, plan, _language_of(session, texter_id)),
        now=now,
        dispatcher=dispatcher,
        texter_id=texter_id,
        kind="plan",
    )


def save(
    session: Session,
    *,
    conversation_id: int,
    peer_profile_id: int,
    sections: dict[str, str],
    now: datetime,
    dispatcher,
    vault,
    send_now: bool = True,
) -> CrisisPlan:
    """Save the texter's plan from the peer's conversation, and text it to them."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.peer_profile_id != peer_profile_id:
        raise PlanError("This conversation is not one of yours.")
    if conversation.state != "active":
        raise PlanError("This conversation has ended; the plan can no longer be changed here.")
    plan = clean(sections)
    if not any(plan.values()):
        raise PlanError("Fill in at least one part of the plan.")
    for section in SECTIONS:
        if len(plan[section.key]) > SECTION_MAX_CHARS:
            raise PlanError(
                f"'{section.label}' is too long ({len(plan[section.key])} characters; "
                f"the limit is {SECTION_MAX_CHARS})."
            )
    program = session.get(Program, conversation.program_id)
    cost = segments.count(plan_sms(program, plan, _language_of(session, conversation.texter_id)))
    if cost.segments > PLAN_MAX_SEGMENTS:
        raise PlanError(
            f"The plan would take {cost.segments} text messages; shorten it to "
            f"{PLAN_MAX_SEGMENTS} or fewer."
        )
    encrypted = vault.encrypt(json.dumps(plan, sort_keys=True))
    row = session.scalar(
        select(CrisisPlan).where(CrisisPlan.texter_id == conversation.texter_id).with_for_update()
    )
    if row is None:
        row = CrisisPlan(
            program_id=program.id,
            texter_id=conversation.texter_id,
            created_at=now,
            content_encrypted=encrypted,
        )
        session.add(row)
    row.content_encrypted = encrypted
    row.conversation_id = conversation.id
    row.peer_profile_id = peer_profile_id
    row.updated_at = now
    session.flush()
    texter = session.get(Texter, conversation.texter_id)
    if send_now and not texter.opted_out:
        send(
            session, program=program, texter_id=texter.id, plan=plan, now=now, dispatcher=dispatcher
        )
    return row
