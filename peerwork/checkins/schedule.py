"""Check-ins: when they are due, sending them, and what the texter's answer does.

Timing rule (program-local time, `program.timezone`):

- A follow-up is due 1, 3 or 7 calendar days after the conversation ended, at
  the same local time of day (so a chat that ended at 18:40 is followed up
  at 18:40, across daylight-saving changes too).
- If that moment falls in quiet hours (`quiet_start`..`quiet_end`, default
  21:00-08:00), it is held until quiet hours end (08:00 that morning).
- It expires `checkin_ttl_hours` after it was due, but never later than the
  start of the next quiet period: a check-in delayed by an outage is dropped
  rather than sent at night.
- Weekly check-ins (CHECKIN WEEKLY) follow the same rule, 7 days apart.

Sending (`deliver`) re-checks everything at send time: an opted-out texter is
never texted, a texter who is talking to a peer (or choosing a topic,
waiting) is skipped, and every state change is a conditional UPDATE, so a
job that runs twice sends once.

An answer is the texter's "1".."5" or TALK within `ANSWER_WINDOW` of the
check-in; 1, 2 or TALK opens a new request that prefers the same peer.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from peerwork.models import (
    CheckIn,
    Conversation,
    Program,
    SupportRequest,
    Texter,
    states,
)
from peerwork.sms import texts
from peerwork.sms.outbox import queue_sms

log = logging.getLogger(__name__)

DELAY_DAYS = {"1d": 1, "3d": 3, "1w": 7}
WEEKLY_DAYS = 7
# How long after a check-in is sent a bare "1".."5" still answers it.
ANSWER_WINDOW = timedelta(hours=72)
# Ended this way, there is nobody to check in with (opted out) or the texter
# is already back in the queue for someone else (hand back).
_NO_FOLLOWUP = ("optout", "handback")


# -- local time ------------------------------------------------------------------


def _zone(program: Program) -> ZoneInfo:
    return ZoneInfo(program.timezone or "UTC")


def _clock(value: str) -> time:
    hour, minute = value.split(":")
    return time(int(hour) % 24, int(minute))


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _quiet(program: Program) -> tuple[time, time] | None:
    start, end = _clock(program.quiet_start or "00:00"), _clock(program.quiet_end or "00:00")
    return None if start == end else (start, end)


def in_quiet_hours(program: Program, moment: datetime) -> bool:
    """True when `moment` falls in the program's quiet hours (local time)."""
    quiet = _quiet(program)
    if quiet is None:
        return False
    start, end = quiet
    local = moment.astimezone(_zone(program)).time()
    if start > end:  # wraps past midnight, e.g. 21:00-08:00
        return local >= start or local < end
    return start <= local < end


def quiet_hours_end(program: Program, moment: datetime) -> datetime:
    """The first moment at or after `moment` outside quiet hours (UTC)."""
    if not in_quiet_hours(program, moment):
        return moment
    start, end = _quiet(program)
    zone = _zone(program)
    local = moment.astimezone(zone)
    day = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    return _local(day, end, zone)


def next_quiet_start(program: Program, moment: datetime) -> datetime | None:
    """The next start of quiet hours strictly after `moment` (UTC), or None without quiet hours."""
    quiet = _quiet(program)
    if quiet is None:
        return None
    zone = _zone(program)
    local = moment.astimezone(zone)
    candidate = _local(local.date(), quiet[0], zone)
    if candidate <= moment:
        candidate = _local(local.date() + timedelta(days=1), quiet[0], zone)
    return candidate


def due_after(program: Program, start: datetime, days: int) -> datetime:
    """`days` calendar days after `start` at the same local time, moved out of quiet hours."""
    zone = _zone(program)
    local = start.astimezone(zone)
    target = _local(local.date() + timedelta(days=days), local.time().replace(microsecond=0), zone)
    return quiet_hours_end(program, target)


def expiry_for(program: Program, due_at: datetime) -> datetime:
    """When a check-in due at `due_at` is dropped: after the TTL or at the next quiet hours."""
    expires = due_at + timedelta(hours=program.checkin_ttl_hours)
    quiet_start = next_quiet_start(program, due_at)
    return min(expires, quiet_start) if quiet_start is not None else expires


# -- scheduling ------------------------------------------------------------------


def job_id(checkin: CheckIn) -> str:
    """The RQ job id for one delivery attempt (a held check-in gets a new one)."""
    return f"checkin-{checkin.id}-{int(checkin.due_at.timestamp())}"


def enqueue_delivery(dispatcher, checkin: CheckIn) -> None:
    """Ask RQ to run `send_checkin` when the check-in is due."""
    if dispatcher is None:
        return  # the periodic sweep delivers it
    # Enqueued before the caller commits: harmless, as the job runs a day or
    # more later, and a job that finds no row returns quietly (the sweep repairs).
    dispatcher.enqueue(send_checkin, checkin.id, at=checkin.due_at, job_id=job_id(checkin))


def _add_scheduled(
    session: Session,
    program: Program,
    *,
    texter_id: int,
    conversation_id: int | None,
    peer_profile_id: int | None,
    kind: str,
    due_at: datetime,
    now: datetime,
    dispatcher,
) -> CheckIn:
    """A new check-in due at `due_at` (expiring by the program's rule), stored and queued."""
    checkin = CheckIn(
        program_id=program.id,
        texter_id=texter_id,
        conversation_id=conversation_id,
        peer_profile_id=peer_profile_id,
        kind=kind,
        state="scheduled",
        due_at=due_at,
        expires_at=expiry_for(program, due_at),
        created_at=now,
    )
    session.add(checkin)
    session.flush()
    enqueue_delivery(dispatcher, checkin)
    return checkin


def schedule_followup(
    session: Session, *, conversation: Conversation, now: datetime, dispatcher
) -> CheckIn | None:
    """Keep the conversation's follow-up in step with its check-in choice (None when none is due).

    Called at the end (the program's default when nobody chose) and again after
    the peer's wrap-up, in either order: the first call schedules, a later call
    with another choice moves the same row, "none" cancels it (for good: a
    conversation has one wrap-up). A follow-up that already went out is left
    alone. Every move is a conditional UPDATE on a still-scheduled row, so a
    delivery racing the wrap-up settles it once.
    """
    days = DELAY_DAYS.get(conversation.checkin_choice or "none")
    if conversation.ended_by in _NO_FOLLOWUP or conversation.ended_at is None:
        return None
    existing = session.scalar(
        select(CheckIn)
        .where(CheckIn.conversation_id == conversation.id, CheckIn.kind == "followup")
        .order_by(CheckIn.id)
        .limit(1)
    )
    if days is None:
        if existing is not None:
            states.transition(session, CheckIn, existing.id, states.CHECKIN, "cancelled")
        return None
    texter = session.get(Texter, conversation.texter_id)
    if texter is None or texter.opted_out:
        return None
    program = session.get(Program, conversation.program_id)
    due_at = due_after(program, conversation.ended_at, days)
    if existing is not None:
        if existing.state == "scheduled" and existing.due_at != due_at:
            moved = session.execute(
                update(CheckIn)
                .where(CheckIn.id == existing.id, CheckIn.state == "scheduled")
                .values(due_at=due_at, expires_at=expiry_for(program, due_at))
                .execution_options(synchronize_session="fetch")
            ).rowcount
            if moved:
                session.refresh(existing)
                enqueue_delivery(dispatcher, existing)
        return existing
    return _add_scheduled(
        session,
        program,
        texter_id=texter.id,
        conversation_id=conversation.id,
        peer_profile_id=conversation.peer_profile_id,
        kind="followup",
        due_at=due_at,
        now=now,
        dispatcher=dispatcher,
    )


def last_conversation(session: Session, texter_id: int) -> Conversation | None:
    """The texter's most recent conversation, if any."""
    return session.scalar(
        select(Conversation)
        .where(Conversation.texter_id == texter_id)
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(1)
    )


def schedule_recurring(
    session: Session,
    *,
    texter_id: int,
    now: datetime,
    dispatcher,
    after: datetime | None = None,
) -> CheckIn | None:
    """Schedule the texter's next weekly check-in, unless one is already waiting."""
    # The texter row lock makes "is one scheduled? then add one" atomic.
    texter = session.get(Texter, texter_id, with_for_update=True, populate_existing=True)
    if texter is None or texter.recurring_checkin != "weekly" or texter.opted_out:
        return None
    existing = session.scalar(
        select(CheckIn).where(
            CheckIn.texter_id == texter.id,
            CheckIn.kind == "recurring",
            CheckIn.state == "scheduled",
        )
    )
    if existing is not None:
        return existing
    program = session.get(Program, texter.program_id)
    due_at = due_after(program, after or now, WEEKLY_DAYS)
    while due_at <= now:
        due_at = due_after(program, due_at, WEEKLY_DAYS)
    last = last_conversation(session, texter.id)
    return _add_scheduled(
        session,
        program,
        texter_id=texter.id,
        conversation_id=last.id if last else None,
        peer_profile_id=last.peer_profile_id if last else texter.last_peer_id,
        kind="recurring",
        due_at=due_at,
        now=now,
        dispatcher=dispatcher,
    )


def cancel_recurring(session: Session, *, texter_id: int) -> int:
    """Cancel the texter's scheduled weekly check-ins; returns how many."""
    return states.transition(
        session,
        CheckIn,
        None,
        states.CHECKIN,
        "cancelled",
        where=(CheckIn.texter_id == texter_id, CheckIn.kind == "recurring"),
    )


def set_recurring(session: Session, *, texter_id: int, choice: str, now: datetime, dispatcher):
    """The texter turns weekly check-ins on ("weekly") or off ("off")."""
    texter = session.get(Texter, texter_id, with_for_update=True, populate_existing=True)
    texter.recurring_checkin = choice
    session.flush()
    if choice == "weekly":
        return schedule_recurring(session, texter_id=texter_id, now=now, dispatcher=dispatcher)
    cancel_recurring(session, texter_id=texter_id)
    return None


# -- sending -----------------------------------------------------------------------


def _busy(session: Session, texter: Texter) -> bool:
    """The texter is talking to a peer, waiting for one, or choosing a topic."""
    if texter.dialog_state != "idle":
        return True
    live = session.scalar(
        select(Conversation.id).where(
            Conversation.texter_id == texter.id, Conversation.state == "active"
        )
    )
    return live is not None


def _next_recurring(session: Session, checkin: CheckIn, now: datetime, dispatcher) -> None:
    if checkin.kind == "recurring":
        schedule_recurring(
            session,
            texter_id=checkin.texter_id,
            now=now,
            dispatcher=dispatcher,
            after=checkin.due_at,
        )


def send_checkin(session: Session, *, checkin_id: int, now: datetime, dispatcher) -> str:
    """Send one due check-in, or skip, drop or hold it; returns what happened."""
    checkin = session.get(CheckIn, checkin_id, populate_existing=True)
    if checkin is None or checkin.state != "scheduled":
        return "done"
    texter = session.get(Texter, checkin.texter_id, populate_existing=True)
    program = session.get(Program, checkin.program_id)
    if texter.opted_out or program.status == "closed":
        if (
            states.transition(session, CheckIn, checkin.id, states.CHECKIN, "cancelled")
            and checkin.kind == "recurring"
        ):
            # Opting back in to messages is not opting back in to weekly check-ins.
            texter.recurring_checkin = "off"
        return "cancelled"
    if now < checkin.due_at:
        enqueue_delivery(dispatcher, checkin)  # ran early (the sweep, a clock step)
        return "early"
    if now >= checkin.expires_at:
        if states.transition(session, CheckIn, checkin.id, states.CHECKIN, "expired"):
            _next_recurring(session, checkin, now, dispatcher)
        return "expired"
    if in_quiet_hours(program, now):
        checkin.due_at = quiet_hours_end(program, now)
        session.flush()
        enqueue_delivery(dispatcher, checkin)
        return "held"
    if _busy(session, texter) or program.status != "live":
        if states.transition(session, CheckIn, checkin.id, states.CHECKIN, "skipped"):
            _next_recurring(session, checkin, now, dispatcher)
        return "skipped"
    if not states.transition(session, CheckIn, checkin.id, states.CHECKIN, "sent", sent_at=now):
        return "done"
    queue_sms(
        session,
        program=program,
        body=texts.for_texter("checkin", program, texter),
        now=now,
        dispatcher=dispatcher,
        texter_id=texter.id,
        kind="checkin",
    )
    _next_recurring(session, checkin, now, dispatcher)
    session.flush()
    log.info("check-in %s sent", checkin.id)
    return "sent"


# -- answers -------------------------------------------------------------------------


def expire_unanswered(session: Session, *, now: datetime) -> int:
    """Sent check-ins nobody answered within ANSWER_WINDOW expire; returns how many."""
    return states.transition(
        session,
        CheckIn,
        None,
        states.CHECKIN,
        "expired",
        where=(CheckIn.state == "sent", CheckIn.sent_at < now - ANSWER_WINDOW),
    )


def answerable(session: Session, *, texter_id: int, now: datetime) -> CheckIn | None:
    """The texter's latest sent check-in that a reply may still answer."""
    return session.scalar(
        select(CheckIn)
        .where(
            CheckIn.texter_id == texter_id,
            CheckIn.state == "sent",
            CheckIn.sent_at >= now - ANSWER_WINDOW,
        )
        .order_by(CheckIn.sent_at.desc(), CheckIn.id.desc())
        .limit(1)
    )


def record_answer(session: Session, *, checkin_id: int, score: int | None, now: datetime) -> bool:
    """Record the answer once (score None: the texter asked to TALK)."""
    moved = states.transition(
        session, CheckIn, checkin_id, states.CHECKIN, "answered", score=score, answered_at=now
    )
    return bool(moved)


def has_open_request(session: Session, texter_id: int) -> bool:
    """The texter already has a request looking for a peer."""
    return (
        session.scalar(
            select(SupportRequest.id).where(
                SupportRequest.texter_id == texter_id,
                SupportRequest.state.in_(states.OPEN_REQUEST_STATES),
            )
        )
        is not None
    )


# -- what the peer sees ----------------------------------------------------------------


def answers_for_peer(session: Session, *, peer_profile_id: int, limit: int = 50) -> list[tuple]:
    """Answered check-ins of the peer's conversations: (pseudonym, score, answered_at, kind)."""
    return list(
        session.execute(
            select(Texter.pseudonym, CheckIn.score, CheckIn.answered_at, CheckIn.kind)
            .join(Texter, Texter.id == CheckIn.texter_id)
            .where(CheckIn.peer_profile_id == peer_profile_id, CheckIn.state == "answered")
            .order_by(CheckIn.answered_at.desc(), CheckIn.id.desc())
            .limit(limit)
        ).all()
    )
