"""The conversation core: relaying, reading, ending, flagging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from peerwork import conversations
from peerwork.checkins import schedule
from peerwork.matching import offers
from peerwork.models import (
    Alert,
    CheckIn,
    Conversation,
    Message,
    Offer,
    PeerProfile,
    SupportRequest,
    Texter,
)
from tests.helpers import RecordingDispatcher, accepted_conversation


@pytest.fixture
def dispatcher():
    return RecordingDispatcher()


@pytest.fixture
def line(session, make, now, dispatcher):
    """A live program where texter and peer Robin are talking."""
    program = make.program(wave_size=1, checkin_default="3d")
    peer = make.peer(program, alias="Robin")
    texter = make.texter(program)
    conversation = accepted_conversation(session, program, texter, peer, now, dispatcher)
    return program, peer, texter, conversation


def texter_writes(session, line, body, when):
    program, _peer, texter, conversation = line
    message = Message(
        program_id=program.id,
        direction="inbound",
        author="texter",
        texter_id=texter.id,
        body=body,
        status="received",
        created_at=when,
    )
    session.add(message)
    session.flush()
    conversations.record_texter_message(
        session,
        conversation_id=conversation.id,
        message_id=message.id,
        now=when,
        dispatcher=RecordingDispatcher(),
    )
    return message


def outbound(session, **where):
    query = select(Message).where(Message.direction == "outbound")
    for key, value in where.items():
        query = query.where(getattr(Message, key) == value)
    return session.scalars(query.order_by(Message.id)).all()


def test_a_peer_reply_is_queued_to_the_texter(session, line, now, dispatcher):
    _program, peer, texter, conversation = line
    reply = conversations.peer_reply(
        session,
        conversation_id=conversation.id,
        peer_profile_id=peer.id,
        body="  I'm here. What's been going on?  ",
        now=now,
        dispatcher=dispatcher,
    )
    assert (reply.recipient, reply.author, reply.kind, reply.status) == (
        "texter",
        "peer",
        "relay",
        "queued",
    )
    assert (reply.texter_id, reply.peer_profile_id, reply.conversation_id) == (
        texter.id,
        peer.id,
        conversation.id,
    )
    assert reply.body == "I'm here. What's been going on?"
    assert session.get(Conversation, conversation.id).last_peer_message_at == now


def test_another_peer_cannot_reply_in_someone_elses_conversation(
    session, make, line, now, dispatcher
):
    program, _peer, _texter, conversation = line
    stranger = make.peer(program)
    with pytest.raises(conversations.ConversationError, match="not one of yours"):
        conversations.peer_reply(
            session,
            conversation_id=conversation.id,
            peer_profile_id=stranger.id,
            body="hello",
            now=now,
            dispatcher=dispatcher,
        )
    assert outbound(session, author="peer") == []


@pytest.mark.parametrize(
    ("body", "why"), [("", "Write a message"), ("   ", "Write a message"), ("x" * 1601, "too long")]
)
def test_empty_and_overlong_replies_are_refused(session, line, now, dispatcher, body, why):
    _program, peer, _texter, conversation = line
    with pytest.raises(conversations.ConversationError, match=why):
        conversations.peer_reply(
            session,
            conversation_id=conversation.id,
            peer_profile_id=peer.id,
            body=body,
            now=now,
            dispatcher=dispatcher,
        )


def test_a_1600_character_reply_is_allowed(session, line, now, dispatcher):
    _program, peer, _texter, conversation = line
    reply = conversations.peer_reply(
        session,
        conversation_id=conversation.id,
        peer_profile_id=peer.id,
        body="x" * 1600,
        now=now,
        dispatcher=dispatcher,
    )
    assert reply.segments > 1


def test_no_reply_after_the_conversation_ended(session, line, now, dispatcher):
    _program, peer, _texter, conversation = line
    conversations.end_conversation(
        session, conversation_id=conversation.id, ended_by="texter", now=now, dispatcher=dispatcher
    )
    with pytest.raises(conversations.ConversationError, match="ended"):
        conversations.peer_reply(
            session,
            conversation_id=conversation.id,
            peer_profile_id=peer.id,
            body="still there?",
            now=now,
            dispatcher=dispatcher,
        )


def test_texter_messages_join_the_thread_and_alert_the_peer_once_per_unread_stretch(
    session, make, line, now
):
    _program, peer, _texter, conversation = line
    peer.sms_alerts = True
    peer.alert_phone_encrypted = make.vault().encrypt("+17165550142")
    first = texter_writes(session, line, "it's been a hard week", now)
    texter_writes(session, line, "are you there?", now + timedelta(seconds=30))
    assert first.conversation_id == conversation.id
    alerts = outbound(session, recipient="peer")
    assert [m.body for m in alerts] == [
        "peerwork: you have a new message in a conversation. Open your workspace to reply."
    ]
    assert (
        conversations.unread_count(
            session, conversation_id=conversation.id, peer_profile_id=peer.id
        )
        == 2
    )
    assert conversations.unread_counts(session, peer_profile_id=peer.id) == {conversation.id: 2}
    conversations.mark_read(
        session,
        conversation_id=conversation.id,
        peer_profile_id=peer.id,
        now=now + timedelta(minutes=1),
    )
    assert (
        conversations.unread_count(
            session, conversation_id=conversation.id, peer_profile_id=peer.id
        )
        == 0
    )
    texter_writes(session, line, "thanks", now + timedelta(minutes=2))
    assert len(outbound(session, recipient="peer")) == 2


def test_a_peer_without_sms_alerts_gets_no_text(session, line, now):
    texter_writes(session, line, "hi", now)
    assert outbound(session, recipient="peer") == []


def test_the_peer_ends_with_a_wrap_up(session, line, now, dispatcher):
    program, peer, texter, conversation = line
    later = now + timedelta(minutes=40)
    conversations.end_conversation(
        session,
        conversation_id=conversation.id,
        ended_by="peer",
        now=later,
        dispatcher=dispatcher,
        outcome="felt heard",
        topic_id=program.topics[1].id,
    )
    ended = session.get(Conversation, conversation.id)
    assert (ended.state, ended.ended_by, ended.ended_at, ended.outcome) == (
        "ended",
        "peer",
        later,
        "felt heard",
    )
    assert ended.checkin_choice == "3d"  # the program's default
    assert ended.topic_id == program.topics[1].id
    assert session.get(PeerProfile, peer.id).active_conversations == 0
    assert session.get(SupportRequest, ended.request_id).state == "closed"
    assert session.get(Texter, texter.id).dialog_state == "idle"
    assert outbound(session, recipient="texter")[-1].body.startswith(
        "Robin has ended the conversation."
    )


def test_ending_twice_changes_nothing_the_second_time(session, line, now, dispatcher):
    _program, peer, texter, conversation = line
    for _ in range(2):
        conversations.end_conversation(
            session,
            conversation_id=conversation.id,
            ended_by="texter",
            now=now,
            dispatcher=dispatcher,
            checkin_choice="none",
        )
    assert session.get(PeerProfile, peer.id).active_conversations == 0
    endings = [m for m in outbound(session, recipient="texter") if "has ended" in m.body]
    assert len(endings) == 1
    assert session.get(Conversation, conversation.id).checkin_choice == "none"


def test_an_opted_out_texter_is_not_texted_when_the_conversation_ends(
    session, line, now, dispatcher
):
    _program, _peer, texter, conversation = line
    before = len(outbound(session, recipient="texter"))
    conversations.end_conversation(
        session, conversation_id=conversation.id, ended_by="optout", now=now, dispatcher=dispatcher
    )
    assert len(outbound(session, recipient="texter")) == before


def test_what_follows_an_end_runs_once_with_the_ended_conversation(session, line, now, dispatcher):
    """Ending calls the check-in scheduling directly, once, however often it is asked."""
    _program, _peer, texter, conversation = line
    for _ in range(2):
        conversations.end_conversation(
            session,
            conversation_id=conversation.id,
            ended_by="texter",
            now=now,
            dispatcher=dispatcher,
        )
    checkins = session.scalars(select(CheckIn).where(CheckIn.texter_id == texter.id)).all()
    assert [(c.conversation_id, c.kind, c.state) for c in checkins] == [
        (conversation.id, "followup", "scheduled")
    ]
    assert [args for args in dispatcher.jobs(schedule.send_checkin)] == [(checkins[0].id,)]


def test_ending_frees_the_peer_for_the_next_texter_in_the_queue(
    session, make, line, now, dispatcher
):
    program, peer, _texter, conversation = line
    peer.capacity = 1
    waiting_texter = make.texter(program)
    waiting = offers.open_request(
        session,
        program_id=program.id,
        texter_id=waiting_texter.id,
        topic_id=None,
        now=now,
        dispatcher=dispatcher,
    )
    assert waiting.state == "waiting"
    conversations.end_conversation(
        session, conversation_id=conversation.id, ended_by="peer", now=now, dispatcher=dispatcher
    )
    offer = session.scalar(select(Offer).where(Offer.request_id == waiting.id))
    assert (offer.peer_profile_id, offer.state) == (peer.id, "open")


def test_flagging_alerts_a_supervisor_with_the_peers_note_only(
    session, make, line, now, dispatcher
):
    program, peer, texter, conversation = line
    alert = conversations.flag_for_supervisor(
        session,
        conversation_id=conversation.id,
        peer_profile_id=peer.id,
        reason="Mentions not feeling safe at home",
        now=now,
        dispatcher=dispatcher,
    )
    assert (alert.kind, alert.state, alert.conversation_id, alert.texter_id) == (
        "flag",
        "open",
        conversation.id,
        texter.id,
    )
    assert alert.raised_by_id == peer.user_id
    assert session.get(Conversation, conversation.id).flagged_at == now
    stranger = make.peer(program)
    with pytest.raises(conversations.ConversationError):
        conversations.flag_for_supervisor(
            session,
            conversation_id=conversation.id,
            peer_profile_id=stranger.id,
            reason="curious",
            now=now,
            dispatcher=dispatcher,
        )
    assert session.scalars(select(Alert)).all() == [alert]


# -- the wrap-up, whoever ended ------------------------------------------------------


def followups(session, conversation):
    from peerwork.models import CheckIn

    return list(
        session.scalars(
            select(CheckIn)
            .where(CheckIn.conversation_id == conversation.id)
            .execution_options(populate_existing=True)
        )
    )


def test_a_texter_ended_conversation_gets_the_default_checkin_then_the_wrap_up_moves_it(
    session, line, now, dispatcher
):
    _program, peer, _texter, conversation = line
    conversations.end_conversation(
        session, conversation_id=conversation.id, ended_by="texter", now=now, dispatcher=dispatcher
    )
    assert conversations.needs_wrap_up(conversation)
    (default,) = followups(session, conversation)
    assert default.due_at - now == timedelta(days=3)  # the program's default

    later = now + timedelta(minutes=20)
    assert conversations.wrap_up(
        session,
        conversation_id=conversation.id,
        peer_profile_id=peer.id,
        outcome="listened",
        checkin_choice="1w",
        now=later,
        dispatcher=dispatcher,
    )
    (moved,) = followups(session, conversation)
    assert moved.id == default.id and moved.state == "scheduled"
    assert moved.due_at - now == timedelta(days=7), "counted from the end, not the wrap-up"
    assert not conversations.needs_wrap_up(conversation)
    # A second wrap-up is refused quietly and changes nothing.
    assert not conversations.wrap_up(
        session,
        conversation_id=conversation.id,
        peer_profile_id=peer.id,
        outcome="skills",
        checkin_choice="none",
        now=later,
        dispatcher=dispatcher,
    )
    (same,) = followups(session, conversation)
    assert same.state == "scheduled" and conversation.outcome == "listened"


def test_a_wrap_up_choosing_none_cancels_the_default(session, line, now, dispatcher):
    _program, peer, _texter, conversation = line
    conversations.end_conversation(
        session, conversation_id=conversation.id, ended_by="texter", now=now, dispatcher=dispatcher
    )
    conversations.wrap_up(
        session,
        conversation_id=conversation.id,
        peer_profile_id=peer.id,
        outcome="cut_short",
        checkin_choice="none",
        now=now,
        dispatcher=dispatcher,
    )
    (cancelled,) = followups(session, conversation)
    assert cancelled.state == "cancelled"


def test_a_wrap_up_after_the_checkin_went_out_leaves_it_alone(session, line, now, dispatcher):
    from peerwork.checkins import schedule

    _program, peer, _texter, conversation = line
    conversations.end_conversation(
        session, conversation_id=conversation.id, ended_by="texter", now=now, dispatcher=dispatcher
    )
    (checkin,) = followups(session, conversation)
    sent = schedule.send_checkin(
        session, checkin_id=checkin.id, now=checkin.due_at, dispatcher=dispatcher
    )
    assert sent == "sent"
    conversations.wrap_up(
        session,
        conversation_id=conversation.id,
        peer_profile_id=peer.id,
        outcome="listened",
        checkin_choice="none",
        now=checkin.due_at,
        dispatcher=dispatcher,
    )
    (after,) = followups(session, conversation)
    assert after.state == "sent"


def test_only_the_conversations_peer_wraps_up_and_only_once_ended(
    session, line, make, now, dispatcher
):
    program, peer, _texter, conversation = line
    stranger = make.peer(program, alias="Kim")
    with pytest.raises(conversations.ConversationError):
        conversations.wrap_up(
            session,
            conversation_id=conversation.id,
            peer_profile_id=stranger.id,
            outcome="listened",
            checkin_choice="1d",
            now=now,
            dispatcher=dispatcher,
        )
    with pytest.raises(conversations.ConversationError, match="End the conversation"):
        conversations.wrap_up(
            session,
            conversation_id=conversation.id,
            peer_profile_id=peer.id,
            outcome="listened",
            checkin_choice="1d",
            now=now,
            dispatcher=dispatcher,
        )


def test_a_handed_back_conversation_asks_for_no_wrap_up(session, line, now, dispatcher):
    _program, _peer, _texter, conversation = line
    conversations.end_conversation(
        session,
        conversation_id=conversation.id,
        ended_by="handback",
        now=now,
        dispatcher=dispatcher,
    )
    assert not conversations.needs_wrap_up(conversation)


# -- what the texter wrote before the match ---------------------------------------------


def inbound(session, program, texter, body, when, *, kind="relay", crisis=False):
    message = Message(
        program_id=program.id,
        direction="inbound",
        author="texter",
        kind=kind,
        texter_id=texter.id,
        body=body,
        status="received",
        is_crisis=crisis,
        created_at=when,
    )
    session.add(message)
    session.flush()
    return message


def test_words_before_match_start_at_the_opening_text_and_stop_at_the_match(
    session, make, now, dispatcher
):
    program = make.program(wave_size=1)
    peer = make.peer(program, alias="Robin")
    texter = make.texter(program)
    inbound(session, program, texter, "thanks for last time", now)  # idle chatter
    inbound(session, program, texter, "NEW", now, kind="opening")
    inbound(session, program, texter, "my dad is in the hospital and I'm scared", now)
    conversation = accepted_conversation(session, program, texter, peer, now, dispatcher)
    during = inbound(session, program, texter, "hi Robin", now)
    conversations.record_texter_message(
        session, conversation_id=conversation.id, message_id=during.id, now=now, dispatcher=None
    )
    before = conversations.words_before_match(
        session, texter_id=texter.id, conversation=conversation
    )
    assert [m.body for m in before] == ["NEW", "my dad is in the hospital and I'm scared"]
    assert conversations.preview(before) == "my dad is in the hospital and I'm scared"


def test_a_crisis_text_is_the_preview_and_long_words_are_cut(session, make, now):
    program = make.program()
    texter = make.texter(program)
    inbound(session, program, texter, "I want to end my life", now, kind="opening", crisis=True)
    inbound(session, program, texter, "x" * 300, now)
    inbound(session, program, texter, "2", now)
    words = conversations.words_before_match(session, texter_id=texter.id)
    assert conversations.preview(words) == "I want to end my life"
    assert conversations.preview(words[1:]) == "x" * (conversations.PREVIEW_CHARS - 1) + "…"
    assert conversations.preview(words[2:]) is None, "a bare menu number says nothing"
