"""The retention purge: message bodies older than the program's retention period are erased.

Only the words go. Every row stays with its metadata (direction, author,
kind, status, segments, timestamps, the conversation and request links,
`is_crisis`), so the aggregate reports count exactly what they counted
before. The purge works in batches and is idempotent: an erased body is
never touched again, and running it twice erases nothing more.

Crisis plans are kept: they are the texter's own document, sent back to them
on PLAN, and replaced whenever a peer helps them update it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from peerwork.models import Message, Program, SupervisorNote

PURGE_BATCH = 1000
# A message still waiting to be sent keeps its body until it has gone.
_IN_FLIGHT = ("queued", "sending")


def cutoff(program: Program, now: datetime) -> datetime:
    """Bodies of messages created before this moment are erased."""
    return now - timedelta(days=program.retention_days)


def purge_batch(
    session: Session, *, program: Program, now: datetime, batch: int = PURGE_BATCH
) -> int:
    """Erase up to `batch` old bodies of one program; returns how many were erased."""
    ids = session.scalars(
        select(Message.id)
        .where(
            Message.program_id == program.id,
            Message.created_at < cutoff(program, now),
            Message.body.is_not(None),
            Message.status.not_in(_IN_FLIGHT),
        )
        .order_by(Message.id)
        .limit(batch)
    ).all()
    # Supervisors' notes to peers go with the messages of the same age.
    session.execute(
        update(SupervisorNote)
        .where(
            SupervisorNote.program_id == program.id,
            SupervisorNote.created_at < cutoff(program, now),
            SupervisorNote.body.is_not(None),
        )
        .values(body=None)
        .execution_options(synchronize_session=False)
    )
    if not ids:
        return 0
    erased = session.execute(
        update(Message)
        .where(Message.id.in_(ids), Message.body.is_not(None))
        .values(body=None, body_purged_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    session.flush()
    return erased


def purge(
    session: Session, *, now: datetime, batch: int = PURGE_BATCH, commit_each_batch: bool = False
) -> dict[int, int]:
    """Erase every program's old bodies; returns the count erased per program id."""
    erased: dict[int, int] = {}
    for program in session.scalars(select(Program).order_by(Program.id)).all():
        total = 0
        while True:
            done = purge_batch(session, program=program, now=now, batch=batch)
            if commit_each_batch:
                # Short transactions: a large backlog never holds locks for long.
                session.commit()
            total += done
            if done < batch:
                break
        if total:
            erased[program.id] = total
    return erased
