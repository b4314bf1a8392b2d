"""Issue #15: a supervisor acts on a long wait. From the queue of waiting texters they
offer each texter to a peer they choose; the peer accepts; the peer asks for a
supervisor and sees a private note arrive without reloading. Desktop and 390 px on
both sides (axe runs on every page load of `page` and `phone_page`)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from peerwork.extensions import db
from peerwork.models import AuditEvent, Conversation, Message
from tests import factories
from tests.helpers import RecordingDispatcher, ask_for_peer

pytestmark = pytest.mark.committed

NOTE = "You're doing well. Ask if they're safe tonight; I'm here if you need me."


def sign_in(page, live_server, user):
    page.context.clear_cookies()
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def offer_from_the_queue(page, live_server, pseudonym: str, alias: str, shot, name: str):
    """The supervisor opens the queue from the menu and offers `pseudonym` to `alias`."""
    page.goto(live_server.url + "/peer/supervise")
    page.get_by_role("link", name="Queue", exact=True).first.click()
    page.wait_for_load_state()
    card = page.locator("li.queue-item").filter(has_text=pseudonym)
    expect(card).to_contain_text("no offers yet")
    assert fits(page)
    shot(page, f"{name}-queue")
    card.get_by_label(f"Offer {pseudonym} to").select_option(
        label=f"{alias} (0 of 2 conversations)"
    )
    card.get_by_role("button", name=f"Offer {pseudonym} to this peer").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text(f"Offered to {alias}.")
    expect(page.locator("li.queue-item").filter(has_text=pseudonym)).to_contain_text(
        "1 offer so far, 1 still open"
    )
    assert fits(page)
    shot(page, f"{name}-offered")


def accept_on_the_dashboard(page, live_server, peer_user, shot, name: str) -> int:
    """The chosen peer sees the offer on their workspace and accepts it."""
    sign_in(page, live_server, peer_user)
    page.goto(live_server.url + "/peer/")
    offer = page.locator(".offer").first
    expect(offer).to_be_visible()
    shot(page, f"{name}-offer")
    offer.get_by_role("button", name="Accept").click()
    page.wait_for_load_state()
    assert "/peer/conversations/" in page.url
    assert fits(page)
    return int(page.url.rstrip("/").split("/")[-1].split("#")[0])


def test_a_supervisor_offers_waiting_texters_to_chosen_peers_who_accept(
    page, phone_page, live_server, make, session, now, shot
):
    org = make.org("Acme Logistics")
    program = make.program(org, name="Acme Peer Line")
    supervisor = make.supervisor(org, name="Dana Reyes")
    river = make.peer(program, alias="River", available=False)
    sky = make.peer(program, alias="Sky", available=False)
    heron = make.texter(program, "+17165550301", pseudonym="Blue Heron")
    fox = make.texter(program, "+17165550302", pseudonym="Red Fox")
    # Both asked while nobody was switched on: they wait, offered to no one.
    ask_for_peer(session, program, heron, now, RecordingDispatcher())
    ask_for_peer(session, program, fox, now, RecordingDispatcher())
    river.available = sky.available = True
    river_user, sky_user = river.user, sky.user
    session.commit()

    # Desktop supervisor, phone peer: Blue Heron to River.
    sign_in(page, live_server, supervisor)
    offer_from_the_queue(page, live_server, "Blue Heron", "River", shot, "supervisor-desktop")
    heron_id = accept_on_the_dashboard(phone_page, live_server, river_user, shot, "peer-phone")
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Blue Heron")
    shot(phone_page, "peer-phone-conversation")

    # Phone supervisor, desktop peer: Red Fox to Sky.
    sign_in(phone_page, live_server, supervisor)
    offer_from_the_queue(phone_page, live_server, "Red Fox", "Sky", shot, "supervisor-phone")
    fox_id = accept_on_the_dashboard(page, live_server, sky_user, shot, "peer-desktop")
    expect(page.get_by_role("heading", level=1)).to_have_text("Red Fox")

    # The queue is empty now.
    phone_page.goto(live_server.url + "/peer/supervise/queue")
    expect(phone_page.locator("main")).to_contain_text("Nobody is waiting for a peer right now.")

    # Sky asks for a supervisor and keeps the page open (it polls every 4 s).
    page.clock.install()
    page.goto(f"{live_server.url}/peer/conversations/{fox_id}")
    page.get_by_label("What do you need help with?").fill("They mentioned a plan, please join")
    page.get_by_role("button", name="Alert a supervisor").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("You'll see here who joins")
    page.wait_for_function(
        "document.getElementById('thread-live').getAttribute('data-poll-stamp') !== ''"
    )

    # The supervisor, on the phone, opens it from the alert and writes a private note.
    phone_page.goto(live_server.url + "/peer/supervise")
    alert = phone_page.locator("li.alert-item").filter(has_text="Red Fox")
    expect(alert).to_contain_text("Peer asked for help")
    assert "Texter Red Fox" not in alert.inner_text()
    alert.get_by_role("link", name="Open conversation").click()
    phone_page.wait_for_load_state()
    phone_page.get_by_label("Note to Sky (the texter never sees it)").fill(NOTE)
    phone_page.get_by_role("button", name="Send to Sky").click()
    phone_page.wait_for_load_state()
    expect(phone_page.locator("main")).to_contain_text("Note sent to the peer.")
    assert fits(phone_page)
    shot(phone_page, "supervisor-phone-note")

    # Sky's open page brings the note in without a reload.
    page.clock.run_for(4_500)
    panel = page.get_by_role("region", name="From your supervisor only you see this")
    expect(panel).to_contain_text(NOTE)
    expect(panel).to_contain_text("Dana Reyes (supervisor) joined")
    shot(page, "peer-desktop-note")

    db.session.expire_all()
    assert db.session.get(Conversation, heron_id).peer_profile_id == river.id
    assert db.session.get(Conversation, fox_id).peer_profile_id == sky.id
    offered = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "supervisor.offered_to_peer")
    ).all()
    assert [e.actor_user_id for e in offered] == [supervisor.id, supervisor.id]
    # The note was never a text to anyone.
    assert (
        db.session.scalar(select(Message.id).where(Message.body.contains("safe tonight"))) is None
    )
