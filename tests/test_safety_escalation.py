"""After a risky text: flag, alert a person, escalate to backup, never leave a text unanswered."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
import time_machine
from sqlalchemy import func, select

from peerwork import jobs as peerwork_jobs
from peerwork.extensions import db, get_redis, set_service
from peerwork.matching import offers
from peerwork.models import (
    Alert,
    AuditEvent,
    Conversation,
    EscalationContact,
    Message,
    Offer,
    SupportRequest,
)
from peerwork.queue import Dispatcher
from peerwork.safety import escalation
from peerwork.sms import texts
from peerwork.texter.inbound import sweep_inbound
from tests.helpers import RecordingDispatcher, add_escalation_contact, ask_for_peer
from tests.sms_helpers import Phone

TEXTER_PHONE = "+17165550188"
SUPERVISOR_PHONE = "+15855550111"
BACKUP_PHONE = "+15855550122"


# -- the world -----------------------------------------------------------------


@pytest.fixture
def program(make):
    program = make.program(name="Acme Peer Line", messages_per_second=30, alert_ack_minutes=5)
    add_escalation_contact(program, "Dana (supervisor)", SUPERVISOR_PHONE)
    add_escalation_contact(program, "Lee (backup)", BACKUP_PHONE, backup=True)
    return program


def connect(session, program, texter, peer, now):
    """The texter is in an active conversation with `peer`."""
    request = SupportRequest(
        program_id=program.id, texter_id=texter.id, state="matched", created_at=now, matched_at=now
    )
    session.add(request)
    session.flush()
    conversation = Conversation(
        program_id=program.id,
        request_id=request.id,
        texter_id=texter.id,
        peer_profile_id=peer.id,
        state="active",
        started_at=now,
    )
    session.add(conversation)
    texter.dialog_state = "connected"
    session.flush()
    return conversation


def texter_says(session, texter, body, at, *, conversation=None, crisis=None):
    from peerwork.safety.detect import assess

    message = Message(
        program_id=texter.program_id,
        direction="inbound",
        author="texter",
        texter_id=texter.id,
        conversation_id=conversation.id if conversation else None,
        body=body,
        is_crisis=assess(body).is_crisis if crisis is None else crisis,
        status="received",
        created_at=at,
        processed_at=at,
    )
    session.add(message)
    session.flush()
    return message


def peer_says(session, conversation, body, at):
    message = Message(
        program_id=conversation.program_id,
        direction="outbound",
        author="peer",
        kind="relay",
        recipient="texter",
        texter_id=conversation.texter_id,
        peer_profile_id=conversation.peer_profile_id,
        conversation_id=conversation.id,
        body=body,
        status="sent",
        created_at=at,
    )
    session.add(message)
    session.flush()
    return message


def texts_to_contacts(session, *, backup=None):
    query = select(Message).join(EscalationContact, EscalationContact.id == Message.contact_id)
    if backup is not None:
        query = query.where(EscalationContact.is_backup.is_(backup))
    return session.scalars(query.order_by(Message.id)).all()


def alerts(session, kind="crisis"):
    return session.scalars(select(Alert).where(Alert.kind == kind).order_by(Alert.id)).all()


# -- crisis in a conversation ----------------------------------------------------


def test_a_crisis_in_a_conversation_flags_it_and_alerts_supervisors_once(
    session, make, program, now
):
    texter = make.texter(program)
    conversation = connect(session, program, texter, make.peer(program), now)
    message = texter_says(session, texter, "i want to kill myself", now, conversation=conversation)
    dispatcher = RecordingDispatcher()

    alert = escalation.handle_crisis_message(
        session, message_id=message.id, now=now, dispatcher=dispatcher
    )
    again = escalation.handle_crisis_message(
        session, message_id=message.id, now=now + timedelta(seconds=3), dispatcher=dispatcher
    )

    assert again.id == alert.id
    assert len(alerts(session)) == 1
    assert alert.category == "suicide_self_harm"
    assert alert.conversation_id == conversation.id and alert.texter_id == texter.id
    assert alert.state == "open"
    session.refresh(conversation)
    assert conversation.is_crisis
    # The supervisor is texted (once, urgently); the backup is not, yet.
    to_staff = texts_to_contacts(session)
    assert [m.contact_id for m in to_staff] == [
        c.id for c in session.scalars(select(EscalationContact).where(~EscalationContact.is_backup))
    ]
    assert to_staff[0].body == texts.for_program("staff_crisis_alert", program)
    assert to_staff[0].is_crisis
    # Escalation is scheduled for the end of the acknowledgement window.
    scheduled = [c for c in dispatcher.calls if c["job"] is escalation.escalate_alert]
    assert len(scheduled) == 1
    assert scheduled[0]["args"] == (alert.id,)
    assert scheduled[0]["at"] == now + timedelta(minutes=5)


def test_alert_and_audit_carry_the_category_never_the_words(session, make, program, now):
    texter = make.texter(program)
    conversation = connect(session, program, texter, make.peer(program), now)
    message = texter_says(
        session, texter, "my husband hits me and I'm scared", now, conversation=conversation
    )
    alert = escalation.handle_crisis_message(
        session, message_id=message.id, now=now, dispatcher=RecordingDispatcher()
    )
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "safety.crisis_detected"))
    assert event.object_type == "alert" and event.object_id == alert.id
    assert event.details["category"] == "abuse_danger"
    stored = f"{event.details} {alert.reason} {alert.category}".lower()
    assert "husband" not in stored and "hits" not in stored and "scared" not in stored


def test_a_texter_waiting_for_a_peer_jumps_the_queue_with_a_wider_wave(session, make, now):
    program = make.program(wave_size=1, max_waves=3)
    for _ in range(5):
        make.peer(program)
    texter = make.texter(program, state="waiting")
    dispatcher = RecordingDispatcher()
    request = ask_for_peer(session, program, texter, now, dispatcher)
    offered_before = session.scalar(
        select(func.count()).select_from(Offer).where(Offer.request_id == request.id)
    )
    message = texter_says(session, texter, "I can't go on. I want to die", now)

    escalation.handle_crisis_message(session, message_id=message.id, now=now, dispatcher=dispatcher)

    session.refresh(request)
    assert request.is_crisis
    offered_after = session.scalar(
        select(func.count()).select_from(Offer).where(Offer.request_id == request.id)
    )
    assert offered_before == 1
    assert offered_after == 1 + 2  # a crisis wave asks twice as many peers at once
    assert alerts(session)[0].request_id == request.id


def test_a_request_opened_as_a_crisis_gets_no_second_wave(session, make, now):
    program = make.program(wave_size=1)
    for _ in range(6):
        make.peer(program)
    texter = make.texter(program, state="waiting")
    message = texter_says(session, texter, "i want to die", now)
    dispatcher = RecordingDispatcher()
    request = offers.open_request(
        session,
        program_id=program.id,
        texter_id=texter.id,
        topic_id=None,
        now=now,
        dispatcher=dispatcher,
        is_crisis=True,
    )
    escalation.handle_crisis_message(session, message_id=message.id, now=now, dispatcher=dispatcher)
    offered = session.scalar(
        select(func.count()).select_from(Offer).where(Offer.request_id == request.id)
    )
    assert offered == 2  # the crisis-size first wave, and no more


def test_a_texter_in_crisis_yesterday_is_a_crisis_when_they_come_back(session, make, now):
    program = make.program()
    make.peer(program)
    texter = make.texter(program)
    conversation = connect(session, program, texter, make.peer(program), now)
    message = texter_says(session, texter, "kms", now, conversation=conversation)
    escalation.handle_crisis_message(
        session, message_id=message.id, now=now, dispatcher=RecordingDispatcher()
    )
    conversation.state = "ended"
    session.flush()
    later = now + timedelta(hours=3)
    request = offers.open_request(
        session,
        program_id=program.id,
        texter_id=texter.id,
        topic_id=None,
        now=later,
        dispatcher=RecordingDispatcher(),
    )
    assert not request.is_crisis
    # Over a day later the old crisis would no longer mark a new request.
    day_later = now + timedelta(hours=25)
    assert escalation.carry_crisis_forward(session, now=day_later, dispatcher=None) == 0
    assert (
        escalation.carry_crisis_forward(session, now=later, dispatcher=RecordingDispatcher()) == 1
    )
    session.refresh(request)
    assert request.is_crisis
    assert (
        escalation.carry_crisis_forward(session, now=later, dispatcher=RecordingDispatcher()) == 0
    )


# -- acknowledging and escalating ------------------------------------------------


def raise_crisis(session, make, program, now, dispatcher):
    texter = make.texter(program)
    conversation = connect(session, program, texter, make.peer(program), now)
    message = texter_says(session, texter, "kms", now, conversation=conversation)
    return escalation.handle_crisis_message(
        session, message_id=message.id, now=now, dispatcher=dispatcher
    )


def test_acknowledge_is_scoped_to_the_organization_and_happens_once(session, make, program, now):
    alert = raise_crisis(session, make, program, now, RecordingDispatcher())
    supervisor = make.supervisor(program.organization)
    stranger = make.supervisor(make.org())

    with pytest.raises(escalation.AlertNotFound):
        escalation.acknowledge(
            session,
            alert_id=alert.id,
            user_id=stranger.id,
            organization_id=stranger.organization_id,
            now=now,
        )
    first = escalation.acknowledge(
        session,
        alert_id=alert.id,
        user_id=supervisor.id,
        organization_id=supervisor.organization_id,
        now=now + timedelta(minutes=1),
    )
    second = escalation.acknowledge(
        session,
        alert_id=alert.id,
        user_id=supervisor.id,
        organization_id=supervisor.organization_id,
        now=now + timedelta(minutes=2),
    )
    assert (first, second) == (True, False)
    assert alert.state == "acknowledged" and alert.acknowledged_by_id == supervisor.id
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "safety.alert_acknowledged")
    )
    assert event.actor_user_id == supervisor.id and event.details["seconds_open"] == 60


@pytest.mark.committed
def test_an_unacknowledged_crisis_goes_to_the_backup_after_the_window(
    app, make, program, now, jobs, transport
):
    staff_text = texts.for_program("staff_crisis_alert", program)
    with time_machine.travel(now, tick=False):
        alert_id = raise_crisis(db.session, make, program, now, jobs.dispatcher).id
        db.session.commit()
        jobs.run(until=now + timedelta(seconds=5))
    assert transport.bodies_to(SUPERVISOR_PHONE) == [staff_text]

    with time_machine.travel(now + timedelta(minutes=4), tick=False):
        jobs.run(until=now + timedelta(minutes=4))
        peerwork_jobs.safety_sweep()
    assert db.session.get(Alert, alert_id).state == "open"
    assert transport.bodies_to(BACKUP_PHONE) == []

    with time_machine.travel(now + timedelta(minutes=5, seconds=1), tick=False):
        jobs.run(until=now + timedelta(minutes=5, seconds=1))
        peerwork_jobs.safety_sweep()  # the sweep finds nothing more to do
        jobs.run(until=now + timedelta(minutes=5, seconds=2))
    alert = db.session.get(Alert, alert_id)
    assert alert.state == "escalated"
    assert alert.escalated_at == now + timedelta(minutes=5, seconds=1)
    backup = transport.bodies_to(BACKUP_PHONE)
    assert len(backup) == 1 and "a crisis alert raised 5 minutes ago" in backup[0]
    assert transport.bodies_to(SUPERVISOR_PHONE) == [staff_text]
    assert jobs.failed() == []


@pytest.mark.committed
def test_an_acknowledged_crisis_never_reaches_the_backup(app, make, program, now, jobs, transport):
    supervisor_id = make.supervisor(program.organization).id
    organization_id = program.organization_id
    with time_machine.travel(now, tick=False):
        alert_id = raise_crisis(db.session, make, program, now, jobs.dispatcher).id
        db.session.commit()
    with time_machine.travel(now + timedelta(minutes=2), tick=False):
        assert escalation.acknowledge(
            db.session,
            alert_id=alert_id,
            user_id=supervisor_id,
            organization_id=organization_id,
            now=now + timedelta(minutes=2),
        )
        db.session.commit()
    with time_machine.travel(now + timedelta(minutes=30), tick=False):
        jobs.run(until=now + timedelta(minutes=30))
        peerwork_jobs.safety_sweep()
        jobs.run(until=now + timedelta(minutes=30))
    alert = db.session.get(Alert, alert_id)
    assert alert.state == "acknowledged" and alert.escalated_at is None
    assert transport.bodies_to(BACKUP_PHONE) == []
    assert len(transport.bodies_to(SUPERVISOR_PHONE)) == 1
    assert jobs.failed() == []


def test_with_no_backup_contact_the_supervisors_are_texted_again(session, make, now):
    program = make.program(alert_ack_minutes=5)
    add_escalation_contact(program, "Only supervisor", SUPERVISOR_PHONE)
    alert = raise_crisis(session, make, program, now, RecordingDispatcher())
    assert (
        escalation.escalate_overdue(
            session, now=now + timedelta(minutes=6), dispatcher=RecordingDispatcher()
        )
        == 1
    )
    bodies = [m.body for m in texts_to_contacts(session)]
    assert len(bodies) == 2 and "backup alert" in bodies[1]
    assert alert.state == "escalated"
    assert (
        escalation.escalate_alert(
            session, alert_id=alert.id, now=now + timedelta(minutes=9), dispatcher=None
        )
        is False
    )


# -- through the webhook ---------------------------------------------------------


def test_a_crisis_text_is_answered_in_the_twiml_and_escalated_by_the_job(
    client, session, make, program, jobs, transport, now
):
    texter = make.texter(program, TEXTER_PHONE)
    conversation = connect(session, program, texter, make.peer(program), now)
    phone = Phone(client, program, TEXTER_PHONE, jobs)
    crisis_text = texts.for_program("crisis", program)
    staff_text = texts.for_program("staff_crisis_alert", program)
    conversation_id = conversation.id

    replies = phone.sends("I want to end my life tonight 😞")

    assert replies == [crisis_text]
    assert db.session.get(Conversation, conversation_id).is_crisis
    assert [a.category for a in alerts(db.session)] == ["suicide_self_harm"]
    assert transport.bodies_to(SUPERVISOR_PHONE) == [staff_text]


@pytest.mark.parametrize("body", ["HELP I want to kill myself", "I'm suicidal", "kys"])
def test_every_crisis_text_is_escalated_even_when_the_webhook_answered_it_all(
    client, session, make, program, jobs, transport, body
):
    # A text the webhook handles entirely (no dialog job) is caught by the sweep.
    Phone(client, program, TEXTER_PHONE, jobs).sends(body)
    later = db.session.scalar(select(func.max(Message.created_at))) + timedelta(minutes=1)
    escalation.handle_missed_crisis_messages(
        session, now=later, dispatcher=jobs.dispatcher, after=timedelta(seconds=30)
    )
    assert len(alerts(session)) == 1
    escalation.handle_missed_crisis_messages(
        session, now=later, dispatcher=jobs.dispatcher, after=timedelta(seconds=30)
    )
    assert len(alerts(session)) == 1


def test_with_redis_stopped_the_crisis_reply_still_goes_out_and_the_alert_follows(
    app, client, session, make, program, jobs, transport, now
):
    texter = make.texter(program, TEXTER_PHONE)
    conversation_id = connect(session, program, texter, make.peer(program), now).id
    crisis_text = texts.for_program("crisis", program)
    good_redis = get_redis(app)
    good_dispatcher = Dispatcher(good_redis, app.config["RQ_QUEUE_PREFIX"])
    dead = redis.Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2)
    set_service("redis", dead, app)
    set_service("dispatcher", Dispatcher(dead, app.config["RQ_QUEUE_PREFIX"]), app)
    try:
        replies = Phone(client, program, TEXTER_PHONE).sends(
            "i want to kiiill myself", run_jobs=False
        )
    finally:
        set_service("redis", good_redis, app)
        set_service("dispatcher", good_dispatcher, app)

    assert replies == [crisis_text]
    assert alerts(session) == []  # nothing could run yet

    # Redis is back: the inbound sweep re-enqueues the dialog job, which escalates.
    sweep_at = db.session.scalar(select(func.max(Message.created_at))) + timedelta(minutes=1)
    assert (
        sweep_inbound(
            session, now=sweep_at, after=timedelta(seconds=20), dispatcher=good_dispatcher
        )
        == 1
    )
    session.commit()
    jobs.run(until=sweep_at)
    # The safety sweep and a second inbound sweep change nothing more.
    escalation.handle_missed_crisis_messages(
        session, now=sweep_at, dispatcher=good_dispatcher, after=timedelta(seconds=30)
    )
    sweep_inbound(session, now=sweep_at, after=timedelta(seconds=20), dispatcher=good_dispatcher)
    jobs.run(until=sweep_at)

    assert len(alerts(db.session)) == 1
    assert db.session.get(Conversation, conversation_id).is_crisis
    assert len(transport.bodies_to(SUPERVISOR_PHONE)) == 1
    assert jobs.failed() == []


# -- no message left unanswered --------------------------------------------------


def test_an_unanswered_text_gets_one_follow_up_and_supervisors_hear(session, make, program, now):
    texter = make.texter(program)
    conversation = connect(session, program, texter, make.peer(program), now)
    texter_says(
        session, texter, "are you there?", now + timedelta(minutes=1), conversation=conversation
    )
    texter_says(session, texter, "hello??", now + timedelta(minutes=3), conversation=conversation)
    dispatcher = RecordingDispatcher()

    def sweep(minutes):
        return escalation.follow_up_unanswered(
            session, now=now + timedelta(minutes=minutes), dispatcher=dispatcher
        )

    assert sweep(10) == 0  # nine minutes: not yet
    assert sweep(11) == 1
    assert sweep(12) == 0
    assert sweep(30) == 0  # once per unanswered stretch, not per message or minute
    to_texter = session.scalars(
        select(Message).where(Message.recipient == "texter", Message.texter_id == texter.id)
    ).all()
    assert [m.body for m in to_texter] == [texts.for_program("unanswered_followup", program)]
    assert len(alerts(session, "unanswered")) == 1
    assert len(texts_to_contacts(session, backup=False)) == 1

    # The peer answers; a new unanswered stretch can be followed up again.
    peer_says(session, conversation, "I'm here, sorry", now + timedelta(minutes=31))
    texter_says(
        session, texter, "ok thanks", now + timedelta(minutes=32), conversation=conversation
    )
    assert sweep(40) == 0
    assert sweep(43) == 1
    assert len(alerts(session, "unanswered")) == 2


def test_a_text_answered_by_the_peer_is_not_followed_up(session, make, program, now):
    texter = make.texter(program)
    conversation = connect(session, program, texter, make.peer(program), now)
    texter_says(session, texter, "hi", now + timedelta(minutes=1), conversation=conversation)
    peer_says(session, conversation, "Hi, I'm listening", now + timedelta(minutes=4))
    assert (
        escalation.follow_up_unanswered(
            session, now=now + timedelta(minutes=60), dispatcher=RecordingDispatcher()
        )
        == 0
    )


def test_texts_while_waiting_are_followed_up_but_not_the_request_itself(session, make, now):
    program = make.program(unanswered_minutes=10)
    texter = make.texter(program, state="waiting")
    request = SupportRequest(
        program_id=program.id, texter_id=texter.id, state="waiting", created_at=now
    )
    session.add(request)
    session.flush()
    texter_says(session, texter, "2", now)  # the topic choice that opened the request
    dispatcher = RecordingDispatcher()
    assert (
        escalation.follow_up_unanswered(
            session, now=now + timedelta(minutes=30), dispatcher=dispatcher
        )
        == 0
    )
    texter_says(session, texter, "is anyone there", now + timedelta(minutes=31))
    assert (
        escalation.follow_up_unanswered(
            session, now=now + timedelta(minutes=42), dispatcher=dispatcher
        )
        == 1
    )
    assert alerts(session, "unanswered")[0].request_id == request.id


def test_an_ended_conversation_is_not_followed_up(session, make, program, now):
    texter = make.texter(program)
    conversation = connect(session, program, texter, make.peer(program), now)
    texter_says(session, texter, "bye", now + timedelta(minutes=1), conversation=conversation)
    conversation.state = "ended"
    session.flush()
    assert (
        escalation.follow_up_unanswered(
            session, now=now + timedelta(minutes=60), dispatcher=RecordingDispatcher()
        )
        == 0
    )


def test_the_crisis_reply_fits_one_segment():
    from peerwork.sms import segments

    assert segments.segments(texts.TEXTS["crisis"].default) == 1
    for key in ("crisis", "unanswered_followup", "staff_crisis_alert", "staff_backup_alert"):
        body = texts.render(
            key, program="A Rather Long Program Name", what="a crisis alert raised 15 minutes ago"
        )
        assert "988" in body or key.startswith("staff")
        assert segments.segments(body) <= texts.TEXTS[key].max_segments


def test_safety_jobs_are_registered_as_periodic():
    from peerwork.worker import periodic_jobs

    assert any(func is peerwork_jobs.safety_sweep for func, _, _ in periodic_jobs())
