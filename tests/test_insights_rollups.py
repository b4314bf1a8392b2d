"""Settled weeks kept in report_weeks: the dashboard shows the very same numbers, and a week
whose rows or counting rules changed is counted again."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from peerwork import demo
from peerwork.insights import export, periods, rollups
from peerwork.insights.dashboard import program_dashboard
from peerwork.models import (
    WAIT_ALERT_MINUTES,
    CheckIn,
    Conversation,
    Program,
    ReportWeek,
    SupportRequest,
)
from tests.insights_history import generate

TOPICS = ("Work stress", "Anxiety", "Grief and loss", "Caregiving")
WEEKDAY_HOURS = {day: [["08:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
K = 5


def _program_with_history(make, session, now, *, seed: int, id_base: int, requests: int = 2500):
    program = make.program(topics=TOPICS, hours=WEEKDAY_HOURS)
    peers = [make.peer(program) for _ in range(6)]
    generate(
        session,
        program_id=program.id,
        topic_ids=[t.id for t in program.topics],
        peer_ids=[p.id for p in peers],
        until=now - timedelta(days=1),
        weeks=26,
        requests=requests,
        texters=600,
        seed=seed,
        id_base=id_base,
        keep=False,
    )
    session.flush()
    return program


@pytest.fixture
def program(make, session, now):
    return _program_with_history(make, session, now, seed=18, id_base=1_000_000)


def _period(program, now, preset="12w"):
    return periods.resolve(tz=program.timezone, now=now, preset=preset)


def _view(session, program, period, now):
    """The dashboard as the admin gets it: every figure, and the CSV export."""
    dashboard = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    return asdict(dashboard), export.to_csv(dashboard, program.name)


def _stored_weeks(session, program):
    return set(
        session.scalars(select(ReportWeek.week_start).where(ReportWeek.program_id == program.id))
    )


def _counted_afresh(session, program, period, now):
    """The same view with no week stored (what the dashboard showed before rollups)."""
    session.execute(delete(ReportWeek).where(ReportWeek.program_id == program.id))
    return _view(session, program, period, now)


def _settled_weeks(period, now):
    """The weeks of the period and the one before that ended at least SETTLE_DAYS ago."""
    starts = period.previous().week_starts() + period.week_starts()
    ends = (period.previous().boundaries()[1:]) + period.boundaries()[1:]
    limit = now - timedelta(days=rollups.SETTLE_DAYS)
    return {start for start, end in zip(starts, ends, strict=True) if end <= limit}


def _a_request(session, program, at, *, ended: bool = True, **values):
    """A request created at `at` (topic: the first), matched and its conversation ended unless
    told otherwise."""
    texter_id = session.scalar(
        select(SupportRequest.texter_id).where(SupportRequest.program_id == program.id).limit(1)
    )
    peer_id = session.scalar(
        select(Conversation.peer_profile_id).where(Conversation.program_id == program.id).limit(1)
    )
    request = SupportRequest(
        program_id=program.id,
        texter_id=texter_id,
        topic_id=program.topics[0].id,
        **{
            "state": "closed",
            "created_at": at,
            "matched_at": at + timedelta(minutes=3),
            "closed_at": at + timedelta(minutes=40),
        }
        | values,
    )
    session.add(request)
    session.flush()
    if request.matched_at is not None:
        session.add(
            Conversation(
                program_id=program.id,
                request_id=request.id,
                texter_id=texter_id,
                peer_profile_id=peer_id,
                topic_id=request.topic_id,
                state="ended" if ended else "active",
                started_at=request.matched_at,
                ended_at=request.closed_at if ended else None,
                ended_by="peer" if ended else None,
                outcome="listened" if ended else None,
                checkin_choice="1d",
            )
        )
        session.flush()
    return request


@pytest.mark.parametrize("preset", ["4w", "12w", "26w"])
def test_a_first_and_a_second_view_show_what_counting_every_row_shows(
    session, program, now, preset
):
    period = _period(program, now, preset)
    assert _stored_weeks(session, program) == set()
    first = _view(session, program, period, now)
    settled = _settled_weeks(period, now)
    assert settled and _stored_weeks(session, program) == settled
    second = _view(session, program, period, now)  # settled weeks read back
    assert second == first
    assert _counted_afresh(session, program, period, now) == first
    # The figures are not empty: the comparison compared something.
    dashboard = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    assert dashboard.current.requests.value > 100
    assert dashboard.current.to_match.median is not None


def test_the_second_view_reads_the_stored_weeks(session, program, now):
    """Proof the rollups are what the second view reads: a stored week altered by hand shows."""
    period = _period(program, now)
    _view(session, program, period, now)
    week = session.scalar(
        select(ReportWeek).where(
            ReportWeek.program_id == program.id,
            ReportWeek.week_start == period.week_starts()[0],
        )
    )
    counts = dict(week.counts)
    counts["outcomes"] = {"listened": 999}
    week.counts = counts
    session.flush()
    dashboard = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    assert dashboard.current.outcomes.weeks[0]["listened"].value == 999


def test_a_request_added_to_or_deleted_from_a_stored_week_shows_on_the_next_view(
    session, program, now
):
    period = _period(program, now)
    first = _view(session, program, period, now)
    week = 3  # settled and stored
    start = period.boundaries()[week]
    assert period.week_starts()[week] in _stored_weeks(session, program)

    def requests_in(view_week):
        dashboard = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
        return dashboard.current.by_topic.week_totals[view_week].value

    before = requests_in(week)
    _a_request(session, program, start + timedelta(days=2, hours=3))
    assert requests_in(week) == before + 1
    assert _view(session, program, period, now) == _counted_afresh(session, program, period, now)

    gone = session.scalar(
        select(SupportRequest).where(
            SupportRequest.program_id == program.id,
            SupportRequest.created_at >= period.boundaries()[week + 1],
            SupportRequest.created_at < period.boundaries()[week + 2],
        )
    )
    _view(session, program, period, now)  # stores the week again
    before_next = requests_in(week + 1)
    session.delete(gone)
    session.flush()
    assert requests_in(week + 1) == before_next - 1
    assert _view(session, program, period, now) != first
    assert _view(session, program, period, now) == _counted_afresh(session, program, period, now)


def test_one_request_swapped_for_another_in_a_stored_week_shows(session, program, now):
    """Same number of rows: the sum of their ids still tells the week changed."""
    period = _period(program, now)
    _view(session, program, period, now)
    week = 2
    since, until = period.boundaries()[week], period.boundaries()[week + 1]
    topic = program.topics[0].id
    gone = session.scalar(
        select(SupportRequest).where(
            SupportRequest.program_id == program.id,
            SupportRequest.created_at >= since,
            SupportRequest.created_at < until,
            SupportRequest.topic_id != topic,
        )
    )
    dashboard = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    before = dashboard.current.by_topic.weeks[week][topic].value
    session.delete(gone)
    _a_request(session, program, since + timedelta(days=1, hours=14))
    dashboard = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    assert dashboard.current.by_topic.weeks[week][topic].value == before + 1
    assert _view(session, program, period, now) == _counted_afresh(session, program, period, now)


def test_an_answered_check_in_added_to_a_stored_week_shows(session, program, now):
    period = _period(program, now)
    _view(session, program, period, now)
    week = 4
    at = period.boundaries()[week] + timedelta(days=3)
    conversation = session.scalar(
        select(Conversation).where(Conversation.program_id == program.id).limit(1)
    )
    dashboard = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    before = dashboard.current.scores.week_totals[week].value
    session.add(
        CheckIn(
            program_id=program.id,
            texter_id=conversation.texter_id,
            conversation_id=conversation.id,
            peer_profile_id=conversation.peer_profile_id,
            kind="followup",
            state="answered",
            due_at=at,
            expires_at=at + timedelta(hours=12),
            sent_at=at,
            score=5,
            answered_at=at + timedelta(minutes=5),
            created_at=at,
        )
    )
    session.flush()
    dashboard = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    assert dashboard.current.scores.week_totals[week].value == before + 1


def test_new_hours_change_the_after_hours_figures_on_the_next_view(session, program, now):
    period = _period(program, now)
    first = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    assert first.current.share_after_hours.percent > 10
    program.hours = {
        day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    session.flush()
    then = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    assert then.current.share_after_hours.percent == 0
    assert then.previous.share_after_hours.percent == 0
    # Closed dates count as after hours too.
    program.closed_dates = [period.week_starts()[1].isoformat()]
    session.flush()
    closed = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    assert closed.current.after_hours.weeks[1]["yes"].value > 0
    assert _view(session, program, period, now) == _counted_afresh(session, program, period, now)


def test_a_new_long_wait_threshold_changes_the_long_wait_figures_on_the_next_view(
    session, program, now
):
    period = _period(program, now)
    first = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    assert program.wait_alert_minutes > WAIT_ALERT_MINUTES[0]
    program.wait_alert_minutes = WAIT_ALERT_MINUTES[0]
    session.flush()
    then = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    assert then.current.share_long_wait.percent > first.current.share_long_wait.percent
    assert _view(session, program, period, now) == _counted_afresh(session, program, period, now)


def test_an_unsettled_week_is_never_stored(session, program, now):
    period = _period(program, now)
    recent = period.week_starts()[-2:]  # ended less than SETTLE_DAYS ago
    waiting_week, going_week = 5, 7
    at = period.boundaries()[waiting_week] + timedelta(days=1)
    _a_request(session, program, at, state="waiting", matched_at=None, closed_at=None)
    at = period.boundaries()[going_week] + timedelta(days=1)
    _a_request(session, program, at, state="matched", closed_at=None, ended=False)
    first = _view(session, program, period, now)
    stored = _stored_weeks(session, program)
    assert stored  # the other settled weeks are stored
    for i in (waiting_week, going_week):
        assert period.week_starts()[i] not in stored
    assert not stored & set(recent)
    assert _view(session, program, period, now) == first
    # The request that still waits counts as a long wait in its week, as it always did.
    dashboard = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    assert dashboard.current.long_wait.weeks[waiting_week]["yes"].value >= 1


def test_rollups_belong_to_their_program(session, make, program, now):
    other = _program_with_history(make, session, now, seed=7, id_base=2_000_000, requests=1500)
    period = _period(program, now)
    mine = _view(session, program, period, now)
    theirs = _view(session, other, period, now)
    assert mine != theirs
    assert _stored_weeks(session, other) == _stored_weeks(session, program)
    assert _view(session, other, period, now) == theirs
    assert _view(session, program, period, now) == mine
    assert _counted_afresh(session, other, period, now) == theirs
    assert _counted_afresh(session, program, period, now) == mine
    owners = session.execute(
        select(ReportWeek.program_id, func.count()).group_by(ReportWeek.program_id)
    ).all()
    assert sorted(owners) == sorted(
        [
            (program.id, len(_settled_weeks(period, now))),
            (other.id, len(_settled_weeks(period, now))),
        ]
    )


def test_the_reports_page_keeps_the_weeks_it_counted(session, make, program, now, client):
    admin = make.admin(program.organization)
    client.login(admin)
    url = f"/admin/programs/{program.id}/reports?period=12w"
    assert client.get(url).status_code == 200
    session.expire_all()
    assert _stored_weeks(session, program) == _settled_weeks(_period(program, now), now)
    assert client.get(url).status_code == 200


def test_the_demo_history_is_shown_the_same_from_stored_weeks(session, now):
    """The demo's past weeks, made by the product's own code paths (requests, conversations,
    check-ins): stored weeks show what counting the rows shows. (The demo only ever fills
    a program it has just created, so no week of it can have been stored before.)"""
    demo.load(session, now=now)
    session.commit()
    program = session.scalar(select(Program).where(Program.sms_number == demo.PROGRAM_NUMBER))
    period = _period(program, now)
    first = _view(session, program, period, now)
    assert _stored_weeks(session, program) == _settled_weeks(period, now)
    assert _view(session, program, period, now) == first
    assert _counted_afresh(session, program, period, now) == first
    dashboard = program_dashboard(session, program_id=program.id, period=period, now=now, k=K)
    assert dashboard.current.requests.value > 0


def test_the_daily_fill_stores_every_settled_week_before_anyone_looks(session, make, now):
    """The scheduler's `fill_report_weeks`: the first admin to open a year's report finds
    its settled weeks stored already, and they show what counting every row shows."""
    live = _program_with_history(make, session, now, seed=19, id_base=2_000_000, requests=800)
    live.status = "live"
    draft = make.program(topics=TOPICS, hours=WEEKDAY_HOURS)
    draft.status = "draft"
    session.flush()

    from peerwork import jobs

    assert (jobs.fill_report_weeks, jobs.REPORT_WEEKS_EVERY_SECONDS, jobs.MAINTENANCE) in (
        jobs.PERIODIC
    )
    filled = rollups.fill(session, now=now)

    year = _period(live, now, "52w")
    assert _stored_weeks(session, live) >= _settled_weeks(year, now)
    assert draft.id not in filled and _stored_weeks(session, draft) == set()
    # Idempotent: a second run stores nothing new.
    before = _stored_weeks(session, live)
    rollups.fill(session, now=now)
    assert _stored_weeks(session, live) == before
    stored = _view(session, live, year, now)
    assert _counted_afresh(session, live, year, now) == stored
