"""Whatever the peers, requests and answers: no offer to an ineligible peer, no peer over capacity."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from peerwork import conversations
from peerwork.matching import offers
from peerwork.models import (
    Conversation,
    Offer,
    PeerProfile,
    TrainingAttempt,
    TrainingModule,
    User,
)
from tests.factories import ALL_WEEK
from tests.helpers import RecordingDispatcher
from tests.helpers import matching_sweep as run_sweep

SCHEDULES = {"all week": ALL_WEEK, "mondays only": {"mon": [["00:00", "24:00"]]}, "none": {}}

# Mostly ready peers, so that offers, accepts and full peers happen often.
likely = st.sampled_from([True, True, True, False])
peer_specs = st.fixed_dictionaries(
    {
        "capacity": st.integers(1, 3),
        "available": likely,
        "schedule": st.sampled_from(["all week", "all week", "mondays only", "none"]),
        "topics": st.sets(st.integers(0, 2), max_size=3),
        "any_topic": st.booleans(),
        "certified": likely,
        "active": likely,
    }
)
READY = {
    "capacity": 2,
    "available": True,
    "schedule": "all week",
    "topics": {0},
    "any_topic": False,
    "certified": True,
    "active": True,
}
actions = st.lists(
    st.one_of(
        st.tuples(st.just("ask"), st.integers(0, 5), st.none() | st.integers(0, 2), st.booleans()),
        st.tuples(st.just("accept"), st.integers(0, 50)),
        st.tuples(st.just("decline"), st.integers(0, 50)),
        st.tuples(st.just("end"), st.integers(0, 50)),
        st.tuples(st.just("switch"), st.integers(0, 50)),
        st.tuples(st.just("wait"), st.integers(1, 200)),
    ),
    max_size=25,
)


def oracle(session, peer: PeerProfile, request, now, program) -> bool:
    """Eligibility restated independently of the SQL, for checking."""
    user = session.get(User, peer.user_id)
    local_day = now.astimezone(ZoneInfo(program.timezone)).strftime("%a").lower()
    # Schedules here are whole days, so the day alone decides.
    in_hours = bool(peer.availability.get(local_day))
    certified = peer.id in certified_ids(session, program)
    # An untopiced request goes only to peers who take any topic.
    topic_ok = peer.accepts_any_topic or (
        request.topic_id is not None and request.topic_id in {t.id for t in peer.topics}
    )
    return (
        program.status == "live"
        and user.active
        and certified
        and peer.available
        and in_hours
        and peer.active_conversations < peer.capacity
        and topic_ok
    )


def certified_ids(session, program):
    return set(
        session.scalars(
            select(TrainingAttempt.peer_profile_id)
            .join(TrainingModule, TrainingModule.id == TrainingAttempt.module_id)
            .where(TrainingModule.program_id == program.id, TrainingAttempt.passed.is_(True))
        )
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(peers=st.lists(peer_specs, min_size=1, max_size=6), steps=actions)
# A peer with room for one conversation, a second texter asking after the first is served.
@example(
    peers=[READY | {"capacity": 1}, READY | {"available": False}],
    steps=[("ask", 0, None, False), ("accept", 0), ("ask", 1, 0, True), ("switch", 1)],
)
def test_offers_only_reach_eligible_peers_and_nobody_exceeds_capacity(
    session, make, now, peers, steps
):
    savepoint = session.begin_nested()
    try:
        run_scenario(session, make, now, peers, steps)
    finally:
        savepoint.rollback()


def run_scenario(session, make, now, peer_specs_, steps):
    dispatcher = RecordingDispatcher()
    program = make.program(wave_size=2, max_waves=2, offer_timeout_seconds=60)
    # One required module: `certified` in the specs decides who has passed it.
    session.add(TrainingModule(program_id=program.id, slug="basics", title="Basics", lesson_md="."))
    session.flush()
    topics = program.topics
    peers = []
    for spec in peer_specs_:
        peer = make.peer(
            program,
            capacity=spec["capacity"],
            available=spec["available"],
            availability=SCHEDULES[spec["schedule"]],
            topics=[topics[i] for i in sorted(spec["topics"])],
            any_topic=spec["any_topic"],
            certified=spec["certified"],
        )
        session.get(User, peer.user_id).active = spec["active"]
        peers.append(peer)
    texters = [make.texter(program) for _ in range(6)]
    session.flush()
    clock = now

    def check_new_offers(before: set[int]) -> None:
        for offer in session.scalars(select(Offer).where(Offer.id.not_in(before))):
            peer = session.get(PeerProfile, offer.peer_profile_id)
            assert oracle(session, peer, offer.request, clock, program), (
                f"offer to ineligible peer {peer.id}"
            )

    for step in steps:
        before = set(session.scalars(select(Offer.id)))
        kind = step[0]
        if kind == "ask":
            _, who, topic, crisis = step
            offers.open_request(
                session,
                program_id=program.id,
                texter_id=texters[who].id,
                topic_id=topics[topic].id if topic is not None else None,
                now=clock,
                dispatcher=dispatcher,
                is_crisis=crisis,
            )
        elif kind in ("accept", "decline"):
            open_ = session.scalars(select(Offer).where(Offer.state == "open")).all()
            if open_:
                offer = open_[step[1] % len(open_)]
                if kind == "accept":
                    try:
                        offers.accept_offer(
                            session,
                            offer_id=offer.id,
                            peer_profile_id=offer.peer_profile_id,
                            now=clock,
                            dispatcher=dispatcher,
                        )
                    except offers.OfferUnavailable:
                        pass
                else:
                    offers.decline_offer(
                        session,
                        offer_id=offer.id,
                        peer_profile_id=offer.peer_profile_id,
                        now=clock,
                        dispatcher=dispatcher,
                    )
        elif kind == "end":
            active = session.scalars(
                select(Conversation).where(Conversation.state == "active")
            ).all()
            if active:
                conversations.end_conversation(
                    session,
                    conversation_id=active[step[1] % len(active)].id,
                    ended_by="peer",
                    now=clock,
                    dispatcher=dispatcher,
                )
        elif kind == "switch":
            peer = session.get(PeerProfile, peers[step[1] % len(peers)].id)
            peer.available = not peer.available
            session.flush()
            offers.wake_waiting(session, program_id=program.id, now=clock, dispatcher=dispatcher)
        elif kind == "wait":
            clock = clock + timedelta(seconds=step[1])
            run_sweep(session, now=clock, dispatcher=dispatcher)
        session.flush()
        check_new_offers(before)
        for peer in peers:
            row = session.get(PeerProfile, peer.id)
            session.refresh(row)
            live = session.scalar(
                select(func.count(Conversation.id)).where(
                    Conversation.peer_profile_id == peer.id, Conversation.state == "active"
                )
            )
            assert row.active_conversations == live <= row.capacity
