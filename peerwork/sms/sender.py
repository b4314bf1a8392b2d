"""The outbox sender: THE only place a phone number is decrypted.

Order. SMS has no threads, so the messages to one recipient (a texter, a
peer's phone, a contact) go out in the order they were written: by row id,
one at a time. A message waits while an earlier one to the same recipient
is still `queued` or `sending` (including one waiting for a retry); the
earlier one's end (sent, reconciled, failed, cancelled) wakes the next: the
same job sends it (`send_line`, up to LINE_BUDGET messages a job), or a job of
its own takes it. The
claim's conditional UPDATE re-checks "nothing earlier pending" in the same
statement, so several workers cannot overtake each other; the outbox sweep
wakes a line whose wake-up job was lost. Crisis messages never wait.

Kill-safety, step by step (each step is its own commit):

1. claim:   queued -> sending, attempts + 1 (conditional UPDATE; a second
            worker claims nothing)
2. reconcile, when an earlier attempt exists: ask the provider whether it
   already holds this message (same To, From and body, created since the
   message was queued, a SID no other row has). If it does, record that SID
   and stop: nothing is sent twice. If the provider cannot be asked, the row
   goes back to `queued` and the job retries later; it never sends blind.
3. hand the message to the transport (bounded HTTP timeout)
4. record:  sending -> sent with the provider's SID, committed at once

An attempt whose outcome is unknown (the HTTP call timed out after the
request went out, the worker died before step 4) leaves attempts > 0, so
whatever tries next (the job's retry, or the outbox sweep for a row left
`sending` past its threshold) reconciles first.

What remains unknowable: the provider accepted the message but its
Messages list does not show it yet when step 2 asks (the retry comes at
least five seconds later, the sweep a minute later, so only a provider
whose list lags further behind than that can cause a second copy).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from rq import Retry
from sqlalchemy import bindparam, case, exists, false, null, select
from sqlalchemy.orm import Session, aliased

from peerwork.models import EscalationContact, Message, PeerProfile, Program, Texter, states
from peerwork.queue import MESSAGES, URGENT
from peerwork.sms.transport import OPTED_OUT, PermanentSendError, TemporarySendError

log = logging.getLogger(__name__)

# RQ retries of a send that failed for now (seconds between attempts).
SEND_RETRY = Retry(max=5, interval=[5, 30, 120, 600, 1800])


def _deliver(session: Session, message_id: int, new: str, **values) -> int:
    """Move one message along the delivery machine (`states.transition`)."""
    return states.transition(
        session,
        Message,
        message_id,
        states.DELIVERY,
        new,
        attr="status",
        synchronize_session=False,
        **values,
    )


# The first try plus RQ's five retries (SEND_RETRY).
MAX_ATTEMPTS = 6


# Seconds after its reserved second in which a scheduled send still holds it
# (shorter than the first retry pause, SEND_RETRY).
SLOT_GRACE = 5


@dataclass(frozen=True)
class SendResult:
    # sent, reconciled, already, in_flight, waiting, cancelled, failed, throttled, missing,
    # retry (send_line: a message taken over from the line failed for now; a job of its own)
    outcome: str
    sid: str | None = None
    slot: int | None = None  # throttled: the second (epoch) reserved for this send
    # failed because the texter opted out at the carrier: the caller opts them out here too
    opted_out_texter_id: int | None = None
    # ended, with wake=False: the next message in this recipient's line, now free to go
    next_id: int | None = None
    # send_line: the message this result is about (the last one it tried)
    message_id: int | None = None


# An earlier message in the same line (built once: an alias proxies every column).
_EARLIER = aliased(Message, name="earlier")


def _waits_in_line():
    """A column for a Message row: an earlier message to the same recipient is not done yet.

    One EXISTS per kind of recipient, each through its own column (texter_id
    has an index); the CASE evaluates only the one that applies.
    """
    earlier = _EARLIER

    def earlier_pending(column):
        return exists(
            select(earlier.id).where(
                earlier.recipient == Message.recipient,
                getattr(earlier, column.key) == column,
                earlier.direction == "outbound",
                earlier.id < Message.id,
                earlier.status.in_(states.PENDING_DELIVERY),
            )
        )

    return case(
        (Message.is_crisis.is_(True), false()),  # crisis messages never wait
        (Message.recipient == "texter", earlier_pending(Message.texter_id)),
        (Message.recipient == "peer", earlier_pending(Message.peer_profile_id)),
        (Message.recipient == "contact", earlier_pending(Message.contact_id)),
        else_=false(),
    )


@dataclass(frozen=True)
class _Number:
    """What a send needs of its program: the number it goes from, and that number's limit."""

    sms_number: str | None
    messages_per_second: int


@functools.cache
def _load_statement():
    """The SELECT `_load` runs (the same for every message: built once, compiled once).

    Of the program and the recipient only columns are read, not objects: a
    program or peer the caller's session holds keeps what it had loaded.
    """
    return (
        select(
            Message,
            Program.sms_number,
            Program.messages_per_second,
            # The recipient's encrypted phone, or None when they must not be texted.
            case(
                (
                    Message.recipient == "texter",
                    case(
                        (Texter.dialog_state == "opted_out", null()),
                        else_=Texter.phone_encrypted,
                    ),
                ),
                (
                    Message.recipient == "peer",
                    case(
                        (PeerProfile.sms_alerts.is_(True), PeerProfile.alert_phone_encrypted),
                        else_=null(),
                    ),
                ),
                (Message.recipient == "contact", EscalationContact.phone_encrypted),
                else_=null(),
            ),
            _waits_in_line(),
        )
        .join(Program, Program.id == Message.program_id)
        .outerjoin(Texter, Texter.id == Message.texter_id)
        .outerjoin(PeerProfile, PeerProfile.id == Message.peer_profile_id)
        .outerjoin(EscalationContact, EscalationContact.id == Message.contact_id)
        .where(Message.id == bindparam("message_id"))
        .execution_options(populate_existing=True)
    )


def _load(session: Session, message_id: int):
    """The message (fresh), its program's number, the recipient's encrypted phone, and
    whether it must wait for an earlier one: one statement.

    The phone is None when the recipient must not be texted (gone, opted out,
    a peer without SMS alerts).
    """
    row = session.execute(_load_statement(), {"message_id": message_id}).first()
    if row is None:
        return None, None, None, False
    return row[0], _Number(row[1], row[2]), row[3], bool(row[4])


_NONE_EARLIER: dict = {}  # recipient kind -> the claim's NOT EXISTS clause


def _none_earlier_pending(message: Message) -> tuple | None:
    """A NOT EXISTS clause and its values: no earlier message to the same recipient is pending.

    None when the message waits for nobody (a crisis message, or no line). The
    clause is built once per kind of recipient, its values bound (the claim's
    statement is then built once too: `states.transition` with a `shape`).
    """
    column = LINE_KEYS.get(message.recipient)
    key = getattr(message, column.key) if column is not None else None
    if key is None or message.is_crisis:
        return None
    clause = _NONE_EARLIER.get(message.recipient)
    if clause is None:
        earlier = _EARLIER
        clause = _NONE_EARLIER[message.recipient] = ~exists(
            select(earlier.id).where(
                earlier.recipient == message.recipient,
                getattr(earlier, column.key) == bindparam("earlier_line_key"),
                earlier.direction == "outbound",
                earlier.id < bindparam("earlier_than"),
                earlier.status.in_(states.PENDING_DELIVERY),
            )
        )
    return clause, {"earlier_line_key": key, "earlier_than": message.id}


# The column that names the person at the end of each kind of line (recipient kind).
LINE_KEYS = {
    "texter": Message.texter_id,
    "peer": Message.peer_profile_id,
    "contact": Message.contact_id,
}
_HEADS: dict = {}  # recipient kind -> the statement `wake_next` runs


def _head_of_line(kind: str):
    """The first message not yet handed over for good to one recipient (built once a kind)."""
    query = _HEADS.get(kind)
    if query is None:
        query = _HEADS[kind] = (
            select(Message.id, Message.status, Message.is_crisis)
            .where(
                Message.recipient == kind,
                LINE_KEYS[kind] == bindparam("line_key"),
                Message.direction == "outbound",
                Message.status.in_(states.PENDING_DELIVERY),
            )
            .order_by(Message.id)
            .limit(1)
        )
    return query


def wake_next(
    session: Session, *, message: Message, dispatcher, enqueue: bool = True
) -> int | None:
    """Enqueue the next message waiting for this recipient (after `message` ended); its id.

    With enqueue=False it is only found: the caller sends it next (`send_line`).
    """
    line = LINE_KEYS.get(message.recipient)
    key = getattr(message, line.key) if line is not None else None
    if key is None or (dispatcher is None and enqueue):
        return None
    head = session.execute(_head_of_line(message.recipient), {"line_key": key}).first()
    if head is None or head.status != "queued":
        return None  # nothing waits, or the head is in flight and will wake its successor
    if not enqueue:
        return head.id
    enqueue_send(
        dispatcher,
        head.id,
        URGENT if head.is_crisis else MESSAGES,
        job_id=f"send-message-{head.id}-after-{message.id}",
    )
    return head.id


def _reconcile(
    session: Session, *, message: Message, transport, to_number: str, from_number: str
) -> str | None:
    """The SID of this message if the provider already holds it, else None."""
    body = message.body or ""
    since = message.queued_at or message.created_at
    found = transport.lookup(to=to_number, from_=from_number, body=body, since=since)
    if not found:
        return None
    # The same words sent earlier to the same person belong to other rows.
    known = set(session.scalars(select(Message.twilio_sid).where(Message.twilio_sid.in_(found))))
    unknown = [sid for sid in found if sid not in known]
    return unknown[-1] if unknown else None  # the oldest: the first copy accepted


def send_message(
    session: Session,
    *,
    message_id: int,
    now: datetime,
    transport,
    vault,
    dispatcher,
    status_callback: str | None = None,
    throttle=None,
    slot: int | None = None,
    wake: bool = True,
) -> SendResult:
    """Send one queued outbound message exactly once, in its recipient's order (module notes).

    Commits as it goes: the claim must be durable before the provider is called.
    Raises TemporarySendError (after putting the row back to `queued`) so the
    job's retry policy can try again later. `slot` is the throttle second this
    send already holds (a job scheduled for it), honoured while it is current.
    When the message ends, the next one in its recipient's line is enqueued;
    with wake=False it is returned instead (`next_id`: `send_line` sends it).
    """
    # Fresh from the database: an earlier call in this session may have moved it.
    message, program, encrypted, waiting = _load(session, message_id)
    if message is None or message.direction != "outbound":
        return SendResult("missing")
    if message.status == "sending":
        return SendResult("in_flight")
    if message.status != "queued":
        return SendResult("already", message.twilio_sid)
    if waiting:
        return SendResult("waiting")  # the earlier message's end wakes this one
    # The claim asks again, in the same statement: several workers cannot overtake.
    none_earlier = _none_earlier_pending(message)

    def ended(outcome: str, sid: str | None = None, **values) -> SendResult:
        # Committed first: a message queued meanwhile either sees this end or is seen here.
        following = wake_next(session, message=message, dispatcher=dispatcher, enqueue=wake)
        return SendResult(outcome, sid, next_id=None if wake else following, **values)

    if encrypted is None or not program.sms_number:
        _deliver(session, message_id, "cancelled", status_updated_at=now)
        session.commit()
        return ended("cancelled")
    this_second = int(now.timestamp())
    # A job runs in the second it was scheduled for, or a little later when the
    # workers are busy: the second it holds went unused, so it still sends (a
    # queue of late jobs re-reserving would push each other ever further back).
    # A retry after a failed send comes later than that and asks again.
    holds_slot = slot is not None and this_second < slot + SLOT_GRACE
    if throttle is not None and not holds_slot:
        reserved = throttle.reserve(
            program.sms_number,
            program.messages_per_second,
            holder=f"message-{message_id}",
            at=this_second,
        )
        if reserved > this_second:
            return SendResult("throttled", slot=reserved)
    earlier_attempts = message.attempts or 0
    claimed = (
        _deliver(
            session,
            message_id,
            "sending",
            where=() if none_earlier is None else (none_earlier[0],),
            shape=("claim", None if none_earlier is None else message.recipient),
            params=None if none_earlier is None else none_earlier[1],
            attempts=Message.attempts + 1,
            status_updated_at=now,
        )
        == 1
    )
    session.commit()
    if not claimed:
        return SendResult("already")
    body, from_number = message.body or "", program.sms_number
    to_number = vault.decrypt(encrypted)
    if earlier_attempts > 0:
        # An earlier attempt may have been accepted without our knowing: ask first.
        try:
            known_sid = _reconcile(
                session,
                message=message,
                transport=transport,
                to_number=to_number,
                from_number=from_number,
            )
        except TemporarySendError as exc:
            if earlier_attempts + 1 >= MAX_ATTEMPTS:
                # Never knowing is giving up too: the next message must not wait forever.
                _deliver(session, message_id, "failed", error_code=exc.code, status_updated_at=now)
                session.commit()
                log.info("message %s given up: the provider could not be asked", message_id)
                return ended("failed")
            _deliver(session, message_id, "queued", status_updated_at=now)
            session.commit()
            raise
        if known_sid is not None:
            _deliver(
                session,
                message_id,
                "sent",
                twilio_sid=known_sid,
                sent_at=now,
                status_updated_at=now,
            )
            session.commit()
            log.info("message %s was already accepted; recorded, not sent again", message_id)
            return ended("reconciled", known_sid)
    try:
        sid = transport.send(
            to=to_number, from_=from_number, body=body, status_callback=status_callback
        )
    except TemporarySendError as exc:
        if earlier_attempts + 1 >= MAX_ATTEMPTS:
            # Retries used up: give up visibly rather than retry forever.
            _deliver(session, message_id, "failed", error_code=exc.code, status_updated_at=now)
            session.commit()
            log.info("message %s failed after %d attempts", message_id, MAX_ATTEMPTS)
            return ended("failed")
        _deliver(session, message_id, "queued", status_updated_at=now)
        session.commit()
        raise
    except PermanentSendError as exc:
        _deliver(session, message_id, "failed", error_code=exc.code, status_updated_at=now)
        session.commit()
        log.info("message %s failed permanently (code %s)", message_id, exc.code)
        if exc.code == OPTED_OUT and message.recipient == "texter" and message.texter_id:
            # The caller opts the texter out before anything else goes to them:
            # the next in line gets a job of its own (it will find them opted out).
            wake_next(session, message=message, dispatcher=dispatcher)
            return SendResult("failed", opted_out_texter_id=message.texter_id)
        return ended("failed")
    # Record at once: until this commits, only step 2 of a later try can find the SID.
    _deliver(session, message_id, "sent", twilio_sid=sid, sent_at=now, status_updated_at=now)
    session.commit()
    return ended("sent", sid)


# At most this many messages of one recipient's line go out in one job (`send_line`).
LINE_BUDGET = 5


def send_line(
    session: Session,
    *,
    message_id: int,
    dispatcher,
    budget: int = LINE_BUDGET,
    slot: int | None = None,
    **kwargs,
) -> SendResult:
    """Send this message, then the ones waiting behind it for the same recipient (up to `budget`).

    A line that built up while the workers were busy (a peer's burst, replies
    queued behind a texter's earlier ones) goes out in one job instead of a
    job per message, each waiting its turn behind every other recipient's
    in the queue. Each message is still claimed, throttled and recorded on
    its own (`send_message`); after `budget` the rest of the line gets a job
    of its own, so one long line does not keep a worker from the others.
    Returns the result of the last message tried (its id in `message_id`).
    """
    current = message_id
    for n in range(budget):
        last = n == budget - 1
        try:
            result = send_message(
                session,
                message_id=current,
                dispatcher=dispatcher,
                slot=slot,
                wake=last,
                **kwargs,
            )
        except TemporarySendError:
            if current == message_id:
                raise  # the job's own message: RQ's retry policy tries again
            # A message this job took over from its line: a retry job of its own.
            retry_later(dispatcher, session, current)
            return SendResult("retry", message_id=current)
        result = replace(result, message_id=current)
        if result.next_id is None:
            return result
        current, slot = result.next_id, None
    return result


def retry_later(dispatcher, session: Session, message_id: int) -> None:
    """A job that tries this message again after SEND_RETRY's first pause."""
    message = session.get(Message, message_id)
    enqueue_send(
        dispatcher,
        message_id,
        URGENT if message is not None and message.is_crisis else MESSAGES,
        job_id=f"send-message-{message_id}-retry-{message.attempts if message else 0}",
        delay=timedelta(seconds=SEND_RETRY.intervals[0]),
    )


def status_callback_url(config) -> str | None:
    """Where Twilio posts delivery updates (needs the public URL)."""
    base = config.get("PUBLIC_BASE_URL")
    return f"{base}/sms/status" if base else None


def enqueue_send(
    dispatcher,
    message_id: int,
    queue: str = MESSAGES,
    *,
    job_id: str | None = None,
    delay: timedelta | None = None,
):
    """Hand one queued message to RQ (idempotent: one waiting job per message and id)."""
    later = {"delay": delay} if delay is not None else {}
    return dispatcher.enqueue(
        send_message,
        message_id,
        queue=queue,
        job_id=job_id or f"send-message-{message_id}",
        retry=SEND_RETRY,
        **later,
    )
