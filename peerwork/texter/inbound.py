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

from sqlalchemy import and_, bindparam, select, text, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from peerwork import hours
from peerwork.db import LONE_WRITE
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
# crisis text still gets its crisis reply while the database is down. Every
# webhook that reaches the database refreshes it (it costs no statement: the
# program comes with the texter in the webhook's one SELECT), so a change of
# number or crisis phrases is picked up by the next text.
_PROGRAM_CARDS: dict[str, ProgramCard] = {}

# Draws of a pseudonym before giving up (each repeat is one in nine at 100,000
# texters: twenty in a row do not happen).
PSEUDONYM_DRAWS = 20


def known_program(number: str) -> ProgramCard | None:
    """The program card for this number, if this process has seen it (no database)."""
    return _PROGRAM_CARDS.get(number.strip())


def _remember(number: str, program: Program) -> None:
    _remember_card(number, program.id, program.crisis_phrases)


def _remember_card(number: str, program_id: int, phrases: dict | None) -> None:
    known = _PROGRAM_CARDS.get(number)
    if known is not None and known.id == program_id and known.crisis_phrases == (phrases or None):
        return
    copied = {k: list(v) for k, v in phrases.items()} if phrases else None
    _PROGRAM_CARDS[number] = ProgramCard(program_id, copied)


def program_for_number(session: Session, number: str) -> Program | None:
    """The program whose SMS number received the text."""
    program = session.scalar(select(Program).where(Program.sms_number == number.strip()))
    if program is not None:
        _remember(number.strip(), program)
    return program


def find_texter(session: Session, *, program_id: int, phone: str, vault) -> Texter | None:
    """A program's texter by the keyed hash of their number."""
    return _texter_by_hash(session, program_id=program_id, phone_hash=vault.lookup_hash(phone))


def _texter_by_hash(session: Session, *, program_id: int, phone_hash: str) -> Texter | None:
    return session.scalar(
        select(Texter).where(Texter.program_id == program_id, Texter.phone_hash == phone_hash)
    )


# Built once: constructing the statement (and its cache key from new
# literals) on every webhook cost a quarter of the statement's CPU time.
_PROGRAM_AND_TEXTER = (
    select(Program, Texter)
    .outerjoin(
        Texter,
        and_(Texter.program_id == Program.id, Texter.phone_hash == bindparam("phone_hash")),
    )
    .where(Program.sms_number == bindparam("number"))
)


def _program_and_texter(
    session: Session, *, number: str, phone_hash: str
) -> tuple[Program, Texter | None] | None:
    """The program texted and its texter with this number, if any: one statement."""
    row = session.execute(_PROGRAM_AND_TEXTER, {"number": number, "phone_hash": phone_hash}).first()
    return None if row is None else (row[0], row[1])


_PROGRAMS, _TEXTERS = Program.__table__, Texter.__table__

# The webhook's first look, plain columns (no ORM objects): enough to store a
# returning texter's ordinary text, which is most of them (`_store_for_the_job`).
_FIRST_LOOK = (
    select(
        _PROGRAMS.c.id,
        _PROGRAMS.c.crisis_phrases,
        _TEXTERS.c.id.label("texter_id"),
        _TEXTERS.c.dialog_state,
    )
    .select_from(
        _PROGRAMS.outerjoin(
            _TEXTERS,
            and_(
                _TEXTERS.c.program_id == _PROGRAMS.c.id,
                _TEXTERS.c.phone_hash == bindparam("phone_hash"),
            ),
        )
    )
    .where(_PROGRAMS.c.sms_number == bindparam("number"))
)


def _inbound_message(
    *, program_id: int, texter_id: int | None, body: str, message_sid: str, is_crisis: bool, now
) -> Message:
    """An inbound text's row, as both of the webhook's paths store it."""
    return Message(
        program_id=program_id,
        direction="inbound",
        author="texter",
        kind="relay",
        texter_id=texter_id,
        body=body,
        segments=segments.segments(body),
        is_crisis=is_crisis,
        twilio_sid=message_sid,
        status="received",
        created_at=now,
    )


# Every column of a plain inbound text that does not change from text to text,
# taken once from `_inbound_message` (so both paths store the same row).
_PLAIN_INBOUND: dict = {}


def _plain_inbound_values(
    *, program_id: int, texter_id: int, body: str, message_sid: str, now
) -> dict:
    if not _PLAIN_INBOUND:
        _PLAIN_INBOUND.update(
            _column_values(
                _inbound_message(
                    program_id=0, texter_id=0, body="", message_sid="", is_crisis=False, now=now
                )
            )
        )
    values = dict(_PLAIN_INBOUND)
    values.update(
        program_id=program_id,
        texter_id=texter_id,
        body=body,
        segments=segments.segments(body),
        twilio_sid=message_sid,
        created_at=now,
        twiml_replies=[],  # the job answers it: nothing went back in the TwiML
    )
    return values


def _store_for_the_job(
    session: Session, *, program_id: int, texter_id: int, body: str, message_sid: str, now
) -> InboundResult:
    """Store a text `dialog.immediate` would not act on: one INSERT, then the job's turn.

    What the ORM path does for the same text, without its objects: the same
    row (no reply in the TwiML, `processed_at` left for the job, the texter's
    row untouched), a repeated MessageSid found by the unique constraint.
    """
    values = _plain_inbound_values(
        program_id=program_id, texter_id=texter_id, body=body, message_sid=message_sid, now=now
    )
    message_id = _insert_unless_taken(session, Message, values, lone_write=True)
    if message_id is None:
        return _duplicate(session, message_sid) or InboundResult("duplicate")
    return InboundResult("accepted", message_id=message_id, needs_processing=True)


def _column_values(row) -> dict:
    """Every column of a new ORM object, unset ones filled with their plain defaults.

    Set on the object too: once it is attached as persistent (`_attach`) no
    attribute is left to load lazily.
    """
    values = {}
    for attr in sa_inspect(type(row)).column_attrs:
        if attr.key == "id":
            continue
        if attr.key not in row.__dict__:
            default = attr.columns[0].default
            setattr(
                row, attr.key, default.arg if default is not None and default.is_scalar else None
            )
        values[attr.key] = getattr(row, attr.key)
    return values


def _insert_unless_taken(
    session: Session, model, values: dict, *, lone_write: bool = False
) -> int | None:
    """INSERT one row unless a unique constraint already holds its twin: its new id, or None.

    ON CONFLICT DO NOTHING (PostgreSQL and SQLite): a conflict costs no
    SAVEPOINT and no failed transaction, and PostgreSQL waits for a racing
    transaction that holds the twin to finish before deciding.
    `lone_write`: nothing else is written in this transaction (see
    `peerwork.db.begin_at_first_write`).
    """
    table = model.__table__
    # NULLs are left out (the column's own NULL), unless the column has a
    # server default that an explicit NULL must override: fewer parameters to
    # send (a plain inbound text: 13 of 22).
    keep = _SERVER_DEFAULTS.get(table)
    if keep is None:
        keep = _SERVER_DEFAULTS[table] = {c.name for c in table.columns if c.server_default}
    values = {key: value for key, value in values.items() if value is not None or key in keep}
    cache_key = (table.name, tuple(values))
    statement = _INSERTS.get(cache_key)
    if statement is None:
        statement = _INSERTS[cache_key] = _insert_statement(table, values)
    options = {LONE_WRITE: True} if lone_write else None
    # On the session's connection (in its transaction), without the ORM's
    # execute machinery: a plain INSERT has nothing for it to do, and nothing
    # pending is flushed first.
    return session.connection().execute(statement, values, execution_options=options).scalar()


def _insert_statement(table, values: dict):
    # Written out as text with typed parameters: SQLAlchemy's dialect INSERTs
    # with ON CONFLICT have no cache key, so they were compiled on every request.
    columns = [column for column in table.columns if column.name in values]
    names = ", ".join(column.name for column in columns)
    params = ", ".join(f":{column.name}" for column in columns)
    return text(
        f"INSERT INTO {table.name} ({names}) VALUES ({params}) "  # noqa: S608 (names from the model)
        "ON CONFLICT DO NOTHING RETURNING id"
    ).bindparams(*(bindparam(column.name, type_=column.type) for column in columns))


_INSERTS: dict = {}  # (table name, the columns given) -> statement
_SERVER_DEFAULTS: dict = {}  # table -> names of its columns with a server default


def _attach(session: Session, row, row_id: int) -> None:
    """Make a row just INSERTed by `_insert_unless_taken` a persistent ORM object (no SELECT)."""
    row.id = row_id
    make_transient_to_detached(row)
    session.add(row)


def find_or_create_texter(
    session: Session, *, program_id: int, phone: str, now: datetime, vault, rng=None
) -> tuple[Texter, bool]:
    """The texter for this number, created (encrypted, pseudonymous) on first contact."""
    texter = find_texter(session, program_id=program_id, phone=phone, vault=vault)
    if texter is not None:
        return texter, False
    return create_texter(session, program_id=program_id, phone=phone, now=now, vault=vault, rng=rng)


def create_texter(
    session: Session, *, program_id: int, phone: str, now: datetime, vault, rng=None
) -> tuple[Texter, bool]:
    """A new texter for this number, or the one a racing first text just created.

    Constant work however many texters the program has: a pseudonym is drawn
    without reading the others (`new_pseudonym`), and the unique constraints
    settle both races. A conflict on the number means the same number's first
    two texts raced (the other request's texter is used); on the pseudonym, a
    repeat draw (drawn again). Never an error: a first text can be a crisis text.
    """
    phone_hash = vault.lookup_hash(phone)
    encrypted = vault.encrypt(phone)
    for _ in range(PSEUDONYM_DRAWS):
        texter = Texter(
            program_id=program_id,
            phone_encrypted=encrypted,
            phone_hash=phone_hash,
            pseudonym=new_pseudonym(rng),
            dialog_state="new",
            created_at=now,
        )
        new_id = _insert_unless_taken(session, Texter, _column_values(texter))
        if new_id is not None:
            _attach(session, texter, new_id)
            return texter, True
        existing = _texter_by_hash(session, program_id=program_id, phone_hash=phone_hash)
        if existing is not None:
            return existing, False
        log.info("a new texter's pseudonym was taken; drawing another")
    raise RuntimeError(f"no free pseudonym in {PSEUDONYM_DRAWS} draws")


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
    rng=None,
) -> InboundResult:
    """Store one inbound text exactly once and decide the immediate replies.

    The caller commits, then enqueues `process_inbound` when `needs_processing`.
    `answered`: the text arrived while the database was down and was kept
    aside (peerwork.texter.outage) after these replies went out in the
    TwiML answer (its crisis reply, if any); they are recorded as sent, and
    every other reply now goes through the outbox.

    The fewest statements and objects: a first look reads the program and
    texter as plain columns; a returning texter's ordinary text (most texts)
    is then one INSERT with no ORM object at all (`_store_for_the_job`).
    Anything else loads both as ORM objects (one more SELECT) and decides
    the turn before anything is written, so the message is INSERTed once,
    complete. A repeated MessageSid is found by the unique constraint on that
    INSERT (ON CONFLICT DO NOTHING), and what the turn had added is dropped unflushed.
    """
    number = to.strip()
    phone_hash = vault.lookup_hash(from_)
    session.flush()  # the first look reads past the ORM: nothing of this session may be pending
    look = (
        session.connection()
        .execute(_FIRST_LOOK, {"number": number, "phone_hash": phone_hash})
        .first()
    )
    if look is None:
        log.warning("inbound text for a number that belongs to no program; ignored")
        return InboundResult("unknown_number")
    program_id, phrases, texter_id, dialog_state = look
    _remember_card(number, program_id, phrases)
    # Crisis detection first: pure, before anything is written.
    assessment = assess(body, phrases)
    if (
        answered is None
        and texter_id is not None
        and dialog.left_to_the_job(
            body=body, dialog_state=dialog_state, is_crisis=assessment.is_crisis
        )
    ):
        # A returning texter's ordinary text: one INSERT, no ORM object.
        return _store_for_the_job(
            session,
            program_id=program_id,
            texter_id=texter_id,
            body=body,
            message_sid=message_sid,
            now=now,
        )
    # Everything else (a first text, a keyword, a crisis, a text kept aside
    # during an outage) works on the ORM objects: one more SELECT.
    if texter_id is None:
        program, texter = session.get(Program, program_id), None
    else:
        program, texter = _program_and_texter(session, number=number, phone_hash=phone_hash) or (
            None,
            None,
        )
    if program is None:  # the program or its number went between the two statements
        log.warning("inbound text for a number that belongs to no program; ignored")
        return InboundResult("unknown_number")
    _remember(number, program)
    if texter is None:
        texter, _created = create_texter(
            session, program_id=program.id, phone=from_, now=now, vault=vault, rng=rng
        )
    message = _inbound_message(
        program_id=program.id,
        texter_id=texter.id,
        body=body,
        message_sid=message_sid,
        is_crisis=assessment.is_crisis,
        now=now,
    )
    added_before = set(session.new)
    with session.no_autoflush:
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
        # The message alone (a returning texter's text the job will answer): the
        # one write, so it needs no transaction around it of its own.
        lone_write = not (
            done
            or assessment.is_crisis
            or session.new
            or session.dirty
            or session.deleted
            or session.is_modified(texter)
        )
        message_id = _insert_unless_taken(
            session, Message, _column_values(message), lone_write=lone_write
        )
        if message_id is None:
            # Twilio delivered this MessageSid before (or is retrying while the
            # first delivery was being stored: the insert waited for it to commit).
            for row in set(session.new) - added_before:
                session.expunge(row)
            session.expire(texter)  # forget the turn's unflushed changes
            return _duplicate(session, message_sid) or InboundResult("duplicate")
        _attach(session, message, message_id)
        if done or session.is_modified(texter):
            texter.last_inbound_at = now
        # else the job records it, with the texter's row it locks anyway: no
        # UPDATE here for a text the webhook only stores.
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


# The job's two statements, built once (bound parameters; see `_PROGRAM_AND_TEXTER`).
_LOCK_TEXTER = (
    select(Texter)
    .join(Message, Message.texter_id == Texter.id)
    .where(Message.id == bindparam("message_id"), Message.direction == "inbound")
    .with_for_update(of=Texter)
    .execution_options(populate_existing=True)
)
_CLAIM_PENDING = (
    update(Message)
    .where(
        Message.texter_id == bindparam("claiming_texter_id"),
        Message.direction == "inbound",
        Message.processed_at.is_(None),
        Message.id <= bindparam("up_to"),
    )
    .values(processed_at=bindparam("claimed_at", type_=Message.processed_at.type))
    .returning(Message)
    .execution_options(synchronize_session=False, populate_existing=True)
)


def process_inbound(session: Session, *, message_id: int, now: datetime, dispatcher) -> int:
    """Run the dialog for this message and any earlier unprocessed ones of its texter, in order."""
    # One texter's messages are handled one at a time, oldest first: the
    # texter's row is locked, found through the message (one statement).
    texter = session.scalar(_LOCK_TEXTER, {"message_id": message_id})
    if texter is None:
        return 0
    program = session.get(Program, texter.program_id)
    # Its texts not yet handled, up to this one, claimed at once (one statement).
    pending = sorted(
        session.scalars(
            _CLAIM_PENDING,
            {"claiming_texter_id": texter.id, "up_to": message_id, "claimed_at": now},
        ).all(),
        key=lambda item: item.id,
    )
    handled = 0
    for item in pending:
        if texter.last_inbound_at is None or texter.last_inbound_at < item.created_at:
            texter.last_inbound_at = item.created_at
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


def enqueue_inbound(dispatcher, message_id: int, *, crisis: bool = False, fresh: bool = False):
    """Hand a stored inbound message to the dialog job.

    `fresh`: the message was stored by this very request, so no job can hold
    its id yet (the webhook: one Redis round trip instead of a check first).
    """
    return dispatcher.enqueue(
        process_inbound,
        message_id,
        queue=URGENT if crisis else DEFAULT,
        job_id=f"process-inbound-{message_id}",
        fresh=fresh,
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
