"""The inbound webhook's domain half: route, store, assess, answer at once.

Everything here runs inside the webhook request and must stay fast: a few
indexed queries, no network. What needs matching or other slow work is left
for the `process_inbound` job (the message keeps `processed_at` NULL until
then, and a sweep finds any whose job was lost).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peerwork import hours
from peerwork.models import Message, Program, Texter
from peerwork.privacy.crypto import new_pseudonym
from peerwork.queue import DEFAULT, URGENT
from peerwork.safety.detect import assess
from peerwork.safety.escalation import handle_crisis_message
from peerwork.sms import segments
from peerwork.texter import dialog
from peerwork.texter.turn import Turn, crisis_reply

log = logging.getLogger(__name__)


@dataclass
class InboundResult:
    outcome: str  # accepted, duplicate, unknown_number
    message_id: int | None = None
    replies: list[str] = field(default_factory=list)
    needs_processing: bool = False
    is_crisis: bool = False


@dataclass(frozen=True)
class ProgramCard:
    """What the webhook needs of a program when the database is unreachable."""

    id: int
    crisis_phrases: dict[str, list[str]] | None


# Program number -> card, kept in this process after first use, so that a
# crisis text still gets its crisis reply while the database is down.
_PROGRAM_CARDS: dict[str, ProgramCard] = {}


def known_program(number: str) -> ProgramCard | None:
    """The program card for this number, if this process has seen it (no database)."""
    return _PROGRAM_CARDS.get(number.strip())


def program_for_number(session: Session, number: str) -> Program | None:
    """The program whose SMS number received the text."""
    program = session.scalar(select(Program).where(Program.sms_number == number.strip()))
    if program is not None:
        phrases = program.crisis_phrases
        _PROGRAM_CARDS[number.strip()] = ProgramCard(
            program.id, {k: list(v) for k, v in phrases.items()} if phrases else None
        )
    return program


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
    answered: list[str] | None = None,
) -> InboundResult:
    """Store one inbound text exactly once and decide the immediate replies.

    The caller commits, then enqueues `process_inbound` when `needs_processing`.
    `answered`: the text arrived while the database was down and was kept
    aside (peerwork.texter.outage) after these replies went out in the
    TwiML answer (its crisis reply, if any); they are recorded as sent, and
    every other reply now goes through the outbox.
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
    turn = Turn(
        session=session,
        program=program,
        texter=texter,
        message=message,
        now=now,
        dispatcher=dispatcher,
        immediate=True,
    )
    no_peer_on = texter.dialog_state != "connected" and not hours.is_open(program, now)
    late = answered is not None
    if late:
        for body_sent in answered:
            turn.record_sent(body_sent, kind="crisis" if assessment.is_crisis else "system")
        turn.immediate = False  # nobody is waiting for a TwiML answer any more
    if assessment.is_crisis and not (late and answered):
        # Always, first, and with no dependency on Redis or rate limits; in
        # Spanish when the message is (988 and 741741 answer in Spanish too).
        crisis_reply(turn, language=assessment.language)
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


# -- the job's half --------------------------------------------------------------------


def process_inbound(session: Session, *, message_id: int, now: datetime, dispatcher) -> int:
    """Run the dialog for this message and any earlier unprocessed ones of its texter, in order."""
    message = session.get(Message, message_id)
    if message is None or message.direction != "inbound" or message.texter_id is None:
        return 0
    # One texter's messages are handled one at a time, oldest first.
    texter = session.get(Texter, message.texter_id, with_for_update=True, populate_existing=True)
    program = session.get(Program, message.program_id)
    pending = session.scalars(
        select(Message)
        .where(
            Message.texter_id == texter.id,
            Message.direction == "inbound",
            Message.processed_at.is_(None),
            Message.id <= message_id,
        )
        .order_by(Message.id)
    ).all()
    handled = 0
    for item in pending:
        claimed = session.execute(
            update(Message)
            .where(Message.id == item.id, Message.processed_at.is_(None))
            .values(processed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        turn = Turn(
            session=session,
            program=program,
            texter=texter,
            message=item,
            now=now,
            dispatcher=dispatcher,
        )
        dialog.handle(turn)
        if item.is_crisis:
            handle_crisis_message(session, message_id=item.id, now=now, dispatcher=dispatcher)
        handled += 1
    return handled


def enqueue_inbound(dispatcher, message_id: int, *, crisis: bool = False):
    """Hand a stored inbound message to the dialog job."""
    return dispatcher.enqueue(
        process_inbound,
        message_id,
        queue=URGENT if crisis else DEFAULT,
        job_id=f"process-inbound-{message_id}",
    )


def sweep_inbound(session: Session, *, now: datetime, after: timedelta, dispatcher) -> int:
    """Re-enqueue inbound messages whose dialog job never ran (Redis was down)."""
    rows = session.execute(
        select(Message.id, Message.is_crisis).where(
            Message.direction == "inbound",
            Message.processed_at.is_(None),
            Message.created_at < now - after,
        )
    ).all()
    for message_id, is_crisis in rows:
        enqueue_inbound(dispatcher, message_id, crisis=is_crisis)
    if rows:
        log.info("inbound sweep re-enqueued %d message(s)", len(rows))
    return len(rows)
