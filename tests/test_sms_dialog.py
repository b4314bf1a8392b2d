"""The texter dialog, through the signed webhook and the real jobs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from peerwork import clock
from peerwork.extensions import get_dispatcher
from peerwork.models import Conversation, Message, Resource, SupportRequest, Topic
from tests.sms_helpers import Phone


@pytest.fixture
def time_at():
    """Move the wall clock (the webhook reads clock.now()) to a UTC moment."""
    travellers = []

    def _at(moment: str):
        traveller = time_machine.travel(
            datetime.fromisoformat(moment).replace(tzinfo=UTC), tick=True
        )
        traveller.start()
        travellers.append(traveller)

    yield _at
    for traveller in travellers:
        traveller.stop()


@pytest.fixture
def program(make):
    return make.program(name="Acme Peer Line", messages_per_second=30)


@pytest.fixture
def texter(client, program, jobs):
    return Phone(client, program, "+17165550123", jobs)


def test_first_text_gets_welcome_crisis_lines_and_menu(texter, session):
    replies = texter.sends("hi")
    assert len(replies) == 2
    assert "Acme Peer Line" in replies[0] and "confidential" in replies[0]
    assert "988" in replies[0]
    assert "1 Work stress" in replies[1] and "2 Anxiety" in replies[1]
    assert texter.texter().dialog_state == "choosing_topic"
    assert texter.received() == replies


def test_topic_by_number_opens_a_request(texter, session):
    texter.sends("hi")
    texter.sends("2")
    assert texter.texter().dialog_state == "waiting"
    request = session.query(SupportRequest).one()
    assert request.topic_id is not None
    assert "finding a peer" in texter.last()


# -- helpers for conversations ------------------------------------------------------


def _connect(session, texter, peer):
    from peerwork import clock
    from peerwork.extensions import get_dispatcher
    from peerwork.matching.offers import accept_offer
    from peerwork.models import Offer

    offer = session.scalar(select(Offer).where(Offer.peer_profile_id == peer.id))
    conversation = accept_offer(
        session,
        offer_id=offer.id,
        peer_profile_id=peer.id,
        now=clock.now(),
        dispatcher=get_dispatcher(),
    )
    session.commit()
    return conversation


def test_topic_by_keyword_and_by_free_text(make, client, jobs, session):
    program = make.program(messages_per_second=30, topics=())
    make.topic(program, "Work stress", menu_number=1, keywords=["burnout", "deadline"])
    make.topic(program, "Grief and loss", menu_number=2, keywords=["funeral"])
    by_keyword = Phone(client, program, "+17165550131", jobs)
    by_keyword.sends("hi")
    by_keyword.sends("Burnout")
    by_text = Phone(client, program, "+17165550132", jobs)
    by_text.sends("hi")
    by_text.sends("my dad died last month and I keep thinking about the loss")
    other = Phone(client, program, "+17165550133", jobs)
    other.sends("hi")
    other.sends("my neighbour's dog barks all night")
    topics = {r.texter_id: r.topic_id for r in session.scalars(select(SupportRequest)).all()}
    names = {t.id: t.name for t in session.scalars(select(Topic))}
    assert names[topics[by_keyword.texter().id]] == "Work stress"
    assert names[topics[by_text.texter().id]] == "Grief and loss"
    assert topics[other.texter().id] is None  # "something else"


def test_a_number_not_on_the_menu_asks_again(texter):
    texter.sends("hi")
    texter.sends("9")
    assert "didn't catch that" in texter.received()[-2]
    assert "1 Work stress" in texter.last()
    assert texter.texter().dialog_state == "choosing_topic"


def test_help_is_answered_immediately_in_any_state(texter):
    replies = texter.sends("Help")
    assert len(replies) == 1 and "988" in replies[0] and "DONE ends" in replies[0]
    assert texter.texter().dialog_state == "new"
    assert texter.sends("  info ") == replies


def test_resources_lists_the_directory_or_says_there_is_none(texter, make, program, session):
    texter.sends("hi")
    texter.sends("RESOURCES")
    assert "don't have a local list" in texter.last()
    session.add(Resource(program_id=program.id, name="EAP", phone="1-800-555-0100", position=1))
    session.add(
        Resource(program_id=program.id, name="Gone", phone="1", retired_at=program.created_at)
    )
    session.commit()
    texter.sends("resources")
    assert "EAP - 1-800-555-0100" in texter.last() and "Gone" not in texter.last()


def test_done_while_waiting_cancels_the_request(texter, session):
    texter.sends("hi")
    texter.sends("1")
    texter.sends("DONE")
    assert session.scalar(select(SupportRequest)).state == "cancelled"
    assert texter.texter().dialog_state == "idle"
    assert "cancelled your request" in texter.last()
    texter.sends("NEW")
    assert "1 Work stress" in texter.last()
    assert texter.texter().dialog_state == "choosing_topic"


def test_writing_while_waiting_gets_an_honest_reminder(texter):
    texter.sends("hi")
    texter.sends("1")
    texter.sends("hello? anyone?")
    assert "in the queue" in texter.last()


def test_stop_mid_conversation_ends_it_tells_the_peer_and_silences_us(
    make, program, texter, session, transport, jobs
):
    peer = make.peer(program, alias="Robin")
    texter.sends("hi")
    texter.sends("1")
    conversation = _connect(session, texter, peer)
    jobs.run()
    sent_before = len(transport.sent)
    texter.sends("stop")
    ended = session.get(Conversation, conversation.id, populate_existing=True)
    assert ended.state == "ended" and ended.ended_by == "optout"  # what the peer's thread shows
    who = texter.texter()
    assert who.opted_out and who.dialog_state == "opted_out"
    assert len(transport.sent) == sent_before  # no reply: Twilio confirms opt-outs itself
    # The peer's reply can no longer be sent, and nothing else reaches them.
    from peerwork.conversations import ConversationError, peer_reply

    with pytest.raises(ConversationError):
        peer_reply(
            session,
            conversation_id=conversation.id,
            peer_profile_id=peer.id,
            body="hi?",
            now=clock.now(),
            dispatcher=get_dispatcher(),
        )
    texter.sends("hello")
    texter.sends("HELP")
    assert len(transport.sent) == sent_before
    assert texter.last_response.get_data(as_text=True).count("<Message>") == 0
    # START opts back in.
    texter.sends("START")
    assert not texter.texter().opted_out
    assert "subscribed again" in transport.sent[-1]["body"]


@pytest.mark.parametrize(
    "word", ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT", "revoke", "OptOut"]
)
def test_every_twilio_opt_out_word_opts_out(texter, word):
    texter.sends("hi")
    texter.sends(word)
    assert texter.texter().dialog_state == "opted_out"


def test_opt_out_words_cannot_be_registered_as_commands():
    from peerwork.texter.keywords import REGISTRY

    with pytest.raises(ValueError, match="opt-out"):
        REGISTRY.register("END", handler=lambda turn: None)


def test_another_area_can_register_a_keyword_without_touching_the_dialog(texter):
    from peerwork.texter.keywords import REGISTRY

    def ping(turn):
        turn.reply("waiting_reminder")

    REGISTRY.register("PINGTEST", handler=ping)
    try:
        texter.sends("hi")
        texter.sends("pingtest")
        assert "in the queue" in texter.last()
    finally:
        REGISTRY._keywords.pop("PINGTEST")


def test_crisis_mid_conversation_gets_the_crisis_text_and_still_reaches_the_peer(
    make, program, texter, session, jobs
):
    peer = make.peer(program, alias="Robin")
    texter.sends("hi")
    texter.sends("2")
    conversation = _connect(session, texter, peer)
    replies = texter.sends("honestly I want to die")
    assert len(replies) == 1 and "988" in replies[0]
    inbound = session.scalars(
        select(Message).where(Message.direction == "inbound").order_by(Message.id.desc())
    ).first()
    assert inbound.is_crisis and inbound.conversation_id == conversation.id
    assert inbound.processed_at is not None


def test_first_text_in_crisis_gets_one_crisis_reply_and_a_peer_sought_at_once(
    texter, session, make, program, jobs
):
    peer = make.peer(program, alias="Robin")
    replies = texter.sends("I want to kill myself")
    # One text: the crisis lines and that a person is being found; no welcome, no menu.
    assert len(replies) == 1
    assert "You matter" in replies[0] and "988" in replies[0]
    assert "finding a person for you" in replies[0]
    request = session.scalar(select(SupportRequest))
    assert request is not None and request.is_crisis
    assert request.offers and request.state == "offering"
    # Nothing more until the next step: no "we're finding a peer" repeated by the job.
    assert texter.received() == replies
    _connect(session, texter, peer)
    jobs.run()
    got = texter.received()
    assert len(got) == 2 and "connected with Robin" in got[1]


# -- hours and pauses --------------------------------------------------------------

WEEKDAY_9_TO_5 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def test_outside_hours_the_request_is_held_for_opening(make, client, jobs, session, time_at):
    program = make.program(hours=WEEKDAY_9_TO_5, messages_per_second=30)
    phone = Phone(client, program, "+17165550141", jobs)
    time_at("2026-11-28 23:00")  # Saturday evening in New York
    phone.sends("hi")
    phone.sends("1")
    assert session.scalar(select(SupportRequest)).state == "held"
    assert "Mon-Fri 9am-5pm" in phone.last() and "when we open" in phone.last()
    assert "988" in phone.last()


def test_outside_hours_without_keeping_requests_asks_to_text_again(
    make, client, jobs, session, time_at
):
    program = make.program(
        hours=WEEKDAY_9_TO_5, keep_requests_after_hours=False, messages_per_second=30
    )
    phone = Phone(client, program, "+17165550142", jobs)
    time_at("2026-11-28 23:00")
    phone.sends("hi")
    phone.sends("1")
    assert session.scalar(select(SupportRequest)) is None
    assert "text us again then" in phone.last()
    # Never asked for a topic: welcomed properly when the line is open.
    assert phone.texter().dialog_state == "new"


def test_a_paused_program_always_answers_with_the_paused_text(make, client, jobs):
    program = make.program(status="paused", messages_per_second=30)
    phone = Phone(client, program, "+17165550143", jobs)
    phone.sends("hi")
    assert "paused" in phone.last() and "988" in phone.last()
    phone.sends("HELP")
    assert "DONE ends" in phone.last()


def test_closed_dates_close_the_line(make):
    from datetime import UTC, datetime

    from peerwork.hours import is_open

    program = make.program(hours={"wed": [["09:00", "24:00"]]}, closed_dates=["2026-12-02"])
    wednesday_noon = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    assert is_open(program, wednesday_noon)
    assert not is_open(program, datetime(2026, 12, 2, 17, 0, tzinfo=UTC))
    assert is_open(program, datetime(2026, 11, 26, 4, 59, tzinfo=UTC))  # 23:59 Wed local
    assert not is_open(program, datetime(2026, 11, 25, 13, 59, tzinfo=UTC))  # 8:59 local
    program.status = "paused"
    assert not is_open(program, wednesday_noon)


# -- keywords inside a conversation ----------------------------------------------------


def _peer_page(client, peer_id, conversation_id) -> str:
    from peerwork.extensions import db
    from peerwork.models import PeerProfile, User

    profile = db.session.get(PeerProfile, peer_id)
    client.login(db.session.get(User, profile.user_id))
    page = client.get(f"/peer/conversations/{conversation_id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("word", "note"),
    [
        ("RESOURCES", "Texter asked for RESOURCES; we sent the list"),
        ("help", "Texter asked for HELP"),
        ("PLAN", "Texter asked for their PLAN"),
    ],
)
def test_a_keyword_mid_conversation_shows_the_peer_a_note_that_is_never_texted(
    make, program, texter, session, transport, jobs, client, word, note
):
    peer = make.peer(program, alias="Robin")
    session.add(Resource(program_id=program.id, name="EAP", phone="1-800-555-0100", position=1))
    texter.sends("hi")
    texter.sends("1")
    conversation = _connect(session, texter, peer)
    jobs.run()
    peer_id, conversation_id = peer.id, conversation.id
    before = len(texter.received())
    texter.sends(word)
    assert len(texter.received()) == before + 1  # the texter's one reply
    page = _peer_page(client, peer_id, conversation_id)
    assert note in page
    assert all(note not in sent["body"] for sent in transport.sent)
    assert note not in texter.last_response.get_data(as_text=True)
    assert note not in " ".join(texter.received())


def test_plan_mid_conversation_does_not_say_text_new_to_talk(
    make, program, texter, session, transport, jobs
):
    peer = make.peer(program, alias="Robin")
    texter.sends("hi")
    texter.sends("1")
    _connect(session, texter, peer)
    jobs.run()
    texter.sends("PLAN")
    reply = texter.last()
    assert "text NEW" not in reply and "NEW to talk" not in reply
    assert "peer" in reply
    # Outside a conversation, the same keyword still points to NEW.
    texter.sends("DONE")
    jobs.run()
    texter.sends("PLAN")
    assert "text NEW to talk" in texter.last()


def test_help_mid_conversation_says_you_are_talking_with_a_peer(
    make, program, texter, session, transport, jobs
):
    peer = make.peer(program, alias="Robin")
    texter.sends("hi")
    texter.sends("1")
    _connect(session, texter, peer)
    jobs.run()
    [reply] = texter.sends("HELP")
    assert "NEW starts" not in reply and "DONE ends" in reply and "988" in reply
