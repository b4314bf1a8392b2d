"""The outbox: every outbound SMS is a `queued` row before any job exists.

`queue_sms()` adds the row and remembers its id on the session; once the
session commits, the ids are handed to RQ (`peerwork.jobs.send_message`). If the
enqueue fails (Redis down) or the job is lost (worker killed), the row stays
`queued` and the periodic outbox sweep enqueues it again. The sender job is
idempotent on the row, so an id enqueued twice is still sent once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, event, func, select, union_all
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from peerwork.models import Message, Program, states
from peerwork.queue import MESSAGES, URGENT
from peerwork.sms import segments, sender

# Temporary send errors: retry with growing pauses; permanent ones are never retried.

# Not yet sent nor given up: a later message to the same recipient waits for these.

_PENDING_KEY = "peerwork.outbox.pending"
_DISPATCHER_KEY = "peerwork.outbox.dispatcher"


def queue_sms(
    session: Session,
    *,
    program: Program,
    body: str,
    now: datetime,
    dispatcher,
    recipient: str = "texter",
    texter_id: int | None = None,
    peer_profile_id: int | None = None,
    contact_id: int | None = None,
    conversation_id: int | None = None,
    author: str = "system",
    kind: str = "system",
    is_crisis: bool = False,
) -> Message:
    """Record an outbound SMS as `queued`; it is enqueued when the session commits.

    `recipient` is who receives it: "texter" (texter_id), "peer" (the peer's
    own phone; peer_profile_id) or "contact" (an escalation contact; contact_id).
    For a peer's reply relayed to a texter, pass author="peer", kind="relay",
    texter_id and peer_profile_id (the author).
    """
    if recipient == "texter" and texter_id is None:
        raise ValueError("a message to a texter needs texter_id")
    if recipient == "peer" and peer_profile_id is None:
        raise ValueError("a message to a peer needs peer_profile_id")
    if recipient == "contact" and contact_id is None:
        raise ValueError("a message to a contact needs contact_id")
    message = Message(
        program_id=program.id,
        direction="outbound",
        author=author,
        kind=kind,
        recipient=recipient,
        texter_id=texter_id,
        peer_profile_id=peer_profile_id,
        contact_id=contact_id,
        conversation_id=conversation_id,
        body=body,
        segments=segments.segments(body),
        is_crisis=is_crisis,
        status="queued",
        created_at=now,
        queued_at=now,
    )
    session.add(message)
    session.flush()
    pending = session.info.setdefault(_PENDING_KEY, [])
    pending.append((message.id, URGENT if is_crisis else MESSAGES, _line(message)))
    session.info[_DISPATCHER_KEY] = dispatcher
    return message


# The column that names the person at the end of each kind of line.
_LINE_KEYS = sender.LINE_KEYS


def _line(message: Message) -> tuple[str, int] | None:
    """The line this message waits in (recipient kind and id), or None (crisis: never waits)."""
    column = _LINE_KEYS.get(message.recipient)
    key = getattr(message, column.key) if column is not None else None
    if message.is_crisis or key is None:
        return None
    return message.recipient, key


_FIRSTS: dict = {}  # recipient kinds -> the statement `_waiting_in_line` runs


def _firsts_of_lines(kinds: tuple[str, ...]):
    """The first pending message of each line of these kinds (keys bound at run time).

    Built once per set of kinds: asked after every commit that queued a text.
    """
    query = _FIRSTS.get(kinds)
    if query is None:
        firsts = [
            select(Message.recipient, column.label("key"), func.min(Message.id))
            .where(
                Message.direction == "outbound",
                Message.recipient == kind,
                column.in_(bindparam(f"line_keys_{kind}", expanding=True)),
                Message.status.in_(states.PENDING_DELIVERY),
            )
            .group_by(Message.recipient, column)
            for kind in kinds
            for column in (_LINE_KEYS[kind],)
        ]
        query = _FIRSTS[kinds] = firsts[0] if len(firsts) == 1 else union_all(*firsts)
    return query


def _waiting_in_line(session: Session, pending: list[tuple]) -> set[int]:
    """Those of the `pending` messages behind an earlier pending message to the same recipient.

    One statement: the first pending message of each line (by id, through the
    line's own index, e.g. texter_id); a message is waiting if its line's
    first is an earlier one. Asked after the commit, on a connection of its
    own: a message found waiting here is woken by the earlier one's end
    (peerwork.sms.sender), which is recorded after this read; one found free
    is enqueued now.
    """
    lines: dict[str, set[int]] = {}
    for _message_id, _queue, line in pending:
        if line is not None:
            lines.setdefault(line[0], set()).add(line[1])
    if not lines:
        return set()
    kinds = tuple(sorted(lines))
    query = _firsts_of_lines(kinds)
    params = {f"line_keys_{kind}": sorted(lines[kind]) for kind in kinds}
    bind = session.get_bind()
    try:
        if isinstance(bind, Connection):  # a session joined to an outer transaction
            rows = bind.execute(query, params).all()
        else:
            with bind.connect() as connection:
                rows = connection.execute(query, params).all()
    except SQLAlchemyError:
        return set()  # when in doubt, enqueue: a waiting job costs one quick run
    first = {(kind, key): first_id for kind, key, first_id in rows}
    return {
        message_id
        for message_id, _queue, line in pending
        if line is not None and first.get(line, message_id) < message_id
    }


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    dispatcher = session.info.pop(_DISPATCHER_KEY, None)
    if not pending or dispatcher is None:
        return
    # A burst to one person: only its head needs a job now; an enqueued job
    # for each of the others would only find it has to wait, while holding up
    # the sends to everyone else in the queue.
    waiting = _waiting_in_line(session, pending)
    for message_id, queue, _line in pending:
        if message_id not in waiting:
            sender.enqueue_send(dispatcher, message_id, queue)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    # Rolled-back rows were never written: there is nothing to send.
    if not session.in_transaction():
        session.info.pop(_PENDING_KEY, None)
        session.info.pop(_DISPATCHER_KEY, None)


log = logging.getLogger(__name__)


# The longest pause SEND_RETRY takes between attempts.
RETRY_PATIENCE = timedelta(seconds=max(sender.SEND_RETRY.intervals))


def sweep_outbox(session: Session, *, now: datetime, after: timedelta, dispatcher) -> int:
    """Re-enqueue outbound messages a lost job left behind; returns how many."""
    cutoff = now - after
    # `sending` past the cutoff: the worker died mid-send (the HTTP timeout is far
    # shorter than the cutoff). Back to `queued` with attempts > 0: the send job
    # first asks the provider whether it already holds the message (reconcile,
    # see peerwork.sms.sender) and sends only if it does not.
    stuck = session.scalars(
        select(Message.id).where(
            Message.direction == "outbound",
            Message.status == "sending",
            Message.status_updated_at < cutoff,
        )
    ).all()
    for message_id in stuck:
        states.transition(
            session,
            Message,
            message_id,
            states.DELIVERY,
            "queued",
            attr="status",
            synchronize_session=False,
            status_updated_at=now,
        )
    session.commit()
    # A row that already failed temporarily has an RQ retry pending (up to
    # RETRY_PATIENCE away): the sweep leaves it to that retry's backoff.
    retry_cutoff = cutoff - RETRY_PATIENCE
    waiting = session.execute(
        select(Message.id, Message.is_crisis, Message.attempts).where(
            Message.direction == "outbound",
            Message.status.in_(states.DELIVERY.sources("sending")),
            Message.id.in_(stuck or [-1])
            | ((Message.attempts == 0) & (Message.queued_at < cutoff))
            | (
                (Message.attempts > 0)
                & (func.coalesce(Message.status_updated_at, Message.queued_at) < retry_cutoff)
            ),
        )
    ).all()
    for message_id, is_crisis, attempts in waiting:
        # A fresh job id per attempt: the lost job's id may still look "started".
        dispatcher.enqueue(
            sender.send_message,
            message_id,
            queue=URGENT if is_crisis else MESSAGES,
            job_id=f"sweep-send-{message_id}-{attempts}",
            retry=sender.SEND_RETRY,
        )
    if waiting:
        log.info("outbox sweep re-enqueued %d message(s)", len(waiting))
    return len(waiting)
