"""The offer lifecycle: waves, timeouts, the queue, accepting, declining, handing back."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from peerwork import conversations
from peerwork.extensions import db, get_dispatcher
from peerwork.matching import offers
from peerwork.models import (
    Alert,
    AuditEvent,
    Conversation,
    EscalationContact,
    Message,
    Offer,
    PeerProfile,
    SupportRequest,
    Texter,
    User,
)
from peerwork.sms import texts
from tests.helpers import matching_sweep as run_sweep

OPENING = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def dispatcher(app):
    return get_dispatcher(app)


@pytest.fixture
def program(make):
    return make.program(wave_size=1, max_waves=2, offer_timeout_seconds=60)


def ask(session, program, texter, now, dispatcher, **kw):
    return offers.open_request(
        session,
        program_id=program.id,
        texter_id=texter.id,
        topic_id=kw.pop("topic_id", None),
        now=now,
        dispatcher=dispatcher,
        **kw,
    )


def open_offers(session, request_id=None, peer=None):
    query = select(Offer).where(Offer.state == "open")
    if request_id is not None:
        query = query.where(Offer.request_id == request_id)
    if peer is not None:
        query = query.where(Offer.peer_profile_id == peer.id)
    return session.scalars(query.order_by(Offer.id)).all()


def texts_to(session, *, texter=None, peer=None):
    query = select(Message).where(Message.direction == "outbound")
    if texter is not None:
        query = query.where(Message.recipient == "texter", Message.texter_id == texter.id)
    if peer is not None:
        query = query.where(Message.recipient == "peer", Message.peer_profile_id == peer.id)
    return [m.body for m in session.scalars(query.order_by(Message.id))]


def test_first_wave_goes_to_the_best_peers_and_its_expiry_is_scheduled(
    session, make, now, dispatcher, jobs
):
    program = make.program(wave_size=2, offer_timeout_seconds=90)
    busy = make.peer(program, capacity=3)
    busy.active_conversations = 2
    fresh = make.peer(program)
    second = make.peer(program)
    texter = make.texter(program)
    request = ask(session, program, texter, now, dispatcher)
    assert request.state == "offering" and request.wave == 1
    sent = open_offers(session, request.id)
    assert {o.peer_profile_id for o in sent} == {fresh.id, second.id}
    assert all(o.expires_at == now + timedelta(seconds=90) for o in sent)
    assert [name for name, _ in jobs.scheduled()] == ["peerwork.jobs.expire_wave"]
    assert session.get(Texter, texter.id).dialog_state == "waiting"


def test_a_texter_has_one_open_request(session, make, now, dispatcher, program):
    make.peer(program)
    texter = make.texter(program)
    first = ask(session, program, texter, now, dispatcher)
    again = ask(session, program, texter, now + timedelta(seconds=5), dispatcher)
    assert again.id == first.id
    assert session.scalar(select(SupportRequest.id).where(SupportRequest.id != first.id)) is None


def test_peers_who_opted_in_get_an_sms_alert_without_content(session, make, now, dispatcher):
    program = make.program(wave_size=2)
    vault = make.vault()
    alerted = make.peer(program)
    alerted.sms_alerts = True
    alerted.alert_phone_encrypted = vault.encrypt("+17165550199")
    quiet = make.peer(program)
    texter = make.texter(program)
    ask(session, program, texter, now, dispatcher, topic_id=program.topics[1].id)
    assert texts_to(session, peer=alerted) == [
        "peerwork: someone is waiting to talk (Anxiety). Open your workspace to accept."
    ]
    assert texts_to(session, peer=quiet) == []


def test_timeouts_walk_through_every_wave_to_the_queue_and_back_out(
    session, make, now, dispatcher, jobs, program
):
    first = make.peer(program)
    second = make.peer(program)
    third = make.peer(program, available=False)
    texter = make.texter(program)
    request_id = ask(session, program, texter, now, dispatcher).id
    assert [o.peer_profile_id for o in open_offers(session, request_id)] == [first.id]
    session.commit()

    moment = now + timedelta(seconds=61)
    with time_machine.travel(moment, tick=False):
        jobs.run(until=moment)
    assert jobs.failed() == []
    session = db.session
    request = session.get(SupportRequest, request_id)
    assert (request.state, request.wave) == ("offering", 2)
    assert [o.peer_profile_id for o in open_offers(session, request_id)] == [second.id]
    first_offer = session.scalar(select(Offer).where(Offer.peer_profile_id == first.id))
    assert first_offer.state == "expired"

    moment += timedelta(seconds=61)
    with time_machine.travel(moment, tick=False):
        jobs.run(until=moment)
    assert jobs.failed() == []
    session = db.session
    request = session.get(SupportRequest, request_id)
    assert (request.state, request.waiting_since) == ("waiting", moment)
    assert open_offers(session, request_id) == []

    # The third peer switches on: the waiting request is offered at once.
    session.get(PeerProfile, third.id).available = True
    assert (
        offers.wake_waiting(session, program_id=program.id, now=moment, dispatcher=dispatcher) == 1
    )
    [offer] = open_offers(session, request_id)
    assert offer.peer_profile_id == third.id
    conversation = offers.accept_offer(
        session, offer_id=offer.id, peer_profile_id=third.id, now=moment, dispatcher=dispatcher
    )
    assert conversation.peer_profile_id == third.id
    assert session.get(SupportRequest, request_id).state == "matched"


def test_the_sweep_expires_offers_a_lost_job_left_open(session, make, now, dispatcher, program):
    make.peer(program)
    second = make.peer(program)
    texter = make.texter(program)
    request = ask(session, program, texter, now, dispatcher)
    run_sweep(session, now=now + timedelta(seconds=30), dispatcher=dispatcher)
    assert request.wave == 1
    run_sweep(session, now=now + timedelta(seconds=61), dispatcher=dispatcher)
    [offer] = open_offers(session, request.id)
    assert offer.peer_profile_id == second.id
    assert session.get(SupportRequest, request.id).wave == 2


def test_when_everyone_in_a_wave_declines_the_next_wave_goes_at_once(
    session, make, now, dispatcher
):
    program = make.program(wave_size=2, max_waves=3)
    peers = [make.peer(program) for _ in range(3)]
    texter = make.texter(program)
    request = ask(session, program, texter, now, dispatcher)
    first_wave = open_offers(session, request.id)
    offers.decline_offer(
        session,
        offer_id=first_wave[0].id,
        peer_profile_id=first_wave[0].peer_profile_id,
        now=now,
        dispatcher=dispatcher,
    )
    assert session.get(SupportRequest, request.id).wave == 1
    offers.decline_offer(
        session,
        offer_id=first_wave[1].id,
        peer_profile_id=first_wave[1].peer_profile_id,
        now=now,
        dispatcher=dispatcher,
    )
    [next_offer] = open_offers(session, request.id)
    asked_first = {o.peer_profile_id for o in first_wave}
    assert next_offer.peer_profile_id == ({p.id for p in peers} - asked_first).pop()
    assert session.get(SupportRequest, request.id).wave == 2


def test_nobody_eligible_puts_the_request_in_the_queue(session, make, now, dispatcher, program):
    make.peer(program, available=False)
    request = ask(session, program, make.texter(program), now, dispatcher)
    assert (request.state, request.waiting_since, request.wave) == ("waiting", now, 0)


def test_accepting_connects_the_texter_and_withdraws_the_other_offers(
    session, make, now, dispatcher
):
    program = make.program(wave_size=3)
    winner, other, third = (make.peer(program, alias=a) for a in ("Robin", "Kai", "Lee"))
    texter = make.texter(program)
    request = ask(session, program, texter, now, dispatcher)
    mine = open_offers(session, request.id, peer=winner)[0]
    conversation = offers.accept_offer(
        session, offer_id=mine.id, peer_profile_id=winner.id, now=now, dispatcher=dispatcher
    )
    assert conversation.state == "active" and conversation.texter_id == texter.id
    states = {o.peer_profile_id: o.state for o in session.scalars(select(Offer))}
    assert states == {winner.id: "accepted", other.id: "withdrawn", third.id: "withdrawn"}
    texter = session.get(Texter, texter.id)
    assert (texter.dialog_state, texter.last_peer_id) == ("connected", winner.id)
    assert texts_to(session, texter=texter)[-1].startswith("You're now connected with Robin")
    peer = session.get(PeerProfile, winner.id)
    assert (peer.active_conversations, peer.last_matched_at) == (1, now)

    late = (
        open_offers(session, request.id)
        or session.scalars(select(Offer).where(Offer.peer_profile_id == other.id)).all()
    )
    with pytest.raises(offers.OfferUnavailable) as refused:
        offers.accept_offer(
            session, offer_id=late[0].id, peer_profile_id=other.id, now=now, dispatcher=dispatcher
        )
    assert refused.value.message == "Another peer accepted this request first."
    assert session.scalars(select(Conversation)).all() == [conversation]


def test_an_expired_offer_cannot_be_accepted(session, make, now, dispatcher, program):
    peer = make.peer(program)
    request = ask(session, program, make.texter(program), now, dispatcher)
    [offer] = open_offers(session, request.id)
    with pytest.raises(offers.OfferUnavailable, match="expired"):
        offers.accept_offer(
            session,
            offer_id=offer.id,
            peer_profile_id=peer.id,
            now=now + timedelta(seconds=61),
            dispatcher=dispatcher,
        )
    assert session.get(SupportRequest, request.id).state == "offering"


def test_a_peer_at_capacity_cannot_accept_and_nothing_changes(session, make, now, dispatcher):
    program = make.program(wave_size=1)
    peer = make.peer(program, capacity=1)
    first = ask(session, program, make.texter(program), now, dispatcher)
    second = ask(session, program, make.texter(program), now, dispatcher)
    offer_one = open_offers(session, first.id)[0]
    offer_two = open_offers(session, second.id)[0]
    offers.accept_offer(
        session, offer_id=offer_one.id, peer_profile_id=peer.id, now=now, dispatcher=dispatcher
    )
    with pytest.raises(offers.OfferUnavailable, match="limit"):
        offers.accept_offer(
            session, offer_id=offer_two.id, peer_profile_id=peer.id, now=now, dispatcher=dispatcher
        )
    assert session.get(PeerProfile, peer.id).active_conversations == 1
    assert session.get(SupportRequest, second.id).state == "offering"
    assert session.get(Offer, offer_two.id).state == "open"


def test_someone_elses_offer_cannot_be_accepted(session, make, now, dispatcher, program):
    make.peer(program)
    intruder = make.peer(program, available=False)
    request = ask(session, program, make.texter(program), now, dispatcher)
    [offer] = open_offers(session, request.id)
    with pytest.raises(offers.OfferUnavailable):
        offers.accept_offer(
            session, offer_id=offer.id, peer_profile_id=intruder.id, now=now, dispatcher=dispatcher
        )


def test_cancelling_withdraws_the_open_offers(session, make, now, dispatcher, program):
    make.peer(program)
    request = ask(session, program, make.texter(program), now, dispatcher)
    assert offers.cancel_request(session, request_id=request.id, now=now, dispatcher=dispatcher)
    assert session.get(SupportRequest, request.id).state == "cancelled"
    assert open_offers(session) == []
    assert not offers.cancel_request(session, request_id=request.id, now=now, dispatcher=dispatcher)


def test_crisis_jumps_the_queue_and_gets_a_wider_wave(session, make, now, dispatcher):
    program = make.program(wave_size=2)
    waiting_long = ask(
        session, program, make.texter(program), now - timedelta(minutes=20), dispatcher
    )
    crisis = ask(session, program, make.texter(program), now, dispatcher, is_crisis=True)
    assert waiting_long.state == crisis.state == "waiting"
    peers = [make.peer(program, capacity=1) for _ in range(4)]
    offers.wake_waiting(session, program_id=program.id, now=now, dispatcher=dispatcher)
    # Each peer has room for one: all four are asked about the crisis first.
    assert {o.peer_profile_id for o in open_offers(session, crisis.id)} == {p.id for p in peers}
    assert open_offers(session, waiting_long.id) == []


def test_a_peer_switching_on_is_offered_the_oldest_waiting_request(session, make, now, dispatcher):
    program = make.program(wave_size=1)
    older = ask(session, program, make.texter(program), now - timedelta(minutes=9), dispatcher)
    newer = ask(session, program, make.texter(program), now - timedelta(minutes=2), dispatcher)
    peer = make.peer(program, capacity=1)
    assert offers.wake_waiting(session, program_id=program.id, now=now, dispatcher=dispatcher) == 1
    assert [o.peer_profile_id for o in open_offers(session, older.id)] == [peer.id]
    assert open_offers(session, newer.id) == []


def test_a_request_held_after_hours_is_offered_when_the_program_opens(
    session, make, now, dispatcher
):
    program = make.program(hours=OPENING)
    make.peer(program)
    evening = now.replace(hour=23)  # 18:00 in New York: closed
    request = ask(session, program, make.texter(program), evening, dispatcher)
    assert request.state == "held"
    assert (
        offers.wake_waiting(session, program_id=program.id, now=evening, dispatcher=dispatcher) == 0
    )
    morning = now + timedelta(days=1)  # Thursday 10:00 in New York
    assert (
        offers.wake_waiting(session, program_id=program.id, now=morning, dispatcher=dispatcher) == 1
    )
    assert session.get(SupportRequest, request.id).state == "offering"


def test_a_long_wait_alerts_supervisors_and_tells_the_texter_once(session, make, now, dispatcher):
    program = make.program(wait_alert_minutes=10)
    contact = EscalationContact(
        program_id=program.id, name="Pat", phone_encrypted=make.vault().encrypt("+17165550123")
    )
    session.add(contact)
    texter = make.texter(program)
    request = ask(session, program, texter, now, dispatcher)
    run_sweep(session, now=now + timedelta(minutes=9), dispatcher=dispatcher)
    assert session.scalars(select(Alert)).all() == []
    for minutes in (11, 12, 30):
        run_sweep(session, now=now + timedelta(minutes=minutes), dispatcher=dispatcher)
    [alert] = session.scalars(select(Alert)).all()
    assert (alert.kind, alert.request_id, alert.reason) == (
        "wait",
        request.id,
        "A texter has waited 11 minutes for a peer.",
    )
    updates = [b for b in texts_to(session, texter=texter) if b.startswith("We're still looking")]
    assert len(updates) == 1 and "988" in updates[0]
    staff = session.scalars(select(Message).where(Message.recipient == "contact")).all()
    assert [m.contact_id for m in staff] == [contact.id]


def test_hand_back_ends_the_conversation_and_finds_someone_else(session, make, now, dispatcher):
    program = make.program(wave_size=1)
    leaving = make.peer(program, alias="Robin")
    texter = make.texter(program)
    request = ask(session, program, texter, now, dispatcher)
    conversation = offers.accept_offer(
        session,
        offer_id=open_offers(session, request.id)[0].id,
        peer_profile_id=leaving.id,
        now=now,
        dispatcher=dispatcher,
    )
    other = make.peer(program)
    session.get(User, leaving.user_id).active = False
    later = now + timedelta(minutes=5)
    renewed = conversations.hand_back(
        session, conversation_id=conversation.id, now=later, dispatcher=dispatcher
    )
    conversation = session.get(Conversation, conversation.id)
    assert (conversation.state, conversation.ended_by) == ("ended", "handback")
    assert session.get(PeerProfile, leaving.id).active_conversations == 0
    assert renewed.source == "handback" and renewed.state == "offering"
    assert [o.peer_profile_id for o in open_offers(session, renewed.id)] == [other.id]
    assert texts_to(session, texter=texter)[-1].startswith("Your peer had to step away")
    assert session.get(Texter, texter.id).dialog_state == "waiting"
    assert (
        conversations.hand_back(
            session, conversation_id=conversation.id, now=later, dispatcher=dispatcher
        )
        is None
    )


# -- lapses, cool-downs and honest waiting (issue #12) -------------------------------------


@pytest.fixture
def lone(make):
    program = make.program(wave_size=1, max_waves=1, offer_timeout_seconds=60)
    return program, make.peer(program, alias="Robin")


def test_a_peer_who_lets_offers_lapse_three_times_in_a_row_is_switched_off(
    session, make, now, dispatcher, lone
):
    program, robin = lone
    moment = now
    for n in range(offers.AWAY_AFTER_LAPSES):
        assert session.get(PeerProfile, robin.id).available, n
        request = ask(session, program, make.texter(program), moment, dispatcher)
        [offer] = open_offers(session, request.id, peer=robin)
        moment = offer.expires_at
        offers.expire_wave(
            session, request_id=request.id, wave=offer.wave, now=moment, dispatcher=dispatcher
        )
    assert session.get(PeerProfile, robin.id).available is False
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == offers.AWAY_ACTION))
    assert (event.object_type, event.object_id, event.actor_label) == (
        "peer_profile",
        robin.id,
        "system",
    )


def test_an_answer_in_between_breaks_the_run_of_lapses(session, make, now, dispatcher, lone):
    program, robin = lone
    moment = now
    for answer in ("lapse", "decline", "lapse", "lapse"):
        request = ask(session, program, make.texter(program), moment, dispatcher)
        [offer] = open_offers(session, request.id, peer=robin)
        moment = offer.expires_at
        if answer == "decline":
            offers.decline_offer(
                session,
                offer_id=offer.id,
                peer_profile_id=robin.id,
                now=moment - timedelta(seconds=1),
                dispatcher=dispatcher,
            )
        else:
            offers.expire_wave(
                session, request_id=request.id, wave=offer.wave, now=moment, dispatcher=dispatcher
            )
    assert session.get(PeerProfile, robin.id).available is True


def test_a_peer_switched_off_for_lapses_starts_afresh_when_back(
    session, make, now, dispatcher, lone
):
    program, robin = lone
    moment = now
    for _ in range(offers.AWAY_AFTER_LAPSES):
        request = ask(session, program, make.texter(program), moment, dispatcher)
        [offer] = open_offers(session, request.id, peer=robin)
        moment = offer.expires_at
        offers.expire_wave(
            session, request_id=request.id, wave=offer.wave, now=moment, dispatcher=dispatcher
        )
    assert session.get(PeerProfile, robin.id).available is False
    # Robin comes back and switches on: the earlier lapses no longer count.
    moment += timedelta(minutes=5)
    session.get(PeerProfile, robin.id).available = True
    request = ask(session, program, make.texter(program), moment, dispatcher)
    [offer] = open_offers(session, request.id, peer=robin)
    offers.expire_wave(
        session,
        request_id=request.id,
        wave=offer.wave,
        now=offer.expires_at,
        dispatcher=dispatcher,
    )
    assert session.get(PeerProfile, robin.id).available is True


def test_a_long_wait_with_peers_switched_on_says_they_were_asked_not_that_all_are_busy(
    session, make, now, dispatcher
):
    program = make.program(wait_alert_minutes=5, wave_size=1, offer_timeout_seconds=120)
    make.peer(program, alias="Robin")
    texter = make.texter(program)
    request = ask(session, program, texter, now, dispatcher)
    # Robin's offer is open (or cooling down) whenever the sweep looks: Robin is not busy.
    for minutes in range(1, 8):
        run_sweep(session, now=now + timedelta(minutes=minutes), dispatcher=dispatcher)
    updates = [b for b in texts_to(session, texter=texter) if "not forgotten you" in b]
    assert updates == [texts.for_program("still_asking", program)]
    assert "everyone is busy" not in updates[0] and "988" in updates[0]
    [alert] = session.scalars(select(Alert).where(Alert.request_id == request.id)).all()
    assert alert.reason.endswith("Peers are switched on but have not answered.")
