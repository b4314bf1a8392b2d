"""What happens after a risky message: flag, alert a person, escalate, follow up.

The crisis reply itself goes out in the webhook (peerwork.texter.inbound); this
module does the rest, from jobs, and every function is safe to run late and
twice: one `Alert(kind="crisis")` per message and one `Alert(kind="unanswered")`
per message are held by a unique constraint, and state changes are
conditional UPDATEs. Alerts and audit rows carry a category, never the text.

Every function flushes and leaves the commit to its caller.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peerwork import audit
from peerwork.matching import eligibility, offers
from peerwork.models import (
    Alert,
    Conversation,
    EscalationContact,
    Message,
    Program,
    SupportRequest,
    Texter,
    User,
    states,
)
from peerwork.queue import URGENT
from peerwork.safety.detect import assess, category_label, language_name
from peerwork.sms import texts
from peerwork.sms.outbox import queue_sms

log = logging.getLogger(__name__)

# A crisis message is normally escalated by its dialog job within a second or
# two; past this, the sweep assumes the job was lost and does it itself.
MISSED_CRISIS_AFTER = timedelta(seconds=30)

OPEN_REQUEST_STATES = states.OPEN_REQUEST_STATES
# Requests still looking for a peer whose texter may be owed a human answer.
ANSWERABLE_REQUEST_STATES = ("offering", "waiting")
# Kinds of alert that go to the backup contacts when nobody acknowledges them.
ESCALATING_KINDS = ("crisis", "flag", "unanswered")
KIND_NAMES = {"crisis": "crisis", "flag": "peer help", "unanswered": "unanswered text"}
# Messages older than this are history, not something to follow up now.
UNANSWERED_LOOKBACK = timedelta(hours=24)
UNKNOWN_CATEGORY = "unspecified"


class AlertNotFound(LookupError):
    """No such alert in the caller's organization."""


# -- crisis messages -----------------------------------------------------------


def handle_crisis_message(
    session: Session, *, message_id: int, now: datetime, dispatcher
) -> Alert | None:
    """Flag, alert supervisors (web + SMS) and schedule escalation for one crisis message.

    Idempotent: a second call for the same message returns the first alert.
    """
    message = session.get(Message, message_id)
    if message is None or message.direction != "inbound" or message.texter_id is None:
        return None
    existing = _alert_for(session, "crisis", message_id)
    if existing is not None:
        return existing
    program = session.get(Program, message.program_id)
    # Worked out again here so nothing about the message travels through Redis.
    assessment = assess(message.body or "", program.crisis_phrases)
    category = assessment.category or UNKNOWN_CATEGORY
    conversation = _active_conversation(session, message.texter_id)
    request = None if conversation is not None else _open_request(session, message.texter_id)
    alert = Alert(
        program_id=program.id,
        kind="crisis",
        state="open",
        category=category,
        language=assessment.language,
        detected_by=assessment.reason or None,
        message_id=message.id,
        conversation_id=conversation.id if conversation else message.conversation_id,
        request_id=request.id if request else None,
        texter_id=message.texter_id,
        created_at=now,
    )
    if not _insert_once(session, alert):
        return _alert_for(session, "crisis", message_id)
    if not message.is_crisis:
        message.is_crisis = True
    if conversation is not None:
        _flag_conversation(session, conversation.id)
    elif request is not None and not request.is_crisis:
        # Jumps the queue with a wider wave (or flags a held request for opening time).
        # A request the dialog already opened as a crisis has had its wide wave.
        _mark_request(session, request.id, now, dispatcher)
    _announce(
        session,
        program,
        alert,
        body=texts.for_program("staff_crisis_alert", program),
        action="safety.crisis_detected",
        details={
            "category": category,
            "language": assessment.language,
            "detected_by": assessment.reason,
            "flagged": "conversation" if conversation else ("request" if request else "texter"),
        },
        now=now,
        dispatcher=dispatcher,
    )
    session.flush()
    log.warning(
        "crisis alert %s raised (category %s, language %s, %s)",
        alert.id,
        category,
        assessment.language,
        assessment.reason,
    )
    return alert


def schedule_escalation(dispatcher, alert: Alert, program: Program):
    """Enqueue the backup escalation for when the acknowledgement window closes."""
    # If Redis is down this returns None; the periodic sweep escalates overdue alerts.
    return dispatcher.enqueue(
        escalate_alert,
        alert.id,
        queue=URGENT,
        at=escalation_due(alert, program),
        job_id=f"escalate-alert-{alert.id}",
    )


def escalation_due(alert: Alert, program: Program) -> datetime:
    """When an unacknowledged alert goes to the backup contacts."""
    return alert.created_at + timedelta(minutes=program.alert_ack_minutes)


def handle_missed_crisis_messages(
    session: Session, *, now: datetime, dispatcher, after: timedelta, limit: int = 200
) -> int:
    """Escalate crisis messages whose escalation never ran (a lost job, a webhook-only reply)."""
    handled_ids = select(Alert.message_id).where(
        Alert.kind == "crisis", Alert.message_id.is_not(None)
    )
    missed = session.scalars(
        select(Message.id)
        .where(
            Message.direction == "inbound",
            Message.is_crisis.is_(True),
            Message.created_at <= now - after,
            Message.created_at >= now - UNANSWERED_LOOKBACK,
            Message.id.not_in(handled_ids),
        )
        .order_by(Message.id)
        .limit(limit)
    ).all()
    for message_id in missed:
        handle_crisis_message(session, message_id=message_id, now=now, dispatcher=dispatcher)
    return len(missed)


def carry_crisis_forward(session: Session, *, now: datetime, dispatcher) -> int:
    """Flag the new request or conversation of a texter who was in crisis in the last day."""
    recent = (
        select(Alert.texter_id)
        .where(
            Alert.kind == "crisis",
            Alert.texter_id.is_not(None),
            Alert.created_at >= now - UNANSWERED_LOOKBACK,
        )
        .distinct()
    )
    requests = session.scalars(
        select(SupportRequest.id).where(
            SupportRequest.texter_id.in_(recent),
            SupportRequest.state.in_(OPEN_REQUEST_STATES),
            SupportRequest.is_crisis.is_(False),
        )
    ).all()
    for request_id in requests:
        _mark_request(session, request_id, now, dispatcher)
    conversations = session.scalars(
        select(Conversation.id).where(
            Conversation.texter_id.in_(recent),
            Conversation.state == "active",
            Conversation.is_crisis.is_(False),
        )
    ).all()
    for conversation_id in conversations:
        _flag_conversation(session, conversation_id)
    session.flush()
    return len(requests) + len(conversations)


# -- acknowledging and escalating ----------------------------------------------


def acknowledge(
    session: Session, *, alert_id: int, user_id: int, organization_id: int, now: datetime
) -> bool:
    """Acknowledge an open or escalated alert of the organization; False if already done."""
    alert = session.scalar(
        select(Alert)
        .join(Program, Program.id == Alert.program_id)
        .where(Alert.id == alert_id, Program.organization_id == organization_id)
    )
    if alert is None:
        raise AlertNotFound(alert_id)
    done = states.transition(
        session,
        Alert,
        alert_id,
        states.ALERT,
        "acknowledged",
        synchronize_session=False,
        acknowledged_at=now,
        acknowledged_by_id=user_id,
    )
    session.refresh(alert)
    if done:
        waited = int((now - alert.created_at).total_seconds())
        audit.record(
            session,
            organization_id=organization_id,
            program_id=alert.program_id,
            action="safety.alert_acknowledged",
            now=now,
            actor=session.get(User, user_id),
            object_type="alert",
            object_id=alert.id,
            details={"kind": alert.kind, "category": alert.category, "seconds_open": waited},
        )
    session.flush()
    return bool(done)


def escalate_alert(session: Session, *, alert_id: int, now: datetime, dispatcher) -> bool:
    """Send an alert nobody acknowledged in time to the backup contacts (once)."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.kind not in ESCALATING_KINDS:
        return False
    if not states.ALERT.can(alert.state, "escalated"):
        return False
    program = session.get(Program, alert.program_id)
    if now < escalation_due(alert, program):
        return False
    done = states.transition(
        session,
        Alert,
        alert_id,
        states.ALERT,
        "escalated",
        synchronize_session=False,
        escalated_at=now,
    )
    if not done:
        return False
    session.refresh(alert)
    minutes = max(1, int((now - alert.created_at).total_seconds() // 60))
    what = f"a {KIND_NAMES.get(alert.kind, alert.kind)} alert raised {minutes} minutes ago"
    body = texts.for_program("staff_backup_alert", program, what=what)
    sent = _text_contacts(
        session, program=program, body=body, backup=True, now=now, dispatcher=dispatcher
    )
    if not sent:
        # No backup contact configured: the primary contacts hear again rather than nobody.
        sent = _text_contacts(
            session, program=program, body=body, backup=False, now=now, dispatcher=dispatcher
        )
    audit.record(
        session,
        organization_id=program.organization_id,
        program_id=program.id,
        action="safety.alert_escalated",
        now=now,
        object_type="alert",
        object_id=alert.id,
        details={"kind": alert.kind, "category": alert.category, "contacts_texted": sent},
    )
    session.flush()
    log.warning("alert %s escalated to %d contact(s)", alert.id, sent)
    return True


def escalate_overdue(session: Session, *, now: datetime, dispatcher, limit: int = 200) -> int:
    """Escalate every open alert past its program's acknowledgement window."""
    rows = session.execute(
        select(Alert.id, Alert.created_at, Program.alert_ack_minutes)
        .join(Program, Program.id == Alert.program_id)
        .where(Alert.state == "open", Alert.kind.in_(ESCALATING_KINDS))
        .order_by(Alert.created_at)
        .limit(limit)
    ).all()
    escalated = 0
    for alert_id, created_at, minutes in rows:
        if created_at + timedelta(minutes=minutes) <= now:
            escalated += escalate_alert(session, alert_id=alert_id, now=now, dispatcher=dispatcher)
    return escalated


# -- no message left unanswered ------------------------------------------------


def follow_up_unanswered(session: Session, *, now: datetime, dispatcher, limit: int = 500) -> int:
    """Follow up, once, on texter messages no person has answered in time; alert supervisors."""
    later_reply = Message.__table__.alias("later_reply")
    unanswered = session.execute(
        select(Message.texter_id, func.min(Message.id))
        .where(
            Message.direction == "inbound",
            Message.author == "texter",
            Message.texter_id.is_not(None),
            Message.created_at >= now - UNANSWERED_LOOKBACK,
            ~select(later_reply.c.id)
            .where(
                later_reply.c.texter_id == Message.texter_id,
                later_reply.c.direction == "outbound",
                later_reply.c.author == "peer",
                later_reply.c.id > Message.id,
            )
            .exists(),
        )
        .group_by(Message.texter_id)
        .limit(limit)
    ).all()
    followed = 0
    for texter_id, first_id in unanswered:
        followed += _follow_up(
            session, texter_id=texter_id, first_id=first_id, now=now, dispatcher=dispatcher
        )
    return followed


def _follow_up(
    session: Session, *, texter_id: int, first_id: int, now: datetime, dispatcher
) -> int:
    texter = session.get(Texter, texter_id)
    program = session.get(Program, texter.program_id)
    conversation = _active_conversation(session, texter_id)
    request = None
    if conversation is not None:
        stage_start = conversation.started_at
    else:
        request = _open_request(session, texter_id, ANSWERABLE_REQUEST_STATES)
        if request is None:
            return 0
        # The first wait is the matching sweep's to report (its own "still waiting"
        # text); here: messages written after the request opened.
        stage_start = request.created_at
    message = session.scalar(
        select(Message)
        .where(
            Message.texter_id == texter_id,
            Message.direction == "inbound",
            Message.author == "texter",
            Message.id >= first_id,
            Message.created_at > stage_start,
        )
        .order_by(Message.id)
        .limit(1)
    )
    if message is None or message.created_at > now - timedelta(minutes=program.unanswered_minutes):
        return 0
    already = session.scalar(
        select(Alert.id).where(
            Alert.kind == "unanswered", Alert.texter_id == texter_id, Alert.message_id >= message.id
        )
    )
    if already is not None:
        return 0
    minutes = int((now - message.created_at).total_seconds() // 60)
    alert = Alert(
        program_id=program.id,
        kind="unanswered",
        state="open",
        reason=f"A texter's message has had no reply from a person for {minutes} minutes.",
        message_id=message.id,
        conversation_id=conversation.id if conversation else None,
        request_id=request.id if request else None,
        texter_id=texter_id,
        created_at=now,
    )
    if not _insert_once(session, alert):
        return 0
    if not texter.opted_out:
        queue_sms(
            session,
            program=program,
            body=texts.for_texter("unanswered_followup", program, texter),
            now=now,
            dispatcher=dispatcher,
            texter_id=texter_id,
            conversation_id=conversation.id if conversation else None,
            kind="followup",
        )
    _announce(
        session,
        program,
        alert,
        body=texts.for_program(
            "staff_alert", program, what=f"a texter has had no reply for {minutes} minutes"
        ),
        action="safety.unanswered_followup",
        details={"minutes": minutes, "stage": "conversation" if conversation else "request"},
        now=now,
        dispatcher=dispatcher,
    )
    session.flush()
    return 1


# -- helpers -------------------------------------------------------------------


def _alert_for(session: Session, kind: str, message_id: int) -> Alert | None:
    return session.scalar(select(Alert).where(Alert.kind == kind, Alert.message_id == message_id))


def raise_flag(
    session: Session, *, conversation: Conversation, raised_by_id: int, reason: str, now: datetime
) -> Alert:
    """A peer's flag on their conversation: an open alert for the supervisors (no content)."""
    alert = Alert(
        program_id=conversation.program_id,
        kind="flag",
        state="open",
        reason=reason[:300],
        conversation_id=conversation.id,
        texter_id=conversation.texter_id,
        raised_by_id=raised_by_id,
        created_at=now,
    )
    session.add(alert)
    return alert


def _insert_once(session: Session, alert: Alert) -> bool:
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        # Another worker raised the same alert first (unique kind + message).
        return False
    return True


def _active_conversation(session: Session, texter_id: int) -> Conversation | None:
    return session.scalar(
        select(Conversation).where(
            Conversation.texter_id == texter_id, Conversation.state == "active"
        )
    )


def _open_request(
    session: Session, texter_id: int, request_states=OPEN_REQUEST_STATES
) -> SupportRequest | None:
    return session.scalar(
        select(SupportRequest).where(
            SupportRequest.texter_id == texter_id, SupportRequest.state.in_(request_states)
        )
    )


def _mark_request(session: Session, request_id: int, now: datetime, dispatcher) -> None:
    offers.mark_crisis(session, request_id=request_id, now=now, dispatcher=dispatcher)


def _flag_conversation(session: Session, conversation_id: int) -> None:
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.is_crisis.is_(False))
        .values(is_crisis=True)
        .execution_options(synchronize_session="fetch")
    )


def _announce(
    session: Session,
    program: Program,
    alert: Alert,
    *,
    body: str,
    action: str,
    details: dict,
    now: datetime,
    dispatcher,
) -> None:
    """Text the program's contacts about a new alert, schedule its escalation, audit it."""
    _text_contacts(
        session, program=program, body=body, backup=False, now=now, dispatcher=dispatcher
    )
    schedule_escalation(dispatcher, alert, program)
    audit.record(
        session,
        organization_id=program.organization_id,
        program_id=program.id,
        action=action,
        now=now,
        object_type="alert",
        object_id=alert.id,
        details=details,
    )


def _text_contacts(
    session: Session, *, program: Program, body: str, backup: bool, now: datetime, dispatcher
) -> int:
    contact_ids = session.scalars(
        select(EscalationContact.id)
        .where(
            EscalationContact.program_id == program.id,
            EscalationContact.is_backup.is_(backup),
            EscalationContact.phone_encrypted.is_not(None),
        )
        .order_by(EscalationContact.position, EscalationContact.id)
    ).all()
    for contact_id in contact_ids:
        queue_sms(
            session,
            program=program,
            body=body,
            now=now,
            dispatcher=dispatcher,
            recipient="contact",
            contact_id=contact_id,
            kind="alert",
            is_crisis=True,
        )
    return len(contact_ids)


def describe(alert: Alert) -> str:
    """A one-line, content-free description of an alert for staff pages."""
    if alert.kind == "crisis":
        details = ", ".join(d for d in (language_name(alert.language), alert.detected_by) if d)
        return f"Crisis: {category_label(alert.category)}" + (f" ({details})" if details else "")
    return alert.reason or KIND_NAMES.get(alert.kind, alert.kind)


# -- long waits ----------------------------------------------------------------------

# Requests looked at per sweep; the next sweep (seconds later) takes the rest.
WAIT_SWEEP_BATCH = 500


def raise_wait_alerts(session, *, now: datetime, dispatcher) -> int:
    """Once per request: alert supervisors and update the texter when a wait runs long.

    The texter hears "everyone is busy" only when it is true: no eligible peer
    is switched on with room right now. When some are (they were asked and
    have not answered, or are cooling down from this request), the update
    says so instead, and the supervisors' alert says peers are not answering.
    """
    candidates = session.execute(
        select(SupportRequest.id, Program.wait_alert_minutes, SupportRequest.created_at)
        .join(Program, Program.id == SupportRequest.program_id)
        .where(
            SupportRequest.state.in_(("offering", "waiting")),
            SupportRequest.wait_alerted_at.is_(None),
        )
        .order_by(SupportRequest.created_at)
        .limit(WAIT_SWEEP_BATCH)
    ).all()
    raised = 0
    for request_id, minutes, created_at in candidates:
        if created_at > now - timedelta(minutes=minutes):
            continue
        claimed = session.execute(
            update(SupportRequest)
            .where(and_(SupportRequest.id == request_id, SupportRequest.wait_alerted_at.is_(None)))
            .values(wait_alerted_at=now)
            .execution_options(synchronize_session="fetch")
        ).rowcount
        if not claimed:
            continue
        request = session.get(SupportRequest, request_id, populate_existing=True)
        program = session.get(Program, request.program_id)
        waited = int((now - request.created_at).total_seconds() // 60)
        peers_free = eligibility.someone_available(session, request, now)
        reason = f"A texter has waited {waited} minutes for a peer."
        if peers_free:
            reason += " Peers are switched on but have not answered."
        session.add(
            Alert(
                program_id=program.id,
                kind="wait",
                state="open",
                reason=reason,
                request_id=request.id,
                texter_id=request.texter_id,
                created_at=now,
            )
        )
        queue_sms(
            session,
            program=program,
            body=texts.for_program(
                "still_asking" if peers_free else "still_waiting",
                program,
                language=request.language,
            ),
            now=now,
            dispatcher=dispatcher,
            texter_id=request.texter_id,
        )
        contacts = session.scalars(
            select(EscalationContact.id).where(
                EscalationContact.program_id == program.id,
                EscalationContact.is_backup.is_(False),
                EscalationContact.phone_encrypted.is_not(None),
            )
        ).all()
        staff_text = texts.for_program(
            "staff_alert", program, what=f"a texter has waited {waited} minutes for a peer"
        )
        for contact_id in contacts:
            queue_sms(
                session,
                program=program,
                body=staff_text,
                now=now,
                dispatcher=dispatcher,
                recipient="contact",
                contact_id=contact_id,
                kind="alert",
            )
        raised += 1
    return raised
