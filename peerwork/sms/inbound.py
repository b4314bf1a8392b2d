"""The inbound webhook's domain half: route, store, assess, answer at once.

Everything here runs inside the webhook request and must stay fast: a few
indexed queries, no network. What needs matching or other slow work is left
for the `process_inbound` job (the message keeps `processed_at` NULL until
then, and a sweep finds any whose job was lost).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peerwork.models import Message, Program, Texter
from peerwork.privacy.crypto import new_pseudonym
from peerwork.safety.detect import assess
from peerwork.safety.escalation import handle_crisis_message
from peerwork.sms import dialog, hours, segments

log = logging.getLogger(__name__)


@dataclass
class InboundResult:
    outcome: str  # accepted, duplicate, unknown_number
    message_id: int | None = None
    replies: list[str] = field(default_factory=list)
    needs_processing: bool = False
    is_crisis: bool = False


def program_for_number(session: Session, number: str) -> Program | None:
    """The program whose SMS number received the text."""
    return session.scalar(select(Program).where(Program.sms_number == number.strip()))


def find_texter(session: Session, *, program_id: int, phone: str, vault) -> Texter | None:
    """A program's texter by the keyed hash of their number."""
    return session.scalar(
        select(Texter).where(
            Texter.program_id == program_id, Texter.phone_hash == vault.lookup_hash(phone)
        )
    )


def find_or_create_texter(
    session: Session, *, program_id: int, phone: str, now: datetime, vault
) -> tuple[Texter, bool]:
    """The texter for this number, created (encrypted, pseudonymous) on first contact."""
    texter = find_texter(session, program_id=program_id, phone=phone, vault=vault)
    if texter is not None:
        return texter, False
    taken = set(session.scalars(select(Texter.pseudonym).where(Texter.program_id == program_id)))
    texter = Texter(
        program_id=program_id,
        phone_encrypted=vault.encrypt(phone),
        phone_hash=vault.lookup_hash(phone),
        pseudonym=new_pseudonym(taken),
        dialog_state="new",
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(texter)
    except IntegrityError:
        # The same number's first two texts raced; the other request created it.
        existing = find_texter(session, program_id=program_id, phone=phone, vault=vault)
        if existing is None:
            raise
        return existing, False
    return texter, True


def _duplicate(session: Session, message_sid: str) -> InboundResult | None:
    """A repeated delivery: the first delivery's answer again, nothing stored or queued."""
    first = session.execute(
        select(Message.id, Message.twiml_replies).where(Message.twilio_sid == message_sid)
    ).first()
    if first is None:
        return None
    return InboundResult("duplicate", message_id=first.id, replies=list(first.twiml_replies or ()))


def receive(
    session: Session,
    *,
    to: str,
    from_: str,
    body: str,
    message_sid: str,
    now: datetime,
    vault,
    dispatcher=None,
) -> InboundResult:
    """Store one inbound text exactly once and decide the immediate replies.

    The caller commits, then enqueues `process_inbound` when `needs_processing`.
    """
    program = program_for_number(session, to)
    if program is None:
        log.warning("inbound text for a number that belongs to no program; ignored")
        return InboundResult("unknown_number")
    duplicate = _duplicate(session, message_sid)
    if duplicate is not None:
        return duplicate
    texter, _created = find_or_create_texter(
        session, program_id=program.id, phone=from_, now=now, vault=vault
    )
    assessment = assess(body, program.crisis_phrases)
    message = Message(
        program_id=program.id,
        direction="inbound",
        author="texter",
        kind="relay",
        texter_id=texter.id,
        body=body,
        segments=segments.segments(body),
        is_crisis=assessment.is_crisis,
        twilio_sid=message_sid,
        status="received",
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        # Twilio retried while the first delivery was still being stored; once
        # the unique index let us know, the first delivery has committed.
        return _duplicate(session, message_sid) or InboundResult("duplicate")
    texter.last_inbound_at = now
    turn = dialog.Turn(
        session=session,
        program=program,
        texter=texter,
        message=message,
        now=now,
        dispatcher=dispatcher,
        immediate=True,
    )
    no_peer_on = texter.dialog_state != "connected" and not hours.is_open(program, now)
    if assessment.is_crisis:
        # Always, first, and with no dependency on Redis or rate limits; in
        # Spanish when the message is (988 and 741741 answer in Spanish too).
        dialog.crisis_reply(turn, language=assessment.language)
    done = dialog.immediate(turn)
    if done:
        message.processed_at = now
    message.twiml_replies = list(turn.replies)
    session.flush()
    if assessment.is_crisis and no_peer_on and dispatcher is not None:
        # No peer is on duty: the escalation contacts are the humans on call, and
        # they hear now, not when a job runs (the job's call finds this alert).
        handle_crisis_message(session, message_id=message.id, now=now, dispatcher=dispatcher)
    if assessment.is_crisis:
        log.warning(
            "crisis message %s received (category %s, language %s, %s)",
            message.id,
            assessment.category,
            assessment.language,
            assessment.reason,
        )
    return InboundResult(
        "accepted",
        message_id=message.id,
        replies=turn.replies,
        needs_processing=not done,
        is_crisis=assessment.is_crisis,
    )
