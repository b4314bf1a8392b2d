"""Issue #15, supervisors: the live queue of waiting texters and what a supervisor can do
about a wait (offer to a chosen peer, offer to everyone, take it, text an update), the
race with a peer's accept, alerts that follow a request into its conversation, and
private notes to a peer that never reach the texter."""

from __future__ import annotations

import html
import re
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peerwork.extensions import db, get_dispatcher
from peerwork.matching import offers
from peerwork.models import (
    Alert,
    AuditEvent,
    Conversation,
    Message,
    Offer,
    SupervisorNote,
    SupportRequest,
    TrainingModule,
    User,
)
from peerwork.privacy import retention
from peerwork.safety import escalation, supervision
from peerwork.sms import segments, texts
from tests.helpers import RecordingDispatcher, ask_for_peer, texter_says

TEXTER_PHONE = "+13125550163"
NOTE = "Gently ask whether they are safe tonight, and mention the EAP line."


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def text_of(page: str) -> str:
    """What a reader sees: tags dropped, whitespace collapsed."""
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def sign_in_as(client, user) -> None:
    """Sign out whoever is signed in, then sign `user` in (one browser, two people)."""
    client.post_form("/logout")
    client.login(user)


def audit_rows(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


@pytest.fixture
def world(session, make, now):
    """Blue Heron has waited since before River and Sky switched on; nobody was asked yet.

    Another organization has a waiting texter of its own.
    """
    org = make.org("Acme Logistics")
    program = make.program(org, name="Acme Peer Line")
    river = make.peer(program, alias="River", available=False)
    sky = make.peer(program, alias="Sky", available=False)
    heron = make.texter(program, TEXTER_PHONE, pseudonym="Blue Heron")
    request = ask_for_peer(session, program, heron, now, RecordingDispatcher())
    assert request.state == "waiting"
    river.available = sky.available = True
    elsewhere = make.program(make.org("Other Co"))
    make.peer(elsewhere, alias="Cloud")
    fox = make.texter(elsewhere, pseudonym="Red Fox")
    foreign = ask_for_peer(session, elsewhere, fox, now, RecordingDispatcher())
    # Committed (to the test's savepoint): a refused action's rollback keeps the world.
    session.commit()
    return {
        "org": org,
        "program": program,
        "river": river,
        "sky": sky,
        "heron": heron,
        "request": request,
        "foreign": foreign,
    }


@pytest.fixture
def supervisor(make, world, client):
    supervisor = make.supervisor(world["org"], name="Dana Reyes")
    client.login(supervisor)
    return supervisor


def offers_of(session, request) -> list[tuple[str, str]]:
    session.expire_all()
    return [
        (o.peer_profile_id, o.state)
        for o in session.scalars(
            select(Offer).where(Offer.request_id == request.id).order_by(Offer.id)
        )
    ]


# -- the queue -----------------------------------------------------------------------------


def test_the_queue_lists_waiting_texters_crisis_first(
    client, session, make, now, later, world, supervisor
):
    owl = make.texter(world["program"], pseudonym="Quiet Owl")
    ask_for_peer(
        session, world["program"], owl, later(minutes=3), RecordingDispatcher(), crisis=True
    )
    page = page_of(client.get("/peer/supervise/queue"))
    seen = text_of(page)
    # Crisis first although Blue Heron has waited longer; each with topic and offers so far.
    assert seen.index("Crisis Quiet Owl") < seen.index("Blue Heron")
    assert "Work stress · Acme Peer Line" in seen
    assert "2 offers so far, 2 still open" in seen, "Quiet Owl's crisis wave reached both"
    assert "no offers yet" in seen
    # The chosen-peer list names who is free, and the other organization is invisible.
    assert ">River (0 of 2 conversations)</option>" in page
    assert "Red Fox" not in page and "Cloud" not in page
    # Without a peer profile of their own, the supervisor is not offered "take it myself".
    assert "myself" not in seen
    assert TEXTER_PHONE[2:] not in page


def test_the_alerts_page_says_the_pseudonym_once_and_sends_a_long_wait_to_the_queue(
    client, session, later, world, supervisor
):
    raised = escalation.raise_wait_alerts(
        session, now=later(minutes=30), dispatcher=RecordingDispatcher()
    )
    assert raised == 2  # one per organization
    session.flush()
    page = page_of(client.get("/peer/supervise"))
    assert "Texter Texter" not in page and "Texter Blue Heron" not in page
    assert "Blue Heron" in text_of(page)
    assert f"/peer/supervise/queue#waiting-{world['request'].id}" in page
    assert "Act on the wait" in page


# -- offer to a chosen peer ------------------------------------------------------------


def test_a_supervisor_offers_a_waiting_texter_to_a_chosen_peer_who_accepts(
    client, session, now, world, supervisor
):
    request, river = world["request"], world["river"]
    response = client.post_form(
        f"/peer/supervise/queue/{request.id}/offer",
        {"peer_profile_id": river.id},
        follow_redirects=True,
    )
    assert "Offered to River." in page_of(response)
    assert offers_of(session, request) == [(river.id, "open")]
    assert session.get(SupportRequest, request.id).state == "offering"
    [event] = audit_rows(session, "supervisor.offered_to_peer")
    assert (event.actor_user_id, event.object_type, event.object_id) == (
        supervisor.id,
        "support_request",
        request.id,
    )
    assert event.details == {"peer_profile_id": river.id}

    offer = session.scalar(select(Offer).where(Offer.request_id == request.id))
    conversation = offers.accept_offer(
        session, offer_id=offer.id, peer_profile_id=river.id, now=now, dispatcher=get_dispatcher()
    )
    assert conversation.peer_profile_id == river.id
    assert "Blue Heron" not in text_of(page_of(client.get("/peer/supervise/queue")))


def test_a_peer_who_is_not_free_cannot_be_chosen(client, session, world, supervisor):
    request, sky = world["request"], world["sky"]
    sky.available = False
    session.flush()
    response = client.post_form(
        f"/peer/supervise/queue/{request.id}/offer",
        {"peer_profile_id": sky.id},
        follow_redirects=True,
    )
    assert "That peer can't take it right now" in page_of(response)
    assert offers_of(session, request) == []
    assert audit_rows(session, "supervisor.offered_to_peer") == []


# -- offer to everyone -----------------------------------------------------------------


def test_offering_to_everyone_asks_every_free_peer_even_in_their_cool_down(
    session, now, later, world, supervisor
):
    request, river, sky = world["request"], world["river"], world["sky"]
    dispatcher = RecordingDispatcher()
    # The sweep offers it, wave after wave, and both decline: both are cooling down from it.
    offers.wake_waiting(session, program_id=world["program"].id, now=now, dispatcher=dispatcher)
    for _ in range(4):
        for offer in session.scalars(
            select(Offer).where(Offer.request_id == request.id, Offer.state == "open")
        ).all():
            offers.decline_offer(
                session,
                offer_id=offer.id,
                peer_profile_id=offer.peer_profile_id,
                now=now,
                dispatcher=dispatcher,
            )
    session.refresh(request)
    assert request.state == "waiting"
    assert {p for p, s in offers_of(session, request)} == {river.id, sky.id}
    asked = supervision.reoffer_to_everyone(
        session,
        request_id=request.id,
        actor=supervisor,
        now=later(seconds=301),
        dispatcher=dispatcher,
    )
    assert asked == 2
    assert [state for _, state in offers_of(session, request)].count("open") == 2
    [event] = audit_rows(session, "supervisor.reoffered")
    assert event.actor_user_id == supervisor.id and event.details == {"peers_asked": 2}
    # Asking again while both offers are open changes nothing and says why.
    with pytest.raises(supervision.SupervisionRefused, match="already has this request"):
        supervision.reoffer_to_everyone(
            session,
            request_id=request.id,
            actor=supervisor,
            now=later(seconds=302),
            dispatcher=dispatcher,
        )
    assert {river.id, sky.id} == {p for p, s in offers_of(session, request) if s == "open"}


# -- take it myself ---------------------------------------------------------------------


def test_a_certified_supervisor_takes_the_texter_themselves(
    client, session, make, world, supervisor
):
    request = world["request"]
    supervisor_roles = make.user(world["org"], "supervisor", "peer", name="Morgan Lee")
    make.peer(world["program"], alias="Morgan", user=supervisor_roles, available=False)
    sign_in_as(client, supervisor_roles)
    assert "Take Blue Heron myself" in page_of(client.get("/peer/supervise/queue"))
    response = client.post_form(f"/peer/supervise/queue/{request.id}/take")
    session.expire_all()
    conversation = session.scalar(select(Conversation).where(Conversation.request_id == request.id))
    assert response.headers["Location"].endswith(f"/peer/conversations/{conversation.id}")
    assert conversation.peer_profile_id != world["river"].id
    [event] = audit_rows(session, "supervisor.took_request")
    assert event.actor_user_id == supervisor_roles.id
    assert event.details["conversation_id"] == conversation.id
    # The texter is told the alias, as with any accept.
    connected = texts.for_program("connected", world["program"], alias="Morgan")
    assert session.scalar(
        select(Message.id).where(
            Message.conversation_id == conversation.id, Message.body == connected
        )
    )


def test_a_supervisor_without_training_cannot_take_a_texter(client, session, make, now, world):
    untrained = make.user(world["org"], "supervisor", "peer", name="Ira New")
    session.add(
        TrainingModule(
            program_id=world["program"].id,
            slug="listening",
            title="Listening",
            lesson_md="Listen first.",
            required=True,
            version_published_at=now,
        )
    )
    make.peer(world["program"], alias="Ira", user=untrained, certified=False)
    sign_in_as(client, untrained)
    response = client.post_form(
        f"/peer/supervise/queue/{world['request'].id}/take", follow_redirects=True
    )
    assert "You can take a texter yourself once" in page_of(response)
    assert session.scalar(select(Conversation.id)) is None
    assert audit_rows(session, "supervisor.took_request") == []


# -- an honest update -------------------------------------------------------------------


def test_the_supervisor_texts_the_waiting_texter_an_update(client, session, world, supervisor):
    request = world["request"]
    response = client.post_form(f"/peer/supervise/queue/{request.id}/update", follow_redirects=True)
    assert "Update sent" in page_of(response)
    body = texts.for_program("supervisor_update", world["program"])
    session.expire_all()
    sent = session.scalars(
        select(Message).where(Message.texter_id == world["heron"].id, Message.recipient == "texter")
    ).all()
    assert [m.body for m in sent][-1] == body
    [event] = audit_rows(session, "supervisor.texter_updated")
    assert event.actor_user_id == supervisor.id and event.object_id == request.id
    assert "update texted" in text_of(page_of(client.get("/peer/supervise/queue")))


def test_a_spanish_texter_gets_the_update_in_spanish(client, session, world, supervisor):
    world["program"].languages = "en,es"
    world["heron"].language = "es"
    session.flush()
    response = client.post_form(
        f"/peer/supervise/queue/{world['request'].id}/update", follow_redirects=True
    )
    assert "Update sent" in page_of(response)
    session.expire_all()
    sent = session.scalars(
        select(Message).where(Message.texter_id == world["heron"].id, Message.recipient == "texter")
    ).all()
    assert sent[-1].body == texts.for_program("supervisor_update", world["program"], language="es")
    assert sent[-1].body.startswith("Un supervisor del equipo")


def test_no_update_goes_to_a_texter_who_opted_out(client, session, world, supervisor):
    world["heron"].dialog_state = "opted_out"
    session.flush()
    response = client.post_form(
        f"/peer/supervise/queue/{world['request'].id}/update", follow_redirects=True
    )
    assert "opted out of texts" in page_of(response)
    assert audit_rows(session, "supervisor.texter_updated") == []


def test_the_update_text_is_honest_gsm7_and_within_two_segments():
    text = texts.TEXTS["supervisor_update"]
    rendered = texts.render("supervisor_update", program="Northwind Logistics Peer Line")
    assert text.max_segments == 2
    assert segments.count(rendered).is_gsm7
    assert segments.segments(rendered) <= 2
    assert "supervisor" in rendered and "988" in rendered


# -- the race: matched before the supervisor acts ---------------------------------------

ACTIONS = ["offer", "reoffer", "take", "update"]
ACTION_AUDIT = {
    "offer": "supervisor.offered_to_peer",
    "reoffer": "supervisor.reoffered",
    "take": "supervisor.took_request",
    "update": "supervisor.texter_updated",
}


@pytest.mark.parametrize("action", ACTIONS)
def test_a_request_matched_meanwhile_gives_the_supervisor_a_clear_message(
    client, session, make, now, world, supervisor, action
):
    request, river, sky = world["request"], world["river"], world["sky"]
    make.peer(world["program"], alias="Dana", user=supervisor, available=False)
    # The supervisor's page was loaded while Blue Heron waited...
    page_of(client.get("/peer/supervise/queue"))
    # ...then River got an offer from the sweep and accepted it.
    offers.wake_waiting(
        session, program_id=world["program"].id, now=now, dispatcher=RecordingDispatcher()
    )
    offer = session.scalar(
        select(Offer).where(Offer.request_id == request.id, Offer.peer_profile_id == river.id)
    )
    offers.accept_offer(
        session,
        offer_id=offer.id,
        peer_profile_id=river.id,
        now=now,
        dispatcher=RecordingDispatcher(),
    )
    session.commit()
    before = offers_of(session, request)
    messages_before = session.scalar(select(Message.id).order_by(Message.id.desc()).limit(1))

    response = client.post_form(
        f"/peer/supervise/queue/{request.id}/{action}",
        {"peer_profile_id": sky.id},
        follow_redirects=True,
    )
    page = page_of(response)
    assert "Blue Heron was matched with peer River in the meantime" in page
    assert offers_of(session, request) == before
    assert audit_rows(session, ACTION_AUDIT[action]) == []
    newest = session.scalar(select(Message.id).order_by(Message.id.desc()).limit(1))
    assert newest == messages_before, "nothing texted to anyone"
    assert (
        session.scalar(
            select(Conversation.peer_profile_id).where(Conversation.request_id == request.id)
        )
        == river.id
    )


def test_a_request_the_texter_cancelled_meanwhile_says_so(session, now, world, supervisor):
    offers.cancel_request(
        session, request_id=world["request"].id, now=now, dispatcher=RecordingDispatcher()
    )
    with pytest.raises(supervision.SupervisionRefused, match="stopped waiting"):
        supervision.update_texter(
            session,
            request_id=world["request"].id,
            actor=supervisor,
            now=now,
            dispatcher=RecordingDispatcher(),
        )


# -- who may act -------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_another_organizations_request_is_404(client, session, make, world, supervisor, action):
    foreign = world["foreign"]
    before = offers_of(session, foreign)
    response = client.post_form(f"/peer/supervise/queue/{foreign.id}/{action}")
    assert response.status_code == 404
    assert offers_of(session, foreign) == before
    assert audit_rows(session, ACTION_AUDIT[action]) == []


def test_a_supervisor_of_another_organization_gets_404_on_notes_and_joins(
    client, session, make, now, world
):
    conversation = _matched(session, world, now)
    outsider = make.supervisor(make.org("Other Co 2"), name="Nosy Parker")
    sign_in_as(client, outsider)
    for action in ("note", "join"):
        response = client.post_form(
            f"/peer/supervise/conversations/{conversation.id}/{action}", {"body": "hello"}
        )
        assert response.status_code == 404
    assert session.scalars(select(SupervisorNote)).all() == []


@pytest.mark.parametrize("url", ["/peer/supervise/queue", "/peer/supervise/queue/poll.json"])
def test_a_peer_cannot_see_the_queue(client, world, url):
    client.login(world["river"].user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("action", ACTIONS)
def test_a_peer_cannot_act_on_the_queue(client, session, world, action):
    client.login(world["river"].user)
    response = client.post_form(f"/peer/supervise/queue/{world['request'].id}/{action}")
    assert response.status_code == 403
    assert offers_of(session, world["request"]) == []


# -- alerts follow the request into its conversation ------------------------------------


def _matched(session, world, now) -> Conversation:
    """River accepts Blue Heron: the conversation that came of the request.

    The sweep offers it; if River's offer has lapsed by `now` (a crisis wave
    went out earlier), a fresh one is put in front of River first.
    """
    request, river = world["request"], world["river"]
    offers.wake_waiting(
        session, program_id=world["program"].id, now=now, dispatcher=RecordingDispatcher()
    )
    offers.expire_stray_offers(session, now=now)
    offer = session.scalar(
        select(Offer).where(
            Offer.request_id == request.id,
            Offer.peer_profile_id == river.id,
            Offer.state == "open",
        )
    )
    if offer is None:
        offers.supervisor_wave(
            session,
            request_id=request.id,
            peer_profile_id=river.id,
            now=now,
            dispatcher=RecordingDispatcher(),
        )
        offer = session.scalar(
            select(Offer).where(
                Offer.request_id == request.id,
                Offer.peer_profile_id == river.id,
                Offer.state == "open",
            )
        )
    # The app's dispatcher: the texter's "connected" text is a job the test can run.
    conversation = offers.accept_offer(
        session, offer_id=offer.id, peer_profile_id=river.id, now=now, dispatcher=get_dispatcher()
    )
    session.commit()
    return conversation


def test_alerts_raised_while_waiting_are_shown_on_the_conversation(
    client, session, later, now, world, supervisor
):
    request = world["request"]
    dispatcher = RecordingDispatcher()
    # A crisis text while waiting, then the long wait.
    crisis_message = Message(
        program_id=world["program"].id,
        direction="inbound",
        author="texter",
        texter_id=world["heron"].id,
        body="i want to kill myself",
        status="received",
        is_crisis=True,
        created_at=now,
    )
    session.add(crisis_message)
    session.flush()
    crisis = escalation.handle_crisis_message(
        session, message_id=crisis_message.id, now=now, dispatcher=dispatcher
    )
    assert crisis.request_id == request.id and crisis.conversation_id is None
    escalation.raise_wait_alerts(session, now=later(minutes=30), dispatcher=dispatcher)
    conversation = _matched(session, world, later(minutes=31))

    session.expire_all()
    linked = session.scalars(select(Alert).where(Alert.request_id == request.id)).all()
    assert sorted(a.kind for a in linked) == ["crisis", "wait"]
    assert {a.conversation_id for a in linked} == {conversation.id}

    seen = text_of(page_of(client.get(f"/peer/supervise/conversations/{conversation.id}")))
    assert "No alerts were raised on this conversation" not in seen
    assert "Acknowledge the alert below" in seen
    assert "Suicide or self-harm" in seen and "Long wait" in seen
    # The alerts list links both to the conversation now, not to the queue.
    alerts_page = page_of(client.get("/peer/supervise"))
    assert alerts_page.count(f'/peer/supervise/conversations/{conversation.id}"') >= 2


def test_an_alert_recorded_before_the_link_still_shows_on_its_conversation(
    client, session, now, world, supervisor
):
    conversation = _matched(session, world, now)
    # As an alert raised before this change was stored: the request, no conversation.
    session.add(
        Alert(
            program_id=world["program"].id,
            kind="wait",
            state="open",
            reason="A texter has waited 12 minutes for a peer.",
            request_id=world["request"].id,
            texter_id=world["heron"].id,
            created_at=now,
        )
    )
    session.flush()
    seen = text_of(page_of(client.get(f"/peer/supervise/conversations/{conversation.id}")))
    assert "A texter has waited 12 minutes for a peer." in seen
    assert "No alerts were raised" not in seen


# -- notes to the peer -------------------------------------------------------------------


def test_a_private_note_reaches_the_peer_live_and_never_the_texter(
    client, session, make, now, jobs, transport, world, supervisor
):
    conversation = _matched(session, world, now)
    texter_says(session, conversation, "i don't think i can do this anymore", now, crisis=True)
    conversation.flagged_at = now
    session.flush()
    river = world["river"]

    # The peer's page and its poll before the note.
    sign_in_as(client, river.user)
    poll_before = client.get(f"/peer/conversations/{conversation.id}/poll.json").get_json()
    assert poll_before["last_note_id"] == 0

    sign_in_as(client, supervisor)
    response = client.post_form(
        f"/peer/supervise/conversations/{conversation.id}/note", {"body": NOTE}
    )
    assert response.status_code == 302
    notes = session.scalars(select(SupervisorNote).order_by(SupervisorNote.id)).all()
    assert [(n.kind, n.author_label) for n in notes] == [
        ("joined", "Dana Reyes"),
        ("note", "Dana Reyes"),
    ]
    [event] = audit_rows(session, "supervisor.note_to_peer")
    assert event.actor_user_id == supervisor.id and event.object_id == conversation.id
    assert NOTE not in str(event.details), "the audit log keeps no words"
    assert audit_rows(session, "supervisor.joined_conversation")

    # The peer's poll changes, so their open page refreshes; the page shows the note.
    sign_in_as(client, river.user)
    poll_after = client.get(f"/peer/conversations/{conversation.id}/poll.json").get_json()
    assert poll_after["last_note_id"] == notes[-1].id
    peer_page = text_of(page_of(client.get(f"/peer/conversations/{conversation.id}")))
    assert NOTE in peer_page
    assert "Dana Reyes (supervisor) joined" in peer_page

    # Nothing of it is a message, and everything texted out leaves it behind.
    assert session.scalar(select(Message.id).where(Message.body.contains("EAP line"))) is None
    jobs.run(until=now)
    to_texter = transport.bodies_to(TEXTER_PHONE)
    assert to_texter, "the texter did receive their ordinary texts"
    assert not any("EAP line" in body or "safe tonight" in body for body in to_texter)
    assert not any("EAP line" in s["body"] for s in transport.sent)


def test_the_peer_sees_who_joined_after_asking_for_a_supervisor(
    client, session, now, world, supervisor
):
    conversation = _matched(session, world, now)
    sign_in_as(client, world["river"].user)
    client.post_form(
        f"/peer/conversations/{conversation.id}/flag", {"reason": "They mentioned a plan"}
    )
    waiting = text_of(page_of(client.get(f"/peer/conversations/{conversation.id}")))
    assert "You'll see here who joins" in waiting
    sign_in_as(client, supervisor)
    client.post_form(f"/peer/supervise/conversations/{conversation.id}/join")
    client.post_form(f"/peer/supervise/conversations/{conversation.id}/join")
    assert len(session.scalars(select(SupervisorNote)).all()) == 1, "joining twice is once"
    sign_in_as(client, world["river"].user)
    joined = text_of(page_of(client.get(f"/peer/conversations/{conversation.id}")))
    assert "Dana Reyes (supervisor) joined" in joined
    assert "Dana Reyes joined: see their notes" in joined


def test_an_empty_note_or_one_on_an_ended_conversation_is_refused(
    client, session, now, world, supervisor
):
    conversation = _matched(session, world, now)
    conversation.flagged_at = now
    session.flush()
    url = f"/peer/supervise/conversations/{conversation.id}/note"
    assert "Write a note for the peer first." in page_of(
        client.post_form(url, {"body": "   "}, follow_redirects=True)
    )
    conversation.state = "ended"
    session.flush()
    with pytest.raises(supervision.SupervisionRefused, match="has ended"):
        supervision.note_to_peer(
            session, conversation=conversation, actor=supervisor, body=NOTE, now=now
        )
    assert session.scalars(select(SupervisorNote).where(SupervisorNote.kind == "note")).all() == []


# -- the race, at the same moment --------------------------------------------------------


@pytest.mark.committed
def test_a_supervisor_taking_while_the_peer_accepts_makes_one_conversation(session, make, now):
    org = make.org("Acme Logistics")
    program = make.program(org, name="Acme Peer Line")
    river = make.peer(program, alias="River")
    dana = make.user(org, "supervisor", "peer", name="Dana Reyes")
    make.peer(program, alias="Dana", user=dana, available=False)
    heron = make.texter(program, pseudonym="Blue Heron")
    request = ask_for_peer(session, program, heron, now, RecordingDispatcher())
    offer_id = session.scalar(
        select(Offer.id).where(Offer.request_id == request.id, Offer.peer_profile_id == river.id)
    )
    request_id, river_id, dana_id = request.id, river.id, dana.id
    session.commit()

    engine = db.engine
    start = threading.Barrier(2)
    results: dict[str, str] = {}

    def peer_accepts() -> None:
        with Session(engine) as own:
            start.wait()
            try:
                offers.accept_offer(
                    own,
                    offer_id=offer_id,
                    peer_profile_id=river_id,
                    now=now,
                    dispatcher=RecordingDispatcher(),
                )
                own.commit()
                results["peer"] = "won"
            except offers.OfferUnavailable as refused:
                own.rollback()
                results["peer"] = refused.message

    def supervisor_takes() -> None:
        with Session(engine) as own:
            start.wait()
            try:
                supervision.take_request(
                    own,
                    request_id=request_id,
                    actor=own.get(User, dana_id),
                    now=now,
                    dispatcher=RecordingDispatcher(),
                )
                own.commit()
                results["supervisor"] = "won"
            except supervision.SupervisionRefused as refused:
                own.rollback()
                results["supervisor"] = refused.message

    threads = [threading.Thread(target=peer_accepts), threading.Thread(target=supervisor_takes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == ["peer", "supervisor"]
    assert list(results.values()).count("won") == 1, results
    with Session(db.engine) as check:
        [conversation] = check.scalars(select(Conversation)).all()
        if results["peer"] == "won":
            assert conversation.peer_profile_id == river_id
            assert results["supervisor"].startswith("Blue Heron was matched with peer River")
            assert check.scalar(select(func.count(AuditEvent.id))) == 0
        else:
            assert conversation.peer_profile_id != river_id
            assert results["peer"] == offers.TAKEN
            assert check.scalar(select(AuditEvent.action)) == "supervisor.took_request"


def test_a_crisis_raised_before_any_request_joins_the_conversation_that_follows(
    session, make, now, later
):
    program = make.program()
    river = make.peer(program, alias="River")
    texter = make.texter(program, pseudonym="Blue Heron")
    message = Message(
        program_id=program.id,
        direction="inbound",
        author="texter",
        texter_id=texter.id,
        body="i want to die",
        status="received",
        is_crisis=True,
        created_at=now,
    )
    session.add(message)
    session.flush()
    alert = escalation.handle_crisis_message(
        session, message_id=message.id, now=now, dispatcher=RecordingDispatcher()
    )
    assert (alert.request_id, alert.conversation_id) == (None, None)
    request = ask_for_peer(session, program, texter, later(minutes=1), RecordingDispatcher())
    offer = session.scalar(select(Offer).where(Offer.request_id == request.id))
    conversation = offers.accept_offer(
        session,
        offer_id=offer.id,
        peer_profile_id=river.id,
        now=later(minutes=1),
        dispatcher=RecordingDispatcher(),
    )
    session.refresh(alert)
    assert (alert.request_id, alert.conversation_id) == (request.id, conversation.id)


def test_the_retention_purge_erases_old_notes_with_the_messages(
    session, now, later, world, supervisor
):
    conversation = _matched(session, world, now)
    note = supervision.note_to_peer(
        session, conversation=conversation, actor=supervisor, body=NOTE, now=now
    )
    program = world["program"]
    retention.purge_batch(session, program=program, now=later(days=program.retention_days - 1))
    session.refresh(note)
    assert note.body == NOTE
    retention.purge_batch(session, program=program, now=later(days=program.retention_days + 1))
    session.refresh(note)
    assert note.body is None
