"""A texter writes to a line that is closed: Sunday, 3 a.m., closing time, a crisis.

FROZEN_AT is Wednesday 2026-11-25 15:00 UTC (10:00 in New York); the program
below is open Mon-Fri 9am-5pm New York time.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from peerwork import clock
from peerwork.extensions import db, get_dispatcher
from peerwork.models import Alert, Message, Offer, PeerProfile, SupportRequest
from tests.helpers import matching_sweep as run_sweep
from tests.sms_helpers import Phone

WEEKDAYS_9_TO_5 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
SUNDAY_10AM = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)  # Sunday 10:00 New York
SATURDAY_NOON = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
WEDNESDAY_3AM = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # Wednesday 03:00 New York
MONDAY_9_05 = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
SUPERVISOR_PHONE = "+17165550190"


@pytest.fixture
def program(make):
    return make.program(name="Acme Peer Line", hours=WEEKDAYS_9_TO_5, messages_per_second=30)


@pytest.fixture
def texter(client, program, jobs, transport):
    return Phone(client, program, "+17165550123", jobs)


def _requests():
    return list(db.session.scalars(select(SupportRequest)))


def _offers():
    return list(db.session.scalars(select(Offer)))


def _sweep():
    run_sweep(db.session, now=clock.now(), dispatcher=get_dispatcher())
    db.session.commit()


def test_on_sunday_the_first_reply_says_closed_and_when_it_opens_before_the_menu(
    texter, travel, make, program, jobs
):
    make.peer(program, alias="Robin")
    travel.move_to(SUNDAY_10AM)
    replies = texter.sends("hi")
    assert len(replies) == 2
    closed, menu = replies
    assert "closed" in closed and "tomorrow at 9am" in closed and "Mon-Fri 9am-5pm" in closed
    assert "988" in closed and "911" in closed
    assert "1 Work stress" in menu

    texter.sends("1")
    [request] = _requests()
    assert request.state == "held"
    assert "when we open" in texter.last() and "tomorrow at 9am" in texter.last()

    texter.sends("hello? is anyone there")
    assert "in the queue" not in texter.last() and "will text you here soon" not in texter.last()
    assert "closed" in texter.last() and "tomorrow at 9am" in texter.last()
    assert _offers() == []

    # Monday, opening time: the held request goes to the peer, with no admin involved.
    travel.move_to(MONDAY_9_05)
    _sweep()
    assert [o.state for o in _offers()] == ["open"]


def test_on_saturday_the_opening_day_is_named(texter, travel):
    travel.move_to(SATURDAY_NOON)
    closed, _menu = texter.sends("hi")
    assert "Mon at 9am" in closed


def test_at_3am_a_line_that_does_not_keep_requests_asks_to_text_again(
    make, client, jobs, transport, travel
):
    program = make.program(
        hours=WEEKDAYS_9_TO_5, keep_requests_after_hours=False, messages_per_second=30
    )
    phone = Phone(client, program, "+17165550124", jobs)
    travel.move_to(WEDNESDAY_3AM)
    replies = phone.sends("hi")
    assert len(replies) == 1
    assert "closed" in replies[0] and "today at 9am" in replies[0]
    assert "text us again then" in replies[0] and "988" in replies[0]
    assert _requests() == []
    # Texting again while still closed gets the same honest answer, never a menu.
    again = phone.sends("please")
    assert len(again) == 1 and "today at 9am" in again[0]
    assert _requests() == []


def test_new_while_closed_says_so_before_the_menu(texter, travel):
    texter.sends("hi")  # Wednesday, open: the ordinary welcome
    texter.sends("DONE")
    travel.move_to(SUNDAY_10AM)
    texter.sends("NEW")
    closed, menu = texter.received()[-2:]
    assert "closed" in closed and "tomorrow at 9am" in closed and "1 Work stress" in menu


def test_a_crisis_text_while_closed_alerts_the_contacts_at_once_and_tells_the_truth(
    texter, travel, program, add_contact, jobs
):
    add_contact(program, "Dana (on call)", SUPERVISOR_PHONE)
    travel.move_to(SUNDAY_10AM)
    replies = texter.sends("I want to kill myself", run_jobs=False)
    assert len(replies) == 1
    assert "No peer is on right now" in replies[0] and "988" in replies[0]
    # The humans on call hear at once, in the webhook itself: no job has run.
    alert = db.session.scalar(select(Alert).where(Alert.kind == "crisis"))
    assert alert is not None
    to_contacts = db.session.scalars(
        select(Message).where(Message.recipient == "contact", Message.kind == "alert")
    ).all()
    assert len(to_contacts) == 1

    jobs.run()
    got = texter.received()
    assert got[0] == replies[0]
    # Then the next step only: when the line opens. Nothing claims a peer is coming now.
    assert len(got) == 2 and "tomorrow at 9am" in got[1]
    for body in got:
        assert "in the queue" not in body and "finding a p" not in body
    assert "Peers are not counselors" not in " ".join(got)
    [request] = _requests()
    assert request.state == "held" and request.is_crisis
    # Still one alert and one text to the contact after the job ran.
    assert len(db.session.scalars(select(Alert).where(Alert.kind == "crisis")).all()) == 1
    assert len(db.session.scalars(select(Message).where(Message.recipient == "contact")).all()) == 1


def test_at_3am_a_crisis_text_gets_the_closed_crisis_reply(texter, travel, program, add_contact):
    add_contact(program, "Dana (on call)", SUPERVISOR_PHONE)
    travel.move_to(WEDNESDAY_3AM)
    texter.sends("hi")
    replies = texter.sends("I don't want to be alive anymore")
    assert len(replies) == 1 and "No peer is on right now" in replies[0]
    assert "today at 9am" in texter.last()


def test_a_request_left_at_closing_time_keeps_its_place_and_goes_out_at_opening(
    texter, travel, make, program
):
    peer = make.peer(program, alias="Robin", available=False)
    peer_id = peer.id
    travel.move_to(datetime(2026, 11, 25, 21, 50, tzinfo=UTC))  # Wed 16:50 New York
    texter.sends("hi")
    texter.sends("2")
    [request] = _requests()
    assert request.state == "waiting"  # nobody on: queued
    assert "finding a peer" in texter.last()

    travel.move_to(datetime(2026, 11, 25, 22, 30, tzinfo=UTC))  # 17:30: closed
    _sweep()
    texter.sends("still there?")
    last = texter.last()
    assert "closed" in last and "keep your place" in last and "tomorrow at 9am" in last
    assert [r.state for r in _requests()] == ["waiting"]

    # Thursday 9:05: a peer switches on and the request is offered first.
    travel.move_to(datetime(2026, 11, 26, 14, 5, tzinfo=UTC))
    db.session.get(PeerProfile, peer_id).available = True
    db.session.flush()
    _sweep()
    assert [(o.peer_profile_id, o.state) for o in _offers()] == [(peer_id, "open")]
