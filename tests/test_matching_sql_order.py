"""The SQL that pages through candidates orders them exactly as `ranking.rank` does.

`eligibility.candidate_select` ranks in SQL so that the database can stop
after the first page; `ranking.rank` stays the rule. Random peers with ties
on every factor check that the two cannot drift apart, and that stopping
early after a small page still finds the same best peers.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from peerwork.matching import eligibility
from peerwork.matching.ranking import Candidate, rank
from peerwork.models import (
    Conversation,
    Offer,
    SupportRequest,
    TrainingModule,
    User,
)
from tests.factories import ALL_WEEK

SCHEDULES = {"all week": ALL_WEEK, "mondays only": {"mon": [["00:00", "24:00"]]}}

peer_specs = st.fixed_dictionaries(
    {
        "capacity": st.integers(1, 3),
        "load": st.integers(0, 3),  # open conversations, capped at capacity
        # A few distinct moments (and never) so that peers tie on recency.
        "last_matched_hours_ago": st.none() | st.sampled_from([1, 5, 30]),
        "this_week": st.integers(0, 2),
        "older": st.integers(0, 1),  # conversations from before the week: they don't count
        "lists_topic": st.booleans(),
        "any_topic": st.booleans(),
        "available": st.sampled_from([True, True, True, False]),
        "certified": st.sampled_from([True, True, True, False]),
        "active": st.sampled_from([True, True, True, False]),
        "schedule": st.sampled_from(["all week", "all week", "mondays only"]),
        "already_offered": st.sampled_from([False, False, False, True]),
        "languages": st.sampled_from(["en", "en", "en,es", "es"]),
    }
)
READY = {
    "capacity": 2,
    "load": 0,
    "last_matched_hours_ago": None,
    "this_week": 0,
    "older": 0,
    "lists_topic": True,
    "any_topic": False,
    "available": True,
    "certified": True,
    "active": True,
    "schedule": "all week",
    "already_offered": False,
    "languages": "en",
}
BUSY_BUT_FAIR = READY | {"load": 1, "last_matched_hours_ago": 30}
IDLE_BUT_OFTEN = READY | {"this_week": 2, "older": 1, "last_matched_hours_ago": 1}
ANY_TOPIC_IDLE = READY | {"lists_topic": False, "any_topic": True}
SPEAKS_SPANISH_BUSY = BUSY_BUT_FAIR | {"languages": "en,es"}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(peer_specs, min_size=1, max_size=9),
    with_topic=st.booleans(),
    is_crisis=st.booleans(),
    preferred=st.none() | st.integers(0, 8),
    page_size=st.integers(1, 4),
    want=st.integers(1, 5),
    language=st.sampled_from(["en", "es"]),
    wait_for_language=st.booleans(),
)
# Load comes before fairness; never matched comes before matched long ago.
@example(
    specs=[BUSY_BUT_FAIR, IDLE_BUT_OFTEN, READY | {"last_matched_hours_ago": 5}, READY],
    with_topic=False,
    is_crisis=False,
    preferred=None,
    page_size=1,
    want=2,
    language="en",
    wait_for_language=False,
)
# A crisis puts idle any-topic peers before busy peers who listed the topic...
@example(
    specs=[BUSY_BUT_FAIR, ANY_TOPIC_IDLE, READY | {"load": 1}],
    with_topic=True,
    is_crisis=True,
    preferred=None,
    page_size=2,
    want=1,
    language="en",
    wait_for_language=False,
)
# ...and the texter's previous peer comes before everyone.
@example(
    specs=[ANY_TOPIC_IDLE, READY, BUSY_BUT_FAIR],
    with_topic=True,
    is_crisis=True,
    preferred=2,
    page_size=1,
    want=1,
    language="en",
    wait_for_language=False,
)
# A Spanish texter: a busy peer who speaks Spanish before idle English-only peers...
@example(
    specs=[READY, ANY_TOPIC_IDLE, SPEAKS_SPANISH_BUSY],
    with_topic=True,
    is_crisis=True,
    preferred=None,
    page_size=1,
    want=1,
    language="es",
    wait_for_language=False,
)
# ...and, where the program waits for one, only them.
@example(
    specs=[READY, SPEAKS_SPANISH_BUSY, READY | {"languages": "es"}],
    with_topic=False,
    is_crisis=False,
    preferred=None,
    page_size=1,
    want=2,
    language="es",
    wait_for_language=True,
)
def test_sql_order_and_early_stop_agree_with_ranking_rank(
    session,
    make,
    now,
    specs,
    with_topic,
    is_crisis,
    preferred,
    page_size,
    want,
    language,
    wait_for_language,
):
    savepoint = session.begin_nested()
    try:
        check(
            session,
            make,
            now,
            specs,
            with_topic,
            is_crisis,
            preferred,
            page_size,
            want,
            language,
            wait_for_language,
        )
    finally:
        savepoint.rollback()


def check(
    session,
    make,
    now,
    specs,
    with_topic,
    is_crisis,
    preferred,
    page_size,
    want,
    language="en",
    wait_for_language=False,
):
    program = make.program(topics=("Work stress", "Grief and loss"))
    program.languages = "en,es"
    program.language_fallback = "wait" if wait_for_language else "anyone"
    session.add(TrainingModule(program_id=program.id, slug="basics", title="Basics", lesson_md="."))
    session.flush()
    topic, other_topic = program.topics
    history = make.texter(program)
    texter = make.texter(program)
    peers, expected = [], []
    local_day = now.astimezone(ZoneInfo(program.timezone)).strftime("%a").lower()
    for spec in specs:
        load = min(spec["load"], spec["capacity"])
        last = (
            None
            if spec["last_matched_hours_ago"] is None
            else now - timedelta(hours=spec["last_matched_hours_ago"])
        )
        peer = make.peer(
            program,
            capacity=spec["capacity"],
            available=spec["available"],
            availability=SCHEDULES[spec["schedule"]],
            topics=[topic] if spec["lists_topic"] else [other_topic],
            any_topic=spec["any_topic"],
            certified=spec["certified"],
        )
        peer.active_conversations = load
        peer.last_matched_at = last
        peer.languages = spec["languages"]
        speaks = language in spec["languages"].split(",")
        session.get(User, peer.user_id).active = spec["active"]
        ages = [timedelta(days=1)] * spec["this_week"] + [timedelta(days=8)] * spec["older"]
        for age in ages:
            past_conversation(session, program, history, peer, now - age)
        peers.append(peer)
        topic_ok = spec["any_topic"] or (with_topic and spec["lists_topic"])
        if (
            spec["available"]
            and spec["certified"]
            and spec["active"]
            and load < spec["capacity"]
            and topic_ok
            and not spec["already_offered"]
            and (speaks or not wait_for_language)
            and SCHEDULES[spec["schedule"]].get(local_day)
        ):
            expected.append(
                Candidate(
                    peer_profile_id=peer.id,
                    active_conversations=load,
                    capacity=spec["capacity"],
                    last_matched_at=last,
                    matches_this_week=spec["this_week"],
                    topic_fit=not with_topic or spec["lists_topic"],
                    language_fit=speaks,
                )
            )
    request = SupportRequest(
        program_id=program.id,
        texter_id=texter.id,
        topic_id=topic.id if with_topic else None,
        state="offering",
        is_crisis=is_crisis,
        preferred_peer_id=peers[preferred % len(peers)].id if preferred is not None else None,
        language=language,
        wave=1,
        created_at=now,
    )
    session.add(request)
    session.flush()
    for peer, spec in zip(peers, specs, strict=True):
        if spec["already_offered"]:
            session.add(
                Offer(
                    request_id=request.id,
                    peer_profile_id=peer.id,
                    wave=1,
                    state="declined",
                    created_at=now,
                    expires_at=now + timedelta(minutes=5),
                )
            )
    session.flush()
    best = rank(expected, preferred_peer_id=request.preferred_peer_id, is_crisis=is_crisis)

    # The SQL order itself, before any Python sorting, over every page.
    in_sql_order = []
    query = eligibility.candidate_select(
        request, session.connection().dialect.name, language_required=wait_for_language
    )
    for offset in range(0, len(peers) + page_size, page_size):
        params = eligibility.candidate_params(request, now, limit=page_size, offset=offset)
        rows = session.execute(query, params).all()
        in_sql_order += [row.id for row in rows if row.eligible]
    in_hours = {c.peer_profile_id for c in expected}
    assert [peer_id for peer_id in in_sql_order if peer_id in in_hours] == [
        c.peer_profile_id for c in best
    ]

    # The full answer, and the early stop after small pages, pick the same best peers.
    assert eligibility.eligible_peers(session, request, now) == best
    first = eligibility.eligible_peers(session, request, now, want=want, page_size=page_size)
    assert first[:want] == best[:want]


def past_conversation(session, program, texter, peer, started_at):
    closed = SupportRequest(
        program_id=program.id,
        texter_id=texter.id,
        state="closed",
        wave=1,
        created_at=started_at,
    )
    session.add(closed)
    session.flush()
    session.add(
        Conversation(
            program_id=program.id,
            request_id=closed.id,
            texter_id=texter.id,
            peer_profile_id=peer.id,
            state="ended",
            started_at=started_at,
        )
    )
