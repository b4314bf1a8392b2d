"""A texter who writes in Spanish, end to end: signed webhooks on one side, the peer's
web workspace on the other.

ESPAÑOL at the first text, the menu and a topic in Spanish; matched to the peer
who speaks Spanish though an English-only peer is free and would otherwise come
first; messages both ways; AYUDA, RECURSOS, PLAN mid-conversation; FIN ends it
(not LISTO: "listo" also means "ready"); the check-in a day later in Spanish;
PARAR opts out exactly like STOP.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from peerwork import clock
from peerwork.models import Offer, Resource, Texter
from peerwork.sms import texts
from tests.scenarios._peer import PeerAtWork
from tests.sms_helpers import Phone


def es(key: str, **values) -> str:
    """The start of a Spanish text, up to its first placeholder."""
    return texts.SPANISH[key].split("{")[0]


@pytest.fixture
def program(make, session):
    program = make.program(name="Acme Peer Line", messages_per_second=30, checkin_default="1d")
    program.languages = "en,es"
    program.wave_size = 1
    session.add(
        Resource(
            program_id=program.id,
            name="EAP (24/7)",
            phone="1-800-555-0100",
            topic_ids=[],
            position=0,
        )
    )
    session.flush()
    return program


@pytest.fixture
def robin(make, program, now):
    """Speaks English only; free, and never matched: first in line on every other count."""
    return make.peer(program, alias="Robin")


@pytest.fixture
def rosa(make, program, now):
    """Speaks Spanish and English; matched an hour ago, so ranked after Robin but for language."""
    profile = make.peer(program, alias="Rosa")
    profile.languages = "en,es"
    profile.last_matched_at = now - timedelta(hours=1)
    return profile


def open_offers(session, profile) -> list[Offer]:
    return list(
        session.scalars(
            select(Offer)
            .where(Offer.peer_profile_id == profile.id, Offer.state == "open")
            .execution_options(populate_existing=True)
        )
    )


def test_a_spanish_texter_is_answered_in_spanish_and_matched_to_a_spanish_speaking_peer(
    client, program, robin, rosa, session, jobs, travel
):
    session.commit()
    peer = PeerAtWork(client, rosa)
    client.login(rosa.user)
    texter = Phone(client, program, "+17165550188", jobs)

    # ESPAÑOL at the first text: the welcome and the menu come back at once, in Spanish.
    welcome, menu = texter.sends("ESPAÑOL")
    assert welcome.startswith(
        "Hola, ha contactado a Acme Peer Line: apoyo entre colegas por texto."
    )
    assert "llame al 911" in welcome.lower()
    assert menu.startswith("¿De qué quiere hablar?")
    assert menu.endswith("For English, reply ENGLISH."), "the way back, in English"
    assert texter.texter().language == "es"

    # A topic: the waiting text in Spanish, and the one offer goes to Rosa, not Robin.
    texter.sends("1")
    assert texter.last().startswith(es("waiting"))
    assert open_offers(session, robin) == []
    (offer,) = open_offers(session, rosa)

    # Rosa's workspace says the texter writes in Spanish; she accepts.
    assert "Spanish" in peer.workspace()
    conversation_id = peer.accepts(offer)
    jobs.run(until=clock.now())
    assert texter.last() == texts.render("connected", language="es", alias="Rosa")
    assert "Spanish" in peer.reads(conversation_id)

    # Both ways.
    texter.sends("el trabajo me tiene agotado")
    assert "el trabajo me tiene agotado" in peer.thread(conversation_id)
    response = client.post_form(
        f"/peer/conversations/{conversation_id}/reply",
        {"body": "Gracias por contarme. ¿Desde cuándo?"},
    )
    assert response.status_code == 302
    jobs.run(until=clock.now() + timedelta(seconds=5))
    assert texter.last() == "Gracias por contarme. ¿Desde cuándo?"

    # Keywords in Spanish, mid-conversation; the peer's thread notes them.
    (help_reply,) = texter.sends("AYUDA")
    assert help_reply == texts.render("help_connected", language="es", program="Acme Peer Line")
    texter.sends("RECURSOS")
    assert texter.last().startswith("Apoyo local:\nEAP (24/7) - 1-800-555-0100")
    texter.sends("PLAN")
    assert texter.last() == texts.SPANISH["plan_none_connected"]
    assert "asked for RESOURCES" in peer.reads(conversation_id)

    # FIN ends it, in Spanish; the check-in a day later is in Spanish too.
    texter.sends("FIN")
    assert texter.last().startswith("Gracias por escribirnos. Esta charla ha terminado.")
    travel.shift(timedelta(days=1, minutes=1))
    jobs.run(until=clock.now())
    assert texter.last() == texts.render("checkin", language="es", program="Acme Peer Line")
    texter.sends("4")
    assert texter.last() == texts.SPANISH["checkin_thanks"]

    # PARAR: opted out exactly like STOP, and nothing more is sent.
    sent = len(texter.received())
    assert texter.sends("PARAR") == []
    assert texter.texter().opted_out
    texter.sends("hola")
    assert len(texter.received()) == sent


@pytest.mark.parametrize("word", ["PARAR", "Cancelar", "STOP"])
def test_spanish_opt_out_words_act_like_stop_mid_conversation(
    client, program, rosa, session, jobs, word
):
    session.commit()
    peer = PeerAtWork(client, rosa)
    client.login(rosa.user)
    texter = Phone(client, program, "+17165550189", jobs)
    texter.sends("Hola, necesito hablar con alguien")
    assert texter.texter().language == "es", "read from the first text"
    texter.sends("2")
    conversation_id = peer.accepts(open_offers(session, rosa)[0])
    jobs.run(until=clock.now())
    assert texter.sends(word) == []
    assert texter.texter().opted_out
    assert "ended" in peer.reads(conversation_id).lower()


def test_english_switches_back_and_a_line_without_spanish_ignores_espanol(
    client, program, make, session, jobs
):
    session.commit()
    texter = Phone(client, program, "+17165550190", jobs)
    texter.sends("ESPANOL")
    (switched, menu) = texter.sends("ENGLISH")
    assert switched == texts.TEXTS["language_set"].default
    assert menu.startswith("What would you like to talk about?")
    assert menu.endswith("Para español, responda ESPAÑOL.")
    assert texter.texter().language == "en"

    english_only = make.program(name="English Line")
    session.commit()
    other = Phone(client, english_only, "+17165550191", jobs)
    welcome, menu = other.sends("ESPAÑOL")
    assert welcome.startswith("Hi, you've reached English Line")
    assert "ESPAÑOL" not in menu
    assert other.texter().language == "en"


def test_crisis_in_spanish_gets_the_spanish_crisis_reply_and_the_texter_stays_spanish(
    client, program, rosa, session, jobs
):
    session.commit()
    texter = Phone(client, program, "+17165550192", jobs)
    replies = texter.sends("ya no quiero vivir, me quiero matar")
    assert replies[0] == texts.TEXTS["crisis_es"].default
    assert texter.texter().language == "es"
    assert session.scalar(select(Texter.language).where(Texter.id == texter.texter().id)) == "es"


def test_an_english_only_peer_is_offered_a_spanish_texter_with_a_note_when_none_speaks_it(
    client, program, robin, session, jobs
):
    session.commit()
    peer = PeerAtWork(client, robin)
    client.login(robin.user)
    texter = Phone(client, program, "+17165550193", jobs)
    texter.sends("ESPAÑOL")
    texter.sends("1")
    assert len(open_offers(session, robin)) == 1
    page = peer.workspace()
    assert "Writes in Spanish" in page and "Your profile does not list Spanish" in page


def test_a_program_that_waits_for_a_speaker_offers_no_one_else(
    client, program, robin, session, jobs
):
    program.language_fallback = "wait"
    session.commit()
    texter = Phone(client, program, "+17165550194", jobs)
    texter.sends("ESPAÑOL")
    texter.sends("1")
    assert open_offers(session, robin) == []


def test_espanol_while_waiting_turns_later_waves_to_spanish_speakers(
    client, program, session, jobs
):
    from peerwork.models import SupportRequest

    session.commit()
    texter = Phone(client, program, "+17165550195", jobs)
    texter.sends("hi")
    texter.sends("1")
    texter.sends("ESPAÑOL")
    assert texter.last() == texts.SPANISH["language_set"]
    request = session.scalar(
        select(SupportRequest)
        .where(SupportRequest.texter_id == texter.texter().id)
        .execution_options(populate_existing=True)
    )
    assert request.language == "es"


def test_a_peer_whose_pages_are_in_spanish_gets_text_alerts_in_spanish(
    client, program, rosa, robin, session, jobs
):
    from peerwork.extensions import get_vault
    from peerwork.models import Message

    program.wave_size = 2
    for profile, phone in ((rosa, "+15855550140"), (robin, "+15855550141")):
        profile.sms_alerts = True
        profile.alert_phone_encrypted = get_vault().encrypt(phone)
    rosa.user.locale = "es"
    rosa_id, robin_id = rosa.id, robin.id
    session.commit()
    texter = Phone(client, program, "+17165550196", jobs)
    texter.sends("hi")
    texter.sends("1")
    alerts = dict(
        session.execute(
            select(Message.peer_profile_id, Message.body).where(
                Message.recipient == "peer", Message.kind == "alert"
            )
        ).all()
    )
    assert alerts[rosa_id].startswith("peerwork: alguien espera para hablar (")
    assert alerts[robin_id].startswith("peerwork: someone is waiting to talk (")


def test_a_spanish_texter_after_hours_is_told_the_hours_and_opening_in_spanish(
    client, program, session, jobs, travel, now
):
    # Weekdays 9:00-17:00 in New York; the frozen moment plus 10 h is 20:00 there on a
    # Wednesday, so the line opens tomorrow at 9:00.
    program.hours = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    session.commit()
    travel.shift(timedelta(hours=10))
    texter = Phone(client, program, "+17165550190", jobs)

    texter.sends("ESPAÑOL")

    said = " ".join(texter.received())
    assert "lun-vie 9:00-17:00" in said
    assert "mañana a las 9:00" in said
    for english in ("Mon", "Fri", "9am", "5pm", "tomorrow", "today at"):
        assert english not in said, english


@pytest.mark.parametrize(
    ("first_text", "asked"),
    [("hola", "Cuéntenos en pocas palabras"), ("hello", "Tell us in a few words")],
)
def test_a_line_without_topics_asks_in_the_texters_language(
    client, make, session, jobs, first_text, asked
):
    program = make.program(topics=(), languages="en,es")
    session.commit()
    texter = Phone(client, program, "+17165550191", jobs)

    texter.sends(first_text)

    assert any(asked in body for body in texter.received())
