"""From the peer's side: the texter's first words reach the peer who takes the request.

Everything the texter wrote since this request began (the first text, a topic
in their own words, anything sent while waiting) is in the peer's thread,
marked as sent before the match; the offer itself previews it; nothing from
an earlier conversation or request, and nothing for a peer not offered it.
"""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from peerwork import clock
from peerwork.models import Organization
from tests.scenarios._peer import PeerAtWork, set_available, sign_in_as, thread_of
from tests.sms_helpers import Phone

BEFORE_MATCH = "before you were matched"


@pytest.fixture
def program(make):
    return make.program(name="Acme Peer Line", messages_per_second=30)


@pytest.fixture
def river(make, program, client):
    profile = make.peer(program, alias="River", any_topic=True)
    client.login(profile.user)
    return PeerAtWork(client, profile)


@pytest.fixture
def texter(client, program, jobs):
    return Phone(client, program, "+17165550123", jobs)


def test_a_crisis_first_text_is_the_first_thing_the_peer_reads(texter, river, session):
    texter.sends("I want to end my life")

    offer = river.open_offer(session)
    workspace = river.workspace()
    assert "Crisis" in workspace
    assert "I want to end my life" in workspace, "the offer previews the texter's words"

    conversation_id = river.accepts(offer)
    thread = river.thread(conversation_id)
    assert "I want to end my life" in thread
    assert BEFORE_MATCH in thread


def test_a_topic_in_the_texters_own_words_is_shown_not_no_topic(texter, river, session):
    texter.sends("hi")
    texter.sends("my dad is in the hospital and I'm scared")
    texter.sends("is anyone there?")

    offer = river.open_offer(session)
    assert "my dad is in the hospital and I'm scared" in river.workspace()

    conversation_id = river.accepts(offer)
    texter.sends("thank you")
    thread = river.thread(conversation_id)
    for words in ("hi", "my dad is in the hospital and I'm scared", "is anyone there?"):
        assert words in thread
    assert BEFORE_MATCH in thread
    # Sent before the match, then the conversation proper, in order.
    assert thread.index("is anyone there?") < thread.index("thank you")
    assert "thank you" in thread


def test_earlier_requests_and_conversations_stay_out_of_the_thread(
    make, program, client, jobs, session, texter, river
):
    river_id, river_user = river.profile.id, river.profile.user
    sky_profile = make.peer(program, alias="Sky", any_topic=True, available=False)
    sky_id, sky_user = sky_profile.id, sky_profile.user
    sky = PeerAtWork(client, sky_profile)
    # A first request the texter cancelled while waiting (nobody available).
    set_available(session, river_id, False)
    texter.sends("hello")
    texter.sends("my boss yelled at me")
    texter.sends("DONE")
    # A second request, answered by Sky, then ended.
    set_available(session, sky_id, True)
    texter.sends("NEW")
    texter.sends("I can't sleep before the audit")
    sign_in_as(client, sky_user)
    sky_conversation = sky.accepts(sky.open_offer(session))
    texter.sends("the audit is tomorrow")
    texter.sends("DONE")
    texter.sends("thanks, that helped")
    # The request River takes.
    set_available(session, sky_id, False)
    set_available(session, river_id, True)
    texter.sends("NEW")
    texter.sends("my sister is sick")

    sign_in_as(client, river_user)
    offer = river.open_offer(session)
    workspace = river.workspace()
    assert "my sister is sick" in workspace
    conversation_id = river.accepts(offer)
    thread = river.thread(conversation_id)
    assert "my sister is sick" in thread and "NEW" in thread
    for earlier in (
        "hello",
        "my boss yelled at me",
        "I can't sleep before the audit",
        "the audit is tomorrow",
        "thanks, that helped",
    ):
        assert earlier not in thread, earlier
    assert sky_conversation != conversation_id


def test_a_peer_who_is_not_offered_the_request_sees_none_of_it(make, program, client, texter):
    bystander = make.peer(program, alias="Brook", available=False)
    user = bystander.user
    texter.sends("hi")
    texter.sends("my dad is in the hospital and I'm scared")
    client.login(user)
    page = html.unescape(client.get("/peer/").get_data(as_text=True))
    assert "hospital" not in page


def test_the_supervisor_reads_the_same_first_words(make, program, client, texter, river, session):
    texter.sends("I want to end my life")
    conversation_id = river.accepts(river.open_offer(session))
    org = session.get(Organization, program.organization_id)
    sign_in_as(client, make.supervisor(org, name="Dana Reyes"))
    page = client.get(f"/peer/supervise/conversations/{conversation_id}")
    assert page.status_code == 200
    thread = thread_of(html.unescape(page.get_data(as_text=True)))
    assert "I want to end my life" in thread
    assert "before the match" in thread


def test_a_low_checkin_score_starts_a_new_thread_without_the_old_goodbyes(
    texter, river, session, jobs, travel, client
):
    user = river.profile.user
    texter.sends("hi")
    texter.sends("work has been a lot")
    first = river.accepts(river.open_offer(session))
    texter.sends("DONE")
    texter.sends("thanks, that helped")
    river.wraps_up(first, outcome="listened", checkin="1d")
    travel.shift(timedelta(days=1, minutes=1))
    jobs.run(until=clock.now())
    assert "checking in" in texter.last()

    texter.sends("2")  # rough: the check-in reaches River again
    sign_in_as(client, user)  # a day later: signed in afresh
    offer = river.open_offer(session)
    assert offer is not None
    second = river.accepts(offer)
    thread = river.thread(second)
    assert "thanks, that helped" not in thread and "work has been a lot" not in thread
    assert BEFORE_MATCH in thread  # the answer that asked for a peer
