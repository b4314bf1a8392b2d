"""The gate: a peer who has not finished training, is switched off, is outside
their hours, or is at capacity is never offered a request."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from peerwork.extensions import get_dispatcher
from peerwork.matching import offers
from peerwork.models import Offer, TrainingAttempt
from peerwork.training.grading import submit_quiz
from tests.helpers import curriculum_program, program_modules

# The fixed `now` is Wednesday 10:00 in New York.
MORNINGS = {"wed": [["08:00", "12:00"]]}
EVENINGS = {"wed": [["18:00", "22:00"]]}


@pytest.fixture
def program(make, session, now):
    return curriculum_program(make, session, now)


@pytest.fixture
def modules(session, program):
    return program_modules(session, program)


def requests_offered_to(session, peer) -> int:
    return len(session.scalars(select(Offer).where(Offer.peer_profile_id == peer.id)).all())


def texters_ask(session, make, program, now, count=3):
    for _ in range(count):
        offers.open_request(
            session,
            program_id=program.id,
            texter_id=make.texter(program).id,
            topic_id=program.topics[0].id,
            now=now,
            dispatcher=get_dispatcher(),
        )
    offers.wake_waiting(session, program_id=program.id, now=now, dispatcher=get_dispatcher())


@pytest.fixture
def ready(make, program):
    """A control peer who may be offered requests: proves requests do go out."""
    return make.peer(program, alias="Ready", capacity=5, availability=MORNINGS)


def test_a_peer_with_no_training_is_never_offered(session, make, program, ready, now):
    untrained = make.peer(program, alias="Fresh", certified=False)
    texters_ask(session, make, program, now)
    assert requests_offered_to(session, ready) == 3
    assert requests_offered_to(session, untrained) == 0


def test_a_peer_half_way_through_training_is_never_offered(
    session, make, program, modules, ready, now
):
    halfway = make.peer(program, alias="Halfway", certified=False)
    for module in modules[:-1]:
        submit_quiz(
            session,
            module_id=module.id,
            peer_profile_id=halfway.id,
            answers={q.id: q.correct_index for q in module.questions},
            now=now,
        )
    texters_ask(session, make, program, now)
    assert requests_offered_to(session, ready) == 3
    assert requests_offered_to(session, halfway) == 0


def test_a_failed_quiz_does_not_count(session, make, program, modules, ready, now):
    failed = make.peer(program, alias="Almost", certified=False)
    for module in modules:
        session.add(
            TrainingAttempt(
                module_id=module.id,
                peer_profile_id=failed.id,
                module_version=module.version,
                score=50,
                passed=False,
                answers=[],
            )
        )
    session.flush()
    texters_ask(session, make, program, now)
    assert requests_offered_to(session, failed) == 0


def test_a_switched_off_peer_is_never_offered(session, make, program, ready, now):
    off = make.peer(program, alias="Resting", available=False)
    texters_ask(session, make, program, now)
    assert requests_offered_to(session, ready) == 3
    assert requests_offered_to(session, off) == 0


def test_a_peer_outside_their_hours_is_never_offered(session, make, program, ready, now):
    evenings = make.peer(program, alias="Owl", availability=EVENINGS)
    texters_ask(session, make, program, now)
    assert requests_offered_to(session, ready) == 3
    assert requests_offered_to(session, evenings) == 0


def test_a_peer_at_capacity_is_never_offered(session, make, program, ready, now):
    full = make.peer(program, alias="Busy", capacity=1)
    full.active_conversations = 1
    session.flush()
    texters_ask(session, make, program, now)
    assert requests_offered_to(session, ready) == 3
    assert requests_offered_to(session, full) == 0


def test_an_unfinished_profile_or_inactive_account_is_never_offered(
    session, make, program, ready, now
):
    no_alias = make.peer(program, alias="Temp")
    no_alias.alias = None
    gone = make.peer(program, alias="Left")
    gone.user.active = False
    session.flush()
    texters_ask(session, make, program, now)
    assert requests_offered_to(session, ready) == 3
    assert requests_offered_to(session, no_alias) == 0
    assert requests_offered_to(session, gone) == 0


def test_switching_on_through_the_workspace_is_refused_until_certified(
    client, session, make, program, now
):
    trainee = make.peer(program, alias="Trainee", certified=False, available=False)
    client.login(trainee.user)
    response = client.post_form("/peer/available", {"available": "1"}, follow_redirects=True)
    assert "Pass every required training module." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(type(trainee), trainee.id).available is False
