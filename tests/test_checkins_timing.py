"""Check-ins over days of simulated time, with RQ's own scheduler and a real worker.

The wall clock is frozen and moved with time_machine; at each stop RQ's
`RQScheduler` moves the jobs whose time has come onto their queues and a
`SimpleWorker` runs them, exactly as `peerwork worker` does, only faster.
The program is in New York; quiet hours are the default 21:00-08:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rq.scheduler import RQScheduler
from sqlalchemy import select

from peerwork import conversations
from peerwork.checkins import schedule
from peerwork.checkins import upkeep as checkin_upkeep
from peerwork.extensions import get_dispatcher, get_redis
from peerwork.matching import offers
from peerwork.models import CheckIn, Offer, PeerProfile, Program, SupportRequest
from tests.conftest import InProcessWorker
from tests.sms_helpers import Phone

NEW_YORK = ZoneInfo("America/New_York")


def local(text: str) -> datetime:
    """A New York wall-clock moment, e.g. local("2026-11-25 10:30"), as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK).astimezone(UTC)


class Days:
    """Moves the frozen clock and lets RQ's scheduler and a worker do what is due."""

    def __init__(self, jobs) -> None:
        self.jobs = jobs
        self.traveller = None
        self.coordinates = None

    def go(self, moment: datetime) -> None:
        if self.traveller is None:
            self.traveller = time_machine.travel(moment, tick=False)
            self.coordinates = self.traveller.start()
        else:
            self.coordinates.move_to(moment)
        self.run_due()

    def run_due(self) -> None:
        queues = self.jobs.dispatcher.all_queues()
        connection = self.jobs.dispatcher.connection
        for _ in range(10):
            scheduler = RQScheduler(queues, connection=connection)
            scheduler.prepare_registries([q.name for q in queues])
            scheduler.enqueue_scheduled_jobs()
            if not any(q.count for q in queues):
                return
            InProcessWorker(queues, connection=connection).work(burst=True)

    def stop(self) -> None:
        if self.traveller is not None:
            self.traveller.stop()


@pytest.fixture
def days(jobs):
    machine = Days(jobs)
    yield machine
    machine.stop()
    assert jobs.failed() == []


@pytest.fixture
def program(make):
    # One offer at a time, so "who is offered first" is visible; the frozen clock
    # never reaches the next second, so the per-second send throttle is opened up.
    return make.program(name="Acme Peer Line", wave_size=1, messages_per_second=50)


@pytest.fixture
def robin(make, program):
    return make.peer(program, alias="Robin")


@pytest.fixture
def phone(client, program, jobs):
    return Phone(client, program, "+17165550140", jobs)


def talk_and_end(session, phone, peer, *, choice: str, ended_at: datetime, days: Days):
    """The texter asks for support, `peer` accepts, then ends with a check-in `choice`."""
    days.go(ended_at - timedelta(minutes=20))
    phone.sends("hi")
    phone.sends("1")
    offer = session.scalar(
        select(Offer).where(Offer.peer_profile_id == peer.id, Offer.state == "open")
    )
    conversation = offers.accept_offer(
        session,
        offer_id=offer.id,
        peer_profile_id=peer.id,
        now=ended_at - timedelta(minutes=19),
        dispatcher=get_dispatcher(),
    )
    session.commit()
    days.go(ended_at)
    conversations.end_conversation(
        session,
        conversation_id=conversation.id,
        ended_by="peer",
        now=ended_at,
        dispatcher=get_dispatcher(),
        outcome="helped",
        checkin_choice=choice,
    )
    session.commit()
    days.run_due()
    return conversation


def checkin_texts(phone) -> list[str]:
    return [m.body for m in phone.messages(kind="checkin")]


def the_checkin(session) -> CheckIn:
    return session.scalar(select(CheckIn).execution_options(populate_existing=True))


def test_a_three_day_checkin_goes_out_once_at_the_same_local_time(session, phone, robin, days):
    talk_and_end(session, phone, robin, choice="3d", ended_at=local("2026-11-25 10:30"), days=days)
    checkin = the_checkin(session)
    assert checkin.due_at == local("2026-11-28 10:30")
    assert checkin.peer_profile_id == robin.id

    days.go(local("2026-11-27 10:30"))
    days.go(local("2026-11-28 10:29"))
    assert checkin_texts(phone) == []

    days.go(local("2026-11-28 10:30"))
    assert len(checkin_texts(phone)) == 1
    assert "1 (rough) to 5 (good)" in checkin_texts(phone)[0]
    assert phone.messages(kind="checkin")[0].status == "sent"

    # Later stops, the sweep and a second run of the job send nothing more.
    days.go(local("2026-11-28 18:00"))
    checkin_upkeep.run_sweep(session, now=local("2026-11-28 18:00"), dispatcher=get_dispatcher())
    assert (
        schedule.send_checkin(
            session,
            checkin_id=checkin.id,
            now=local("2026-11-28 18:00"),
            dispatcher=get_dispatcher(),
        )
        == "done"
    )
    session.commit()
    days.run_due()
    assert len(checkin_texts(phone)) == 1
    assert the_checkin(session).state == "sent"


def test_local_time_is_kept_across_the_daylight_saving_change(make):
    program = make.program()
    ended = local("2026-10-30 10:30")  # EDT; three days later it is EST
    assert schedule.due_after(program, ended, 3) == local("2026-11-02 10:30")
    assert local("2026-11-02 10:30") - ended == timedelta(days=3, hours=1)


def test_a_checkin_falling_in_quiet_hours_waits_for_the_morning(session, phone, robin, days):
    talk_and_end(session, phone, robin, choice="1d", ended_at=local("2026-11-25 22:30"), days=days)
    checkin = the_checkin(session)
    assert checkin.due_at == local("2026-11-27 08:00")
    # It may not run into the next night either.
    assert checkin.expires_at == local("2026-11-27 20:00")

    days.go(local("2026-11-26 22:30"))
    days.go(local("2026-11-27 03:00"))
    days.go(local("2026-11-27 07:59"))
    assert checkin_texts(phone) == []
    days.go(local("2026-11-27 08:00"))
    assert len(checkin_texts(phone)) == 1


def test_quiet_hours_changed_after_scheduling_hold_the_checkin_at_send_time(
    session, program, phone, robin, days
):
    talk_and_end(session, phone, robin, choice="1d", ended_at=local("2026-11-25 10:30"), days=days)
    program = session.get(Program, program.id)
    program.quiet_start, program.quiet_end = "10:00", "12:00"
    session.commit()

    days.go(local("2026-11-26 10:30"))
    assert checkin_texts(phone) == []
    assert the_checkin(session).due_at == local("2026-11-26 12:00")
    days.go(local("2026-11-26 11:59"))
    assert checkin_texts(phone) == []
    days.go(local("2026-11-26 12:00"))
    assert len(checkin_texts(phone)) == 1


def test_a_checkin_is_skipped_while_the_texter_is_talking_to_a_peer(
    session, make, program, phone, robin, days
):
    talk_and_end(session, phone, robin, choice="1d", ended_at=local("2026-11-25 10:30"), days=days)
    days.go(local("2026-11-26 09:00"))
    phone.sends("NEW")
    phone.sends("2")
    offer = session.scalar(select(Offer).where(Offer.state == "open"))
    offers.accept_offer(
        session,
        offer_id=offer.id,
        peer_profile_id=offer.peer_profile_id,
        now=local("2026-11-26 09:01"),
        dispatcher=get_dispatcher(),
    )
    session.commit()

    days.go(local("2026-11-26 10:30"))
    assert checkin_texts(phone) == []
    assert the_checkin(session).state == "skipped"
    days.go(local("2026-11-26 12:00"))
    assert checkin_texts(phone) == []


def test_a_texter_who_texted_stop_never_gets_the_checkin(session, phone, robin, days):
    talk_and_end(session, phone, robin, choice="3d", ended_at=local("2026-11-25 10:30"), days=days)
    days.go(local("2026-11-26 09:00"))
    phone.sends("STOP")

    days.go(local("2026-11-28 10:30"))
    days.go(local("2026-11-29 10:30"))
    assert checkin_texts(phone) == []
    assert the_checkin(session).state == "cancelled"


def test_a_checkin_delayed_past_its_time_to_live_is_dropped(session, jobs, phone, robin, days):
    talk_and_end(session, phone, robin, choice="1d", ended_at=local("2026-11-25 10:30"), days=days)
    # Redis lost the scheduled job (an outage); only the database remembers.
    get_redis().flushdb()

    # The worker comes back at 03:00: the sweep finds the check-in and drops it.
    days.go(local("2026-11-27 03:00"))
    checkin_upkeep.run_sweep(session, now=local("2026-11-27 03:00"), dispatcher=get_dispatcher())
    session.commit()
    days.run_due()
    assert checkin_texts(phone) == []
    assert the_checkin(session).state == "expired"


def test_the_sweep_sends_a_checkin_whose_job_was_lost_while_it_is_still_fresh(
    session, phone, robin, days
):
    talk_and_end(session, phone, robin, choice="1d", ended_at=local("2026-11-25 10:30"), days=days)
    get_redis().flushdb()
    days.go(local("2026-11-26 11:00"))
    assert checkin_texts(phone) == []
    checkin_upkeep.run_sweep(session, now=local("2026-11-26 11:00"), dispatcher=get_dispatcher())
    session.commit()
    days.run_due()
    assert len(checkin_texts(phone)) == 1


def test_a_score_of_1_reconnects_to_the_same_peer_when_they_are_available(
    session, make, program, phone, robin, days
):
    talk_and_end(session, phone, robin, choice="3d", ended_at=local("2026-11-25 10:30"), days=days)
    # Kai has had fewer conversations than Robin, so without continuity Kai would come first.
    kai = make.peer(program, alias="Kai")
    session.commit()
    days.go(local("2026-11-28 10:30"))
    assert len(checkin_texts(phone)) == 1

    days.go(local("2026-11-28 11:15"))
    phone.sends("1")
    checkin = the_checkin(session)
    assert (checkin.state, checkin.score) == ("answered", 1)
    assert "finding a peer for you now" in phone.last()
    request = session.scalar(
        select(SupportRequest)
        .where(SupportRequest.source == "checkin")
        .execution_options(populate_existing=True)
    )
    assert request.preferred_peer_id == robin.id
    offered = session.scalars(select(Offer.peer_profile_id).where(Offer.request_id == request.id))
    assert list(offered) == [robin.id]
    assert kai.id != robin.id


def test_a_score_of_1_goes_to_someone_else_when_that_peer_is_away(
    session, make, program, phone, robin, days
):
    talk_and_end(session, phone, robin, choice="1d", ended_at=local("2026-11-25 10:30"), days=days)
    kai = make.peer(program, alias="Kai")
    session.get(PeerProfile, robin.id).available = False
    session.commit()
    days.go(local("2026-11-26 10:30"))
    days.go(local("2026-11-26 10:40"))
    phone.sends("2")
    offered = session.scalars(
        select(Offer.peer_profile_id)
        .join(SupportRequest, SupportRequest.id == Offer.request_id)
        .where(SupportRequest.source == "checkin")
    )
    assert list(offered) == [kai.id]


def test_a_good_score_is_thanked_and_opens_nothing(session, phone, robin, days):
    talk_and_end(session, phone, robin, choice="1d", ended_at=local("2026-11-25 10:30"), days=days)
    days.go(local("2026-11-26 10:30"))
    days.go(local("2026-11-26 10:45"))
    phone.sends("4")
    assert phone.last().startswith("Thank you for letting us know")
    assert the_checkin(session).score == 4
    assert session.scalar(select(SupportRequest).where(SupportRequest.source == "checkin")) is None
    # A second "4" is no longer an answer: the texter is told how to reach someone.
    phone.sends("4")
    assert "not in a conversation" in phone.last()
    assert the_checkin(session).score == 4


def test_digits_while_choosing_a_topic_pick_a_topic_not_a_score(session, phone, robin, days):
    talk_and_end(session, phone, robin, choice="1d", ended_at=local("2026-11-25 10:30"), days=days)
    days.go(local("2026-11-26 10:30"))
    days.go(local("2026-11-26 10:45"))
    phone.sends("NEW")
    phone.sends("2")
    checkin = the_checkin(session)
    assert (checkin.state, checkin.score) == ("sent", None)
    request = session.scalar(
        select(SupportRequest)
        .where(SupportRequest.state.in_(("offering", "waiting")))
        .execution_options(populate_existing=True)
    )
    assert request.source == "texter" and request.topic_id is not None


def test_no_checkin_when_none_was_chosen(session, phone, robin, days):
    talk_and_end(
        session, phone, robin, choice="none", ended_at=local("2026-11-25 10:30"), days=days
    )
    days.go(local("2026-12-05 10:30"))
    assert the_checkin(session) is None
    assert checkin_texts(phone) == []
