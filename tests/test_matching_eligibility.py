"""Who may be offered a request: each part of the eligibility rule on its own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from peerwork.matching import eligibility
from peerwork.models import (
    Offer,
    PeerProfile,
    SupportRequest,
    TrainingAttempt,
    TrainingModule,
    User,
)

WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def program(make):
    return make.program()


def request_for(session, make, program, *, topic=None, now):
    texter = make.texter(program)
    request = SupportRequest(
        program_id=program.id,
        texter_id=texter.id,
        topic_id=topic.id if topic else None,
        state="waiting",
        created_at=now,
    )
    session.add(request)
    session.flush()
    return request


def offered(session, request, now):
    return {c.peer_profile_id for c in eligibility.eligible_peers(session, request, now)}


def module(session, program, now, *, version=1, required=True, grace_until=None):
    row = TrainingModule(
        program_id=program.id,
        slug=f"m{version}-{now.timestamp()}-{id(grace_until)}-{required}",
        title="Listening",
        lesson_md="...",
        required=required,
        version=version,
        previous_version_valid_until=grace_until,
    )
    session.add(row)
    session.flush()
    return row


def passed(session, peer, module, version, now):
    session.add(
        TrainingAttempt(
            module_id=module.id,
            peer_profile_id=peer.id,
            module_version=version,
            score=100,
            passed=True,
            answers=[],
            created_at=now,
        )
    )
    session.flush()


def test_a_ready_peer_is_eligible(session, make, program, now):
    peer = make.peer(program)
    assert offered(session, request_for(session, make, program, now=now), now) == {peer.id}


def test_a_peer_who_has_not_finished_training_is_not_offered(session, make, program, now):
    required = module(session, program, now)
    trained = make.peer(program, certified=False)
    untrained = make.peer(program, certified=False)
    passed(session, trained, required, 1, now)
    request = request_for(session, make, program, now=now)
    assert offered(session, request, now) == {trained.id}
    assert eligibility.is_certified(session, trained.id, now)
    assert not eligibility.is_certified(session, untrained.id, now)


def test_a_failed_attempt_does_not_certify(session, make, program, now):
    required = module(session, program, now)
    peer = make.peer(program, certified=False)
    session.add(
        TrainingAttempt(
            module_id=required.id,
            peer_profile_id=peer.id,
            module_version=1,
            score=40,
            passed=False,
            answers=[],
            created_at=now,
        )
    )
    session.flush()
    assert not eligibility.is_certified(session, peer.id, now)


def test_optional_and_retired_modules_do_not_gate_matching(session, make, program, now):
    module(session, program, now, required=False)
    retired = module(session, program, now, version=2)
    retired.retired_at = now
    peer = make.peer(program)
    assert eligibility.is_certified(session, peer.id, now)


def test_a_new_version_counts_the_previous_pass_only_during_grace(session, make, program, now):
    grace_until = now + timedelta(days=14)
    lesson = module(session, program, now, version=2, grace_until=grace_until)
    peer = make.peer(program, certified=False)
    passed(session, peer, lesson, 1, now)
    assert eligibility.is_certified(session, peer.id, now)
    [status] = eligibility.training_status(session, peer.id, now)
    assert (status.status, status.grace_until) == ("grace", grace_until)
    after = grace_until + timedelta(seconds=1)
    assert not eligibility.is_certified(session, peer.id, after)
    assert eligibility.training_status(session, peer.id, after)[0].status == "needed"
    passed(session, peer, lesson, 2, now)
    assert eligibility.is_certified(session, peer.id, after)
    assert eligibility.training_status(session, peer.id, after)[0].status == "passed"


def test_two_versions_behind_is_not_grace(session, make, program, now):
    lesson = module(session, program, now, version=3, grace_until=now + timedelta(days=1))
    peer = make.peer(program, certified=False)
    passed(session, peer, lesson, 1, now)
    assert not eligibility.is_certified(session, peer.id, now)


def test_a_program_without_required_modules_certifies_everyone(session, make, program, now):
    peer = make.peer(program, certified=False)
    assert eligibility.is_certified(session, peer.id, now)


def test_a_peer_switched_off_is_not_offered(session, make, program, now):
    make.peer(program, available=False)
    assert offered(session, request_for(session, make, program, now=now), now) == set()


def test_weekly_hours_are_read_in_the_program_timezone(session, make, now):
    # now is Wednesday 15:00 UTC: 10:00 in New York, 07:00 in Los Angeles.
    east = make.program(timezone="America/New_York")
    west = make.program(timezone="America/Los_Angeles")
    in_hours = make.peer(east, availability=WEEKDAYS_9_TO_5)
    too_early = make.peer(west, availability=WEEKDAYS_9_TO_5)
    assert offered(session, request_for(session, make, east, now=now), now) == {in_hours.id}
    assert offered(session, request_for(session, make, west, now=now), now) == set()
    two_hours_later = now + timedelta(hours=2)
    assert offered(session, request_for(session, make, west, now=now), two_hours_later) == {
        too_early.id
    }


def test_a_day_missing_from_availability_is_unavailable(session, make, program, now):
    make.peer(program, availability={"mon": [["00:00", "24:00"]]})
    assert offered(session, request_for(session, make, program, now=now), now) == set()


def test_midnight_end_is_allowed(session, make, program, now):
    peer = make.peer(program, availability={"wed": [["09:00", "24:00"]]})
    late = now.replace(hour=4, minute=59) + timedelta(days=1)  # 23:59 Wednesday in New York
    assert offered(session, request_for(session, make, program, now=now), late) == {peer.id}


def test_a_peer_at_capacity_is_not_offered(session, make, program, now):
    full = make.peer(program, capacity=2)
    full.active_conversations = 2
    room = make.peer(program, capacity=2)
    room.active_conversations = 1
    session.flush()
    assert offered(session, request_for(session, make, program, now=now), now) == {room.id}


def test_topic_must_be_one_the_peer_listed(session, make, program, now):
    stress, anxiety, _ = program.topics
    listed = make.peer(program, topics=[stress])
    make.peer(program, topics=[anxiety])
    request = request_for(session, make, program, topic=stress, now=now)
    assert offered(session, request, now) == {listed.id}


def test_a_peer_who_takes_any_topic_is_offered_every_topic(session, make, program, now):
    anything = make.peer(program, any_topic=True)
    request = request_for(session, make, program, topic=program.topics[2], now=now)
    assert offered(session, request, now) == {anything.id}


def test_a_request_without_topic_goes_only_to_peers_who_take_any_topic(session, make, program, now):
    stress = program.topics[0]
    make.peer(program, topics=[stress])
    make.peer(program, topics=list(program.topics), any_topic=False)  # every topic, box unticked
    anything = make.peer(program, topics=[stress], any_topic=True)
    untopiced = request_for(session, make, program, now=now)
    assert offered(session, untopiced, now) == {anything.id}


def test_a_peer_who_ticks_any_topic_gets_untopiced_requests_and_one_who_does_not_never(
    session, make, program, now
):
    ticked = make.peer(program, topics=[], any_topic=True)
    unticked = make.peer(program, topics=[program.topics[1]], any_topic=False)
    untopiced = request_for(session, make, program, now=now)
    assert offered(session, untopiced, now) == {ticked.id}
    assert eligibility.someone_available(session, untopiced, now)
    ticked.accepts_any_topic = False
    session.flush()
    assert offered(session, untopiced, now) == set()
    assert not eligibility.someone_available(session, untopiced, now)
    topical = request_for(session, make, program, topic=program.topics[1], now=now)
    assert offered(session, topical, now) == {unticked.id}


@pytest.mark.parametrize("state", ["open", "declined", "expired", "withdrawn"])
def test_a_peer_is_not_asked_again_while_their_offer_is_fresh(session, make, program, now, state):
    asked = make.peer(program)
    fresh = make.peer(program)
    request = request_for(session, make, program, now=now)
    session.add(
        Offer(
            request_id=request.id,
            peer_profile_id=asked.id,
            wave=1,
            state=state,
            created_at=now,
            expires_at=now + timedelta(minutes=2),
        )
    )
    session.flush()
    assert offered(session, request, now) == {fresh.id}


def test_a_deactivated_account_is_not_offered(session, make, program, now):
    peer = make.peer(program)
    session.get(User, peer.user_id).active = False
    session.flush()
    assert offered(session, request_for(session, make, program, now=now), now) == set()


@pytest.mark.parametrize("status", ["draft", "paused", "closed"])
def test_nobody_is_offered_when_the_program_is_not_live(session, make, now, status):
    program = make.program(status=status)
    make.peer(program)
    assert offered(session, request_for(session, make, program, now=now), now) == set()


def test_peers_of_another_program_are_never_offered(session, make, program, now):
    make.peer(make.program())
    assert offered(session, request_for(session, make, program, now=now), now) == set()


def test_passing_one_module_does_not_count_for_another(session, make, program, now):
    first = module(session, program, now)
    module(session, program, now, version=2)
    peer = make.peer(program, certified=False)
    passed(session, peer, first, 1, now)
    passed(session, peer, first, 2, now)
    assert not eligibility.is_certified(session, peer.id, now)
    assert offered(session, request_for(session, make, program, now=now), now) == set()


def test_a_module_of_another_program_does_not_gate_this_one(session, make, program, now):
    module(session, make.program(), now)
    peer = make.peer(program, certified=False)
    assert eligibility.is_certified(session, peer.id, now)


@pytest.mark.parametrize(
    ("state", "cooldown"),
    [
        ("expired", eligibility.LAPSE_COOLDOWN),
        ("withdrawn", eligibility.LAPSE_COOLDOWN),
        ("declined", eligibility.DECLINE_COOLDOWN),
    ],
)
def test_a_peer_is_asked_again_for_a_request_after_the_cool_down(
    session, make, program, now, state, cooldown
):
    """A lapse is asked again after minutes; a deliberate decline only after longer."""
    asked = make.peer(program)
    request = request_for(session, make, program, now=now)
    ended = now - timedelta(minutes=1)
    session.add(
        Offer(
            request_id=request.id,
            peer_profile_id=asked.id,
            wave=1,
            state=state,
            created_at=ended - timedelta(minutes=2),
            expires_at=ended,
            responded_at=ended,
        )
    )
    session.flush()
    assert offered(session, request, ended + cooldown - timedelta(seconds=1)) == set()
    assert offered(session, request, ended + cooldown) == {asked.id}


def test_a_decline_keeps_the_peer_away_longer_than_a_lapse():
    assert eligibility.DECLINE_COOLDOWN > eligibility.LAPSE_COOLDOWN


def test_an_open_offer_blocks_until_it_expires_and_its_cool_down_ends(session, make, program, now):
    asked = make.peer(program)
    request = request_for(session, make, program, now=now)
    session.add(
        Offer(
            request_id=request.id,
            peer_profile_id=asked.id,
            wave=1,
            state="open",
            created_at=now,
            expires_at=now + timedelta(minutes=2),
        )
    )
    session.flush()
    expiry = now + timedelta(minutes=2)
    assert (
        offered(session, request, expiry + eligibility.LAPSE_COOLDOWN - timedelta(seconds=1))
        == set()
    )
    assert offered(session, request, expiry + eligibility.LAPSE_COOLDOWN) == {asked.id}


def test_someone_available_ignores_the_requests_own_offers(session, make, program, now):
    asked = make.peer(program)
    request = request_for(session, make, program, now=now)
    session.add(
        Offer(
            request_id=request.id,
            peer_profile_id=asked.id,
            wave=1,
            state="declined",
            created_at=now,
            expires_at=now + timedelta(minutes=2),
            responded_at=now,
        )
    )
    session.flush()
    assert offered(session, request, now) == set()
    assert eligibility.someone_available(session, request, now)
    session.get(PeerProfile, asked.id).available = False
    session.flush()
    assert not eligibility.someone_available(session, request, now)
