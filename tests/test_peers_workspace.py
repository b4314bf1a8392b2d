"""The workspace a certified peer works in: the switch, offers, a conversation
from first message to wrap-up, and the supervisor who picks up a flag."""

from __future__ import annotations

import html

import pytest
import time_machine
from sqlalchemy import select

from peerwork.extensions import get_dispatcher
from peerwork.matching import offers
from peerwork.models import Alert, AuditEvent, Conversation, Message, Offer, Resource, SkillCard
from tests.helpers import ask_for_peer, curriculum_program


@pytest.fixture(autouse=True)
def frozen(now):
    with time_machine.travel(now, tick=False):
        yield


@pytest.fixture
def program(make, session, now):
    return curriculum_program(make, session, now)


@pytest.fixture
def peer(make, program, client):
    peer = make.peer(program, alias="River", available=False)
    client.login(peer.user)
    return peer


def texter_asks(session, make, program, now, *, topic=None, crisis=False):
    texter = make.texter(program)
    request = ask_for_peer(
        session, program, texter, now, get_dispatcher(), topic=topic, crisis=crisis
    )
    return texter, request


def texter_says(session, conversation, body, now):
    message = Message(
        program_id=conversation.program_id,
        direction="inbound",
        author="texter",
        texter_id=conversation.texter_id,
        conversation_id=conversation.id,
        body=body,
        status="received",
        created_at=now,
    )
    session.add(message)
    conversation.last_texter_message_at = now
    session.flush()
    return message


def switch_on(client):
    return client.post_form("/peer/available", {"available": "1"})


def test_switching_on_offers_a_waiting_request(client, session, make, program, peer, now):
    texter, request = texter_asks(session, make, program, now)
    assert request.state == "waiting"
    page = client.get("/peer/").get_data(as_text=True)
    assert "Not available" in page and "Switch yourself available" in page
    assert switch_on(client).status_code == 302
    page = client.get("/peer/").get_data(as_text=True)
    assert 'aria-checked="true"' in page and "Available now" in page
    assert "Work stress" in page and "Accept" in page and "left to answer" in page
    assert "2:00" in page  # the program's 120 s offer timeout, counting down
    assert texter.pseudonym not in page, "an offer names no texter"


def test_accepting_opens_the_thread_and_a_reply_goes_out(client, session, make, program, peer, now):
    switch_on(client)
    texter, _request = texter_asks(session, make, program, now)
    offer = session.scalar(select(Offer).where(Offer.peer_profile_id == peer.id))
    response = client.post_form(f"/peer/offers/{offer.id}/accept")
    conversation = session.scalar(
        select(Conversation).where(Conversation.peer_profile_id == peer.id)
    )
    assert response.headers["Location"].endswith(f"/peer/conversations/{conversation.id}")
    texter_says(session, conversation, "Rough week, my manager keeps moving deadlines", now)
    dashboard = client.get("/peer/").get_data(as_text=True)
    assert texter.pseudonym in dashboard and "1 new" in dashboard
    thread = html.unescape(
        client.get(f"/peer/conversations/{conversation.id}").get_data(as_text=True)
    )
    assert "Rough week, my manager keeps moving deadlines" in thread
    assert texter.pseudonym in thread and "+1" not in thread.split("<main")[1].split("</main>")[0]
    assert 'data-segment-counter="reply-counter"' in thread
    assert "1 new" not in client.get("/peer/").get_data(as_text=True), "opening the thread reads it"
    sent = client.post_form(
        f"/peer/conversations/{conversation.id}/reply",
        {"body": "That sounds exhausting. What has helped so far?"},
    )
    assert sent.status_code == 302
    reply = session.scalar(select(Message).where(Message.author == "peer"))
    assert reply.recipient == "texter" and reply.status == "queued"
    assert "What has helped so far?" in client.get(
        f"/peer/conversations/{conversation.id}"
    ).get_data(as_text=True)


def test_an_empty_reply_is_refused_with_a_reason(client, session, make, program, peer, now):
    switch_on(client)
    texter_asks(session, make, program, now)
    offer = session.scalar(select(Offer).where(Offer.peer_profile_id == peer.id))
    client.post_form(f"/peer/offers/{offer.id}/accept")
    conversation = session.scalar(select(Conversation))
    response = client.post_form(f"/peer/conversations/{conversation.id}/reply", {"body": "   "})
    assert response.status_code == 400 and "This field is required" in response.get_data(
        as_text=True
    )


def test_declining_moves_the_request_on(client, session, make, program, peer, now):
    switch_on(client)
    texter_asks(session, make, program, now)
    offer = session.scalar(select(Offer).where(Offer.peer_profile_id == peer.id))
    client.post_form(f"/peer/offers/{offer.id}/decline")
    session.expire_all()
    assert session.get(Offer, offer.id).state == "declined"
    assert "No offers right now" in client.get("/peer/").get_data(as_text=True)


def test_a_taken_offer_says_so(client, session, make, program, peer, now):
    other = make.peer(program, alias="Sky")
    switch_on(client)
    texter_asks(session, make, program, now)
    mine = session.scalar(select(Offer).where(Offer.peer_profile_id == peer.id))
    theirs = session.scalar(select(Offer).where(Offer.peer_profile_id == other.id))
    offers.accept_offer(
        session, offer_id=theirs.id, peer_profile_id=other.id, now=now, dispatcher=get_dispatcher()
    )
    response = client.post_form(f"/peer/offers/{mine.id}/accept", follow_redirects=True)
    assert "Another peer accepted this request first." in html.unescape(
        response.get_data(as_text=True)
    )


def test_inserting_a_resource_or_skill_card_fills_the_reply(
    client, session, make, program, peer, now
):
    switch_on(client)
    texter_asks(session, make, program, now)
    offer = session.scalar(select(Offer).where(Offer.peer_profile_id == peer.id))
    client.post_form(f"/peer/offers/{offer.id}/accept")
    conversation = session.scalar(select(Conversation))
    resource = Resource(
        program_id=program.id, name="Compeer", description="Peer mentoring", phone="+1 585-546-8280"
    )
    card = SkillCard(
        program_id=program.id, title="Box breathing", body="Breathe in 4, hold 4, out 4, hold 4."
    )
    session.add_all([resource, card])
    session.flush()
    page = html.unescape(
        client.get(f"/peer/conversations/{conversation.id}").get_data(as_text=True)
    )
    assert "Box breathing" in page and "Compeer" in page and "data-insert" in page
    filled = html.unescape(
        client.get(f"/peer/conversations/{conversation.id}?insert=card-{card.id}").get_data(
            as_text=True
        )
    )
    assert "Breathe in 4, hold 4, out 4, hold 4.</textarea>" in filled
    filled = html.unescape(
        client.get(f"/peer/conversations/{conversation.id}?insert=resource-{resource.id}").get_data(
            as_text=True
        )
    )
    assert "Compeer - Peer mentoring Call +1 585-546-8280.</textarea>" in filled


def test_ending_with_a_wrap_up(client, session, make, program, peer, now):
    switch_on(client)
    texter_asks(session, make, program, now)
    offer = session.scalar(select(Offer).where(Offer.peer_profile_id == peer.id))
    client.post_form(f"/peer/offers/{offer.id}/accept")
    conversation = session.scalar(select(Conversation))
    form = client.get(f"/peer/conversations/{conversation.id}/end").get_data(as_text=True)
    assert "How did it go?" in form and "In 3 days" in form
    missing = client.post_form(
        f"/peer/conversations/{conversation.id}/end", {"topic_id": program.topics[1].id}
    )
    assert missing.status_code == 400 and "Choose how it went." in missing.get_data(as_text=True)
    done = client.post_form(
        f"/peer/conversations/{conversation.id}/end",
        {"topic_id": program.topics[1].id, "outcome": "skills", "checkin_choice": "3d"},
    )
    assert done.status_code == 302
    session.expire_all()
    ended = session.get(Conversation, conversation.id)
    assert (ended.state, ended.ended_by, ended.outcome, ended.checkin_choice, ended.topic_id) == (
        "ended",
        "peer",
        "skills",
        "3d",
        program.topics[1].id,
    )
    assert session.get(type(peer), peer.id).active_conversations == 0
    page = client.get(f"/peer/conversations/{conversation.id}").get_data(as_text=True)
    assert "This conversation ended" in page and 'action="/peer/conversations' not in page


def test_a_crisis_conversation_shows_the_protocol_and_a_flag_reaches_a_supervisor(
    app, client, session, make, program, peer, now
):
    switch_on(client)
    texter, _ = texter_asks(session, make, program, now, crisis=True)
    offer = session.scalar(select(Offer).where(Offer.peer_profile_id == peer.id))
    client.post_form(f"/peer/offers/{offer.id}/accept")
    conversation = session.scalar(select(Conversation))
    page = client.get(f"/peer/conversations/{conversation.id}").get_data(as_text=True)
    assert "crisis-banner" in page and "988" in page and "741741" in page and "911" in page
    missing = client.post_form(f"/peer/conversations/{conversation.id}/flag", {"reason": ""})
    assert missing.status_code == 400
    client.post_form(
        f"/peer/conversations/{conversation.id}/flag", {"reason": "Talking about self-harm"}
    )
    alert = session.scalar(select(Alert).where(Alert.kind == "flag"))
    assert alert.conversation_id == conversation.id and alert.state == "open"

    org = session.get(type(program.organization), program.organization_id)
    supervisor = make.supervisor(org)
    outsider = make.supervisor(make.org())
    with app.test_client() as other:
        other.__class__ = type(client)
        other.login(outsider)
        assert "Talking about self-harm" not in other.get("/peer/supervise").get_data(as_text=True)
        assert other.post_form(f"/peer/supervise/alerts/{alert.id}/acknowledge").status_code == 404
    client.post_form("/logout")
    client.login(supervisor)
    board = html.unescape(client.get("/peer/supervise").get_data(as_text=True))
    assert "Talking about self-harm" in board and texter.pseudonym in board and "River" in board
    assert client.post_form(f"/peer/supervise/alerts/{alert.id}/acknowledge").status_code == 302
    session.expire_all()
    acked = session.get(Alert, alert.id)
    assert acked.state == "acknowledged" and acked.acknowledged_by_id == supervisor.id
    audited = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "alert", AuditEvent.object_id == alert.id
        )
    )
    assert list(audited) == ["safety.alert_acknowledged"]
    again = client.post_form(
        f"/peer/supervise/alerts/{alert.id}/acknowledge", follow_redirects=True
    )
    assert "Someone already acknowledged" in again.get_data(as_text=True)


def test_polling_reports_new_offers_and_messages(client, session, make, program, peer, now):
    switch_on(client)
    before = client.get("/peer/poll.json").get_json()
    assert before == {"offers": [], "conversations": {}, "last_message_id": 0, "unread": 0}
    texter_asks(session, make, program, now)
    offer = session.scalar(select(Offer).where(Offer.peer_profile_id == peer.id))
    assert client.get("/peer/poll.json").get_json()["offers"] == [offer.id]
    client.post_form(f"/peer/offers/{offer.id}/accept")
    conversation = session.scalar(select(Conversation))
    message = texter_says(session, conversation, "hello?", now)
    state = client.get(f"/peer/conversations/{conversation.id}/poll.json").get_json()
    assert state["last_message_id"] == message.id and state["state"] == "active"
    assert client.get("/peer/poll.json").get_json()["unread"] == 1


def test_a_wrap_up_sent_just_after_the_texter_texted_done_is_kept(
    client, session, make, program, peer, now
):
    from peerwork import conversations
    from peerwork.models import CheckIn

    switch_on(client)
    texter_asks(session, make, program, now)
    offer = session.scalar(select(Offer).where(Offer.peer_profile_id == peer.id))
    client.post_form(f"/peer/offers/{offer.id}/accept")
    conversation = session.scalar(select(Conversation))
    assert "How did it go?" in client.get(f"/peer/conversations/{conversation.id}/end").get_data(
        as_text=True
    )
    # The texter's DONE lands while the peer is filling in the form.
    conversations.end_conversation(
        session,
        conversation_id=conversation.id,
        ended_by="texter",
        now=now,
        dispatcher=get_dispatcher(),
    )
    session.commit()
    dashboard = client.get("/peer/").get_data(as_text=True)
    assert "Wrap up" in dashboard and f"/peer/conversations/{conversation.id}/end" in dashboard
    done = client.post_form(
        f"/peer/conversations/{conversation.id}/end",
        {"topic_id": program.topics[1].id, "outcome": "skills", "checkin_choice": "1w"},
    )
    assert done.status_code == 302
    session.expire_all()
    ended = session.get(Conversation, conversation.id)
    assert (ended.ended_by, ended.outcome, ended.checkin_choice, ended.topic_id) == (
        "texter",
        "skills",
        "1w",
        program.topics[1].id,
    )
    (checkin,) = session.scalars(select(CheckIn).where(CheckIn.conversation_id == ended.id))
    assert checkin.state == "scheduled"
    assert "Wrap up" not in client.get("/peer/").get_data(as_text=True)
    again = client.get(f"/peer/conversations/{conversation.id}/end")
    assert again.status_code == 302


def test_the_offer_previews_the_texters_words_and_the_thread_starts_with_them(
    client, session, make, program, peer, now
):
    switch_on(client)
    texter = make.texter(program, state="choosing_topic")
    session.add(
        Message(
            program_id=program.id,
            direction="inbound",
            author="texter",
            kind="opening",
            texter_id=texter.id,
            body="my manager & I <argued> again",
            status="received",
            created_at=now,
        )
    )
    session.flush()
    ask_for_peer(session, program, texter, now, get_dispatcher())
    page = client.get("/peer/").get_data(as_text=True)
    assert "my manager &amp; I &lt;argued&gt; again" in page, "escaped, quoted in the offer"
    offer = session.scalar(select(Offer).where(Offer.peer_profile_id == peer.id))
    client.post_form(f"/peer/offers/{offer.id}/accept")
    conversation = session.scalar(select(Conversation))
    thread = client.get(f"/peer/conversations/{conversation.id}").get_data(as_text=True)
    assert "my manager &amp; I &lt;argued&gt; again" in thread
    assert "before the match" in thread and "You were matched" in thread
