"""From the peer's side: a wrap-up whoever ends, and one check-in either way.

When the texter texts DONE the peer is offered the wrap-up (topic, how it
went, check-in). The program's default check-in is scheduled at the end, so a
peer who never wraps up still leaves a check-in behind; the wrap-up changes
or cancels it. However the two arrive, the texter gets one check-in.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from peerwork import clock
from peerwork.models import CheckIn
from tests.scenarios._peer import PeerAtWork, conversation
from tests.sms_helpers import Phone


@pytest.fixture
def program(make):
    return make.program(name="Acme Peer Line", messages_per_second=30, checkin_default="1d")


@pytest.fixture
def river(make, program, client):
    profile = make.peer(program, alias="River")
    client.login(profile.user)
    return PeerAtWork(client, profile)


@pytest.fixture
def texter(client, program, jobs):
    return Phone(client, program, "+17165550123", jobs)


def connected(texter, river, session) -> int:
    texter.sends("hi")
    texter.sends("1")
    conversation_id = river.accepts(river.open_offer(session))
    texter.sends("work has been a lot")
    return conversation_id


def followups(session, conversation_id) -> list[CheckIn]:
    return list(
        session.scalars(
            select(CheckIn)
            .where(CheckIn.conversation_id == conversation_id)
            .order_by(CheckIn.id)
            .execution_options(populate_existing=True)
        )
    )


def scheduled(session, conversation_id) -> list[CheckIn]:
    return [c for c in followups(session, conversation_id) if c.state == "scheduled"]


def test_after_done_the_peer_is_offered_the_wrap_up_and_it_sets_the_checkin(
    texter, river, session, program
):
    conversation_id = connected(texter, river, session)
    texter.sends("DONE")

    page = river.reads(conversation_id)
    assert "ended the conversation" in page
    assert f"/peer/conversations/{conversation_id}/end" in page, "a link to the wrap-up"
    wrap_up = river.wrap_up_page(conversation_id)
    assert wrap_up.status_code == 200
    assert "How did it go?" in wrap_up.get_data(as_text=True)
    # The default check-in is already waiting for the texter.
    (default,) = scheduled(session, conversation_id)

    response = river.wraps_up(
        conversation_id, outcome="listened", checkin="3d", topic_id=program.topics[0].id
    )
    assert response.status_code == 302
    ended = conversation(session, conversation_id)
    assert ended.outcome == "listened" and ended.checkin_choice == "3d"
    assert ended.ended_by == "texter"
    (checkin,) = scheduled(session, conversation_id)
    assert checkin.due_at - ended.ended_at == timedelta(days=3)
    assert len(followups(session, conversation_id)) == 1

    # Submitting again (a double tap, the back button) changes nothing.
    river.wraps_up(conversation_id, outcome="skills", checkin="1w")
    assert conversation(session, conversation_id).outcome == "listened"
    (again,) = scheduled(session, conversation_id)
    assert again.id == checkin.id and again.due_at == checkin.due_at
    assert "Wrap up" not in river.workspace(), "nothing left to wrap up"


def test_a_wrap_up_can_cancel_the_default_checkin(texter, river, session):
    conversation_id = connected(texter, river, session)
    texter.sends("DONE")
    river.wraps_up(conversation_id, outcome="cut_short", checkin="none")
    assert scheduled(session, conversation_id) == []
    assert conversation(session, conversation_id).checkin_choice == "none"


def test_a_peer_who_never_wraps_up_leaves_the_default_checkin(texter, river, session, jobs, travel):
    conversation_id = connected(texter, river, session)
    texter.sends("DONE")
    assert "Wrap up" in river.workspace()
    travel.shift(timedelta(days=1, minutes=1))
    jobs.run(until=clock.now())
    (checkin,) = followups(session, conversation_id)
    assert checkin.state == "sent"
    assert "checking in" in texter.last()


def test_peer_ends_with_wrap_up_then_texter_texts_done_one_checkin(texter, river, session):
    conversation_id = connected(texter, river, session)
    river.wraps_up(conversation_id, outcome="listened", checkin="1w")
    texter.sends("DONE")
    (checkin,) = followups(session, conversation_id)
    assert checkin.state == "scheduled"
    ended = conversation(session, conversation_id)
    assert checkin.due_at - ended.ended_at == timedelta(days=7)
    assert ended.ended_by == "peer"
    # The peer's wrap-up is done: they are not asked again.
    page = river.wrap_up_page(conversation_id)
    assert page.status_code == 302
