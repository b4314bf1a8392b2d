"""A deactivated peer's open offers are withdrawn and their texters move on at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from peerwork.admin import volunteers
from peerwork.extensions import get_dispatcher
from peerwork.matching import offers
from peerwork.models import AuditEvent, Conversation, Offer, Organization, SupportRequest, Texter
from peerwork.peers import profile as peer_profile


@pytest.fixture
def dispatcher(app):
    return get_dispatcher(app)


@pytest.fixture
def program(make):
    return make.program(wave_size=1, max_waves=3, offer_timeout_seconds=300)


def ask(session, program, now, dispatcher, make, topic=None):
    texter = make.texter(program, state="choosing_topic")
    return offers.open_request(
        session,
        program_id=program.id,
        texter_id=texter.id,
        topic_id=(topic or program.topics[0]).id,
        now=now,
        dispatcher=dispatcher,
    )


def offers_of(session, request_id) -> dict[int, str]:
    rows = session.execute(
        select(Offer.peer_profile_id, Offer.state).where(Offer.request_id == request_id)
    ).all()
    return dict(rows)


def everything(session) -> list[tuple]:
    """Every offer, request and conversation with its state, to compare before and after."""
    session.expire_all()
    return (
        [("offer", o.id, o.state) for o in session.scalars(select(Offer).order_by(Offer.id))]
        + [
            ("request", r.id, r.state, r.wave)
            for r in session.scalars(select(SupportRequest).order_by(SupportRequest.id))
        ]
        + [("conversation", c.id, c.state) for c in session.scalars(select(Conversation))]
    )


def deactivate(session, program, peer, now, dispatcher) -> int:
    return volunteers.deactivate_peer(
        session, program=program, profile=peer, now=now, actor=None, dispatcher=dispatcher
    )


def test_deactivating_a_peer_sends_their_offer_to_the_next_peer_at_once(
    session, make, now, dispatcher, program
):
    river = make.peer(program, alias="River")
    request = ask(session, program, now, dispatcher, make)
    assert offers_of(session, request.id) == {river.id: "open"}
    backup = make.peer(program, alias="Backup")

    deactivate(session, program, river, now + timedelta(seconds=20), dispatcher)

    session.expire_all()
    assert offers_of(session, request.id) == {river.id: "withdrawn", backup.id: "open"}
    request = session.get(SupportRequest, request.id)
    assert (request.state, request.wave) == ("offering", 2)
    withdrawn = session.scalar(select(Offer).where(Offer.peer_profile_id == river.id))
    assert withdrawn.responded_at == now + timedelta(seconds=20)
    assert session.get(Texter, request.texter_id).dialog_state == "waiting"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "peer.deactivate"))
    assert event.details == {"handed_back": 0, "offers_withdrawn": 1}


def test_the_rest_of_a_wave_still_open_keeps_the_request_waiting_for_its_answers(
    session, make, now, dispatcher
):
    program = make.program(wave_size=2, max_waves=3)
    river, sky = make.peer(program, alias="River"), make.peer(program, alias="Sky")
    request = ask(session, program, now, dispatcher, make)
    make.peer(program, alias="Later")

    withdrawn = offers.withdraw_peer_offers(
        session, peer_profile_id=river.id, now=now, dispatcher=dispatcher
    )

    assert withdrawn == 1
    assert offers_of(session, request.id) == {river.id: "withdrawn", sky.id: "open"}
    assert session.get(SupportRequest, request.id).wave == 1


def test_nothing_else_changes(session, make, now, dispatcher, program):
    work, anxiety = program.topics[0], program.topics[1]
    river = make.peer(program, alias="River", topics=[work])
    sky = make.peer(program, alias="Sky", topics=[anxiety])
    to_river = ask(session, program, now, dispatcher, make, topic=work)
    to_sky = ask(session, program, now, dispatcher, make, topic=anxiety)
    backup = make.peer(program, alias="Backup", topics=[work])
    other_program = make.program(wave_size=1)
    elsewhere = make.peer(other_program)
    far = ask(session, other_program, now, dispatcher, make, topic=other_program.topics[0])
    before = set(everything(session))

    deactivate(session, program, river, now, dispatcher)

    after = set(everything(session))
    river_offer = session.scalar(select(Offer.id).where(Offer.peer_profile_id == river.id))
    backup_offer = session.scalar(select(Offer.id).where(Offer.peer_profile_id == backup.id))
    assert before - after == {
        ("offer", river_offer, "open"),
        ("request", to_river.id, "offering", 1),
    }
    assert after - before == {
        ("offer", river_offer, "withdrawn"),
        ("request", to_river.id, "offering", 2),
        ("offer", backup_offer, "open"),
    }
    assert offers_of(session, to_sky.id) == {sky.id: "open"}
    assert offers_of(session, far.id) == {elsewhere.id: "open"}


def test_an_offer_from_an_earlier_wave_does_not_skip_the_current_one(
    session, make, now, dispatcher, program
):
    river = make.peer(program, alias="River")
    request = ask(session, program, now, dispatcher, make)
    sky = make.peer(program, alias="Sky")
    # River's wave-1 offer is still open (its expiry job has not run) when wave 2 goes out.
    offers.send_next_wave(session, request_id=request.id, now=now, dispatcher=dispatcher)
    make.peer(program, alias="Later")

    offers.withdraw_peer_offers(session, peer_profile_id=river.id, now=now, dispatcher=dispatcher)

    assert offers_of(session, request.id) == {river.id: "withdrawn", sky.id: "open"}
    assert session.get(SupportRequest, request.id).wave == 2


def test_withdrawing_twice_changes_nothing_the_second_time(session, make, now, dispatcher, program):
    river = make.peer(program, alias="River")
    request = ask(session, program, now, dispatcher, make)
    make.peer(program, alias="Sky")
    first = offers.withdraw_peer_offers(
        session, peer_profile_id=river.id, now=now, dispatcher=dispatcher
    )
    before = everything(session)
    again = offers.withdraw_peer_offers(
        session, peer_profile_id=river.id, now=now, dispatcher=dispatcher
    )
    assert (first, again) == (1, 0)
    assert everything(session) == before
    assert session.get(SupportRequest, request.id).wave == 2


def test_after_the_last_wave_the_request_waits_in_the_queue(session, make, now, dispatcher):
    program = make.program(wave_size=1, max_waves=1)
    river = make.peer(program, alias="River")
    request = ask(session, program, now, dispatcher, make)

    offers.withdraw_peer_offers(session, peer_profile_id=river.id, now=now, dispatcher=dispatcher)

    request = session.get(SupportRequest, request.id)
    assert (request.state, request.waiting_since) == ("waiting", now)


def test_after_the_last_wave_a_free_peer_is_still_asked(session, make, now, dispatcher):
    program = make.program(wave_size=1, max_waves=1)
    river = make.peer(program, alias="River")
    request = ask(session, program, now, dispatcher, make)
    sky = make.peer(program, alias="Sky")

    offers.withdraw_peer_offers(session, peer_profile_id=river.id, now=now, dispatcher=dispatcher)

    # Queued at this moment (its wait counts from here), and out again at once to Sky.
    request = session.get(SupportRequest, request.id)
    assert (request.state, request.waiting_since) == ("offering", now)
    assert offers_of(session, request.id) == {river.id: "withdrawn", sky.id: "open"}


def test_switching_available_off_keeps_open_offers(session, make, now, dispatcher, program):
    river = make.peer(program, alias="River")
    request = ask(session, program, now, dispatcher, make)
    make.peer(program, alias="Sky")

    peer_profile.set_available(
        session, peer_profile_id=river.id, available=False, now=now, dispatcher=dispatcher
    )

    assert offers_of(session, request.id) == {river.id: "open"}
    conversation = offers.accept_offer(
        session,
        offer_id=session.scalar(select(Offer.id)),
        peer_profile_id=river.id,
        now=now + timedelta(seconds=30),
        dispatcher=dispatcher,
    )
    assert conversation.peer_profile_id == river.id


def test_the_admin_deactivate_button_moves_the_request_on(
    client, make, session, now, dispatcher, program
):
    admin = make.admin(session.get(Organization, program.organization_id))
    river = make.peer(program, alias="River")
    request = ask(session, program, now, dispatcher, make)
    backup = make.peer(program, alias="Backup")
    session.commit()

    with time_machine.travel(now + timedelta(minutes=1), tick=False):
        client.login(admin)
        response = client.post_form(f"/admin/programs/{program.id}/peers/{river.id}/deactivate")

    assert response.status_code == 302
    assert "/volunteers" in response.headers["Location"]
    session.expire_all()
    assert offers_of(session, request.id) == {river.id: "withdrawn", backup.id: "open"}
