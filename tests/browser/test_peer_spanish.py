"""A Spanish-speaking volunteer's workspace, in Spanish, on a phone (390 px): an offer
from a texter who writes in Spanish, accepted; the conversation, a message both ways.
axe-core checks every page and every live update."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from peerwork.extensions import get_dispatcher
from peerwork.matching import offers
from peerwork.models import Conversation, Message
from tests import factories

pytestmark = pytest.mark.committed


def test_a_spanish_speaking_peer_works_an_offer_and_a_conversation_in_spanish(
    app, phone_page, live_server, make, session, axe, shot
):
    page = phone_page
    program = make.program(make.org("Acme Logistics"), name="Acme Peer Line")
    program.languages = "en,es"
    peer = make.peer(program, alias="Rosa")
    peer.languages = "en,es"
    peer.user.locale = "es"
    email = peer.user.email
    session.commit()

    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/peer/$"))
    assert page.locator("html").get_attribute("lang") == "es"
    expect(page.get_by_role("heading", name="Hola, Rosa")).to_be_visible()
    expect(page.get_by_text("No hay ofertas ahora.")).to_be_visible()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    shot(page, "peer-es-workspace")

    # A texter who writes in Spanish asks for support; the offer appears without a reload.
    texter = make.texter(program, pseudonym="Texter Garza Azul")
    texter.language = "es"
    offers.open_request(
        session,
        program_id=program.id,
        texter_id=texter.id,
        topic_id=program.topics[0].id,
        now=datetime.now(UTC),
        dispatcher=get_dispatcher(app),
    )
    session.commit()
    accept = page.get_by_role("button", name="Aceptar")
    accept.wait_for(timeout=15_000)
    expect(page.get_by_text("Escribe en español")).to_be_visible()
    expect(page.get_by_role("button", name="Rechazar")).to_be_visible()
    axe.check(page)
    shot(page, "peer-es-offer")
    # Nothing sticks out sideways at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    accept.click()

    # The conversation, in Spanish; the texter's message arrives live; a reply goes out.
    page.wait_for_url(re.compile(r"/peer/conversations/\d+$"))
    expect(page.get_by_text("Escribe en español")).to_be_visible()
    expect(page.get_by_role("heading", name="Pedir ayuda a un supervisor")).to_be_visible()
    conversation = session.scalar(select(Conversation).where(Conversation.texter_id == texter.id))
    session.add(
        Message(
            program_id=program.id,
            direction="inbound",
            author="texter",
            texter_id=texter.id,
            conversation_id=conversation.id,
            body="Hola. El trabajo me tiene agotada y no duermo.",
            status="received",
            created_at=datetime.now(UTC),
        )
    )
    session.commit()
    page.get_by_text("El trabajo me tiene agotada").wait_for(timeout=15_000)
    axe.check(page)
    page.get_by_label("Su respuesta").fill("Gracias por contármelo. ¿Desde cuándo no duerme bien?")
    # "á" is not GSM-7: the counter says so, in Spanish.
    assert "UCS-2 · 1 segmento SMS (límite 3)" in page.locator("#reply-counter").inner_text()
    page.get_by_role("button", name="Enviar").click()
    page.get_by_text("¿Desde cuándo no duerme bien?").wait_for()
    expect(page.get_by_role("link", name="Terminar la conversación")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "peer-es-conversation")
    session.expire_all()
    (reply,) = session.scalars(select(Message).where(Message.author == "peer")).all()
    assert reply.body == "Gracias por contármelo. ¿Desde cuándo no duerme bien?"
