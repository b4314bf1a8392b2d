"""The demo's past weeks: made by the product's own code paths, spread over weeks, every
topic, both sides of each conversation, check-ins answered, alerts handled, nothing left
to send now."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from peerwork import demo, demo_history
from peerwork.extensions import get_dispatcher
from peerwork.models import (
    Alert,
    AuditEvent,
    CheckIn,
    Conversation,
    Message,
    Offer,
    PeerProfile,
    Program,
    SupportRequest,
    Texter,
    Topic,
    states,
)
from peerwork.peers.profile import alias_problem
from peerwork.safety.detect import assess


def test_demo_history_is_weeks_of_the_product_in_use(session, now, app):
    """One load (it takes seconds), every property of the history checked on it."""
    demo.load(session, now=now)
    session.commit()
    history = session.scalar(select(Program).where(Program.sms_number == demo.PROGRAM_NUMBER))
    _spreads_over_weeks_and_every_topic(session, now, history)
    _every_conversation_has_both_sides_and_a_wrap_up(session, history)
    _check_ins_went_out_and_were_answered(session, history)
    _alerts_were_raised_by_the_safety_code_and_acknowledged(session, history)
    _nothing_of_the_past_is_left_to_send_now(session, app)
    _history_ends_before_now_and_began_after_the_program(session, now, history)
    _all_in_english_the_default(session, history)


def _all_in_english_the_default(session, history):
    """The demo line offers English only: every texter and request stays English."""
    assert history.languages == "en"
    texters = session.scalars(select(Texter.language).where(Texter.program_id == history.id))
    assert set(texters) == {"en"}
    requests = session.scalars(
        select(SupportRequest.language).where(SupportRequest.program_id == history.id)
    )
    assert set(requests) == {"en"}
    peers = session.scalars(
        select(PeerProfile.languages).where(PeerProfile.program_id == history.id)
    )
    assert all("en" in langs.split(",") for langs in peers)


def _spreads_over_weeks_and_every_topic(session, now, history):
    conversations = session.scalars(
        select(Conversation).where(Conversation.program_id == history.id)
    ).all()
    assert len(conversations) >= 3 * demo_history.WEEKS
    started = [c.started_at for c in conversations]
    assert all(now - demo.HISTORY_SPAN < moment < now for moment in started)
    weeks = {(moment.isocalendar().year, moment.isocalendar().week) for moment in started}
    assert len(weeks) >= demo_history.WEEKS
    topics = set(
        session.scalars(
            select(Topic.name).join(Conversation, Conversation.topic_id == Topic.id)
        ).all()
    )
    assert topics == {name for name, _ in demo.TOPICS}
    # Plausible hours in the program's zone: none in the small hours.
    assert all(
        7 <= moment.astimezone(demo_history.ZoneInfo(history.timezone)).hour <= 23
        for moment in started
    )
    # Requests went through matching: offered, accepted, the rest withdrawn or expired.
    assert session.scalar(select(func.count(Offer.id)).where(Offer.state == "accepted")) == len(
        conversations
    )
    assert not session.scalar(select(func.count(Offer.id)).where(Offer.state == "open"))
    assert not session.scalar(
        select(func.count(SupportRequest.id)).where(
            SupportRequest.state.in_(("offering", "waiting", "held"))
        )
    )


def _every_conversation_has_both_sides_and_a_wrap_up(session, history):
    conversations = session.scalars(
        select(Conversation).where(Conversation.program_id == history.id)
    ).all()
    for conversation in conversations:
        authors = set(
            session.scalars(
                select(Message.author).where(Message.conversation_id == conversation.id)
            ).all()
        )
        assert {"texter", "peer"} <= authors, conversation.id
        assert conversation.state == "ended"
        assert conversation.outcome
        assert conversation.ended_by in ("texter", "peer")
    ended_by = {c.ended_by for c in conversations}
    assert ended_by == {"texter", "peer"}
    # Returning texters: some texted more than once.
    per_texter = session.execute(
        select(Conversation.texter_id, func.count()).group_by(Conversation.texter_id)
    ).all()
    assert any(count > 1 for _texter, count in per_texter)
    # Pseudonyms, never names or numbers.
    for texter in session.scalars(select(Texter).where(Texter.program_id == history.id)):
        assert texter.pseudonym.startswith("Texter ")


def _check_ins_went_out_and_were_answered(session, history):
    answered = session.scalars(
        select(CheckIn).where(CheckIn.program_id == history.id, CheckIn.state == "answered")
    ).all()
    assert len(answered) >= 5
    assert {c.score for c in answered} <= {3, 4, 5}
    # The answer arrived by text, after the check-in went out.
    for checkin in answered:
        assert checkin.sent_at < checkin.answered_at
    assert not session.scalar(
        select(func.count(CheckIn.id)).where(
            CheckIn.program_id == history.id, CheckIn.state == "scheduled"
        )
    )


def _alerts_were_raised_by_the_safety_code_and_acknowledged(session, history):
    alerts = session.scalars(select(Alert).where(Alert.program_id == history.id)).all()
    kinds = {alert.kind for alert in alerts}
    assert {"crisis", "flag"} <= kinds
    crisis = [alert for alert in alerts if alert.kind == "crisis"]
    assert len(crisis) == 1
    assert crisis[0].conversation_id is not None
    assert all(alert.state == "acknowledged" for alert in alerts)
    assert session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "safety.alert_acknowledged")
    ) == len(alerts)
    # Only the crisis conversation's one message reads as a crisis.
    assert session.scalar(select(func.count(Message.id)).where(Message.is_crisis)) >= 1
    flagged_inbound = session.scalars(
        select(Message.body).where(Message.direction == "inbound", Message.is_crisis)
    ).all()
    assert flagged_inbound == [demo_history.CRISIS.lines[2][1]]


def _nothing_of_the_past_is_left_to_send_now(session, app):
    pending = session.scalar(
        select(func.count(Message.id)).where(
            Message.direction == "outbound", Message.status.in_(states.PENDING_DELIVERY)
        )
    )
    assert pending == 0
    statuses = set(
        session.scalars(select(Message.status).where(Message.direction == "outbound")).all()
    )
    assert statuses <= {"delivered", "sent", "cancelled"}
    assert "delivered" in statuses
    # And nothing was queued on Redis: no flood of jobs at the first start.
    for queue in get_dispatcher(app).all_queues():
        assert queue.count == 0
        assert queue.scheduled_job_registry.count == 0


def test_the_scripts_read_as_intended_by_the_crisis_detector():
    """Only the crisis script's one line is a crisis; the rest must not raise false alerts."""
    for script in [*demo_history.SCRIPTS, demo_history.CRISIS]:
        for who, line in [("texter", script.opening), *script.lines]:
            if who != "texter":
                continue
            expected = script is demo_history.CRISIS and line == demo_history.CRISIS.lines[2][1]
            assert assess(line, None).is_crisis == expected, line


def test_demo_peers_have_aliases_not_their_names(session, now):
    demo.load(session, now=now, history=False)
    for _email, name, alias, _password, _topics in demo.PEERS:
        assert alias.lower() != name.split()[0].lower()
        assert alias_problem(alias, name) is None
    aliases = set(session.scalars(select(PeerProfile.alias)).all())
    assert aliases == {alias for _e, _n, alias, _p, _t in demo.PEERS}


def _history_ends_before_now_and_began_after_the_program(session, now, history):
    first = session.scalar(select(func.min(Message.created_at)))
    last = session.scalar(select(func.max(Message.created_at)))
    assert history.created_at <= first
    assert last <= now
    assert now - last < timedelta(days=10)
