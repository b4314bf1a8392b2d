"""PLAN, RESOURCES, TALK and CHECKIN, each texted through the signed webhook."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from peerwork.checkins import plans
from peerwork.checkins.schedule import WEEKLY_DAYS
from peerwork.extensions import get_dispatcher, get_vault
from peerwork.matching import offers
from peerwork.models import CheckIn, CrisisPlan, Message, Offer, Resource, SupportRequest, Texter
from peerwork.texter.keywords import OPT_OUT_WORDS, REGISTRY
from tests.sms_helpers import Phone


@pytest.fixture
def program(make):
    # One offer at a time (who is offered first is visible); no per-second throttle in the way.
    return make.program(name="Acme Peer Line", wave_size=1, messages_per_second=50)


@pytest.fixture
def robin(make, program):
    return make.peer(program, alias="Robin")


@pytest.fixture
def phone(client, program, jobs):
    return Phone(client, program, "+17165550177", jobs)


def connect(session, phone, peer, now, topic="1"):
    """The texter asks for support on `topic` and `peer` accepts."""
    phone.sends("hi")
    phone.sends(topic)
    offer = session.scalar(
        select(Offer).where(Offer.peer_profile_id == peer.id, Offer.state == "open")
    )
    conversation = offers.accept_offer(
        session, offer_id=offer.id, peer_profile_id=peer.id, now=now, dispatcher=get_dispatcher()
    )
    session.commit()
    return conversation


def test_our_keywords_are_registered_and_none_is_an_opt_out_word():
    words = REGISTRY.words()
    assert {"PLAN", "TALK", "CHECKIN WEEKLY", "CHECKIN OFF", "CHECKIN", "RESOURCES"} <= words
    ours = {"PLAN", "MY PLAN", "TALK", "CHECKIN", "CHECKIN WEEKLY", "CHECKIN ON", "CHECKIN OFF"}
    assert not ours & OPT_OUT_WORDS


def test_plan_texts_the_saved_plan_again(session, phone, robin, now, jobs):
    conversation = connect(session, phone, robin, now)
    plans.save(
        session,
        conversation_id=conversation.id,
        peer_profile_id=robin.id,
        sections={
            "warning_signs": "Not sleeping, skipping lunch",
            "things_that_help": "A walk at lunch, box breathing",
            "people_and_places": "My sister Ana, the park by the office",
            "contacts": "EAP 1-800-555-0100, 988",
        },
        now=now,
        dispatcher=get_dispatcher(),
        vault=get_vault(),
    )
    session.commit()
    jobs.run()
    first = phone.last()
    assert first.startswith("Your plan:\nWarning signs: Not sleeping")
    stored = session.scalar(select(CrisisPlan))
    assert b"sleeping" not in stored.content_encrypted
    assert json.loads(get_vault().decrypt(stored.content_encrypted))["contacts"].startswith("EAP")

    phone.sends("DONE")
    phone.sends("plan")
    assert phone.last() == first
    assert phone.messages(kind="plan")[-1].status == "sent"


def test_plan_without_a_saved_plan_says_how_to_make_one(phone):
    phone.sends("hi")
    phone.sends("PLAN")
    assert phone.last().startswith("You don't have a saved plan yet")


def test_resources_by_topic_where_possible(session, program, phone):
    anxiety, grief = program.topics[1], program.topics[2]
    session.add_all(
        [
            Resource(program_id=program.id, name="EAP", phone="1-800-555-0100", position=1),
            Resource(
                program_id=program.id,
                name="Calm breathing class",
                url="https://example.org/calm",
                topic_ids=[anxiety.id],
                position=2,
            ),
            Resource(
                program_id=program.id,
                name="Grief circle",
                phone="555-0101",
                topic_ids=[grief.id],
                position=3,
            ),
        ]
    )
    session.commit()
    phone.sends("hi")
    phone.sends("RESOURCES")
    everything = phone.last()
    assert "EAP" in everything and "Calm breathing" in everything and "Grief circle" in everything

    phone.sends("2")  # Anxiety
    phone.sends("resources")
    by_topic = phone.last()
    assert "EAP" in by_topic and "Calm breathing class" in by_topic
    assert "Grief circle" not in by_topic
    assert "988" in by_topic


def test_talk_after_a_conversation_prefers_the_same_peer(session, make, program, phone, robin, now):
    conversation = connect(session, phone, robin, now, topic="2")
    phone.sends("DONE")
    make.peer(program, alias="Kai")
    session.commit()
    phone.sends("TALK")
    assert "finding a peer for you now" in phone.last()
    request = session.scalar(
        select(SupportRequest).where(SupportRequest.id != conversation.request_id)
    )
    assert (request.preferred_peer_id, request.topic_id) == (robin.id, conversation.topic_id)
    offered = session.scalars(select(Offer.peer_profile_id).where(Offer.request_id == request.id))
    assert list(offered) == [robin.id]
    phone.sends("TALK")
    assert "in the queue" in phone.last()


def test_talk_answers_an_open_checkin(session, phone, robin, now):
    conversation = connect(session, phone, robin, now)
    phone.sends("DONE")
    checkin = session.scalar(select(CheckIn).where(CheckIn.conversation_id == conversation.id))
    checkin.state, checkin.sent_at = "sent", now
    session.commit()
    phone.sends("Talk")
    checkin = session.get(CheckIn, checkin.id, populate_existing=True)
    assert (checkin.state, checkin.score) == ("answered", None)
    request = session.scalar(select(SupportRequest).where(SupportRequest.source == "checkin"))
    assert request.preferred_peer_id == robin.id


def test_talk_from_someone_new_shows_the_menu(phone):
    phone.sends("TALK")
    assert phone.last().startswith("What would you like to talk about?")
    assert phone.texter().dialog_state == "choosing_topic"


def test_talk_while_connected_is_relayed_to_the_peer(session, phone, robin, now):
    conversation = connect(session, phone, robin, now)
    phone.sends("talk")
    assert session.scalar(select(SupportRequest).where(SupportRequest.state == "offering")) is None
    thread = session.scalars(
        select(Message.body).where(
            Message.conversation_id == conversation.id, Message.direction == "inbound"
        )
    ).all()
    assert thread == ["talk"]


def test_checkin_weekly_and_off(session, phone, now):
    phone.sends("hi")
    phone.sends("CHECKIN WEEKLY")
    assert phone.last().startswith("OK, we'll check in once a week")
    texter = phone.texter()
    assert texter.recurring_checkin == "weekly"
    weekly = session.scalar(select(CheckIn).where(CheckIn.kind == "recurring"))
    assert weekly.state == "scheduled"
    assert (weekly.due_at - now).days in (WEEKLY_DAYS - 1, WEEKLY_DAYS)

    phone.sends("checkin weekly")  # twice: still one scheduled
    assert session.scalar(select(CheckIn.id).where(CheckIn.state == "scheduled")) == weekly.id
    assert len(session.scalars(select(CheckIn)).all()) == 1

    phone.sends("Checkin off")
    assert phone.last().startswith("OK, no more weekly check-ins")
    weekly = session.get(CheckIn, weekly.id, populate_existing=True)
    assert weekly.state == "cancelled"
    assert session.get(Texter, texter.id).recurring_checkin == "off"

    phone.sends("CHECKIN")
    assert "CHECKIN WEEKLY" in phone.last() and "CHECKIN OFF" in phone.last()


@pytest.mark.parametrize("keep", [True, False])
def test_talk_while_the_line_is_closed_says_when_it_opens(
    session, make, client, jobs, now, travel, keep
):
    program = make.program(
        name="Acme Peer Line",
        wave_size=1,
        messages_per_second=50,
        hours={day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        keep_requests_after_hours=keep,
    )
    robin = make.peer(program, alias="Robin")
    phone = Phone(client, program, "+17165550178", jobs)
    conversation = connect(session, phone, robin, now)
    phone.sends("DONE")
    travel.shift(timedelta(hours=9))  # Wednesday 19:00 in New York: closed
    phone.sends("TALK")
    reply = phone.last()
    assert reply.startswith("We're closed now.")
    assert "we open tomorrow at 9am." in reply, reply
    request = session.scalar(
        select(SupportRequest).where(SupportRequest.id != conversation.request_id)
    )
    if keep:
        assert (request.state, request.preferred_peer_id) == ("held", robin.id)
    else:
        assert request is None
