"""The retention purge erases old message bodies and nothing the reports count."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import delete, func, select

from peerwork.admin import reports
from peerwork.insights import export, periods
from peerwork.models import Alert, CheckIn, Conversation, Message, ReportWeek, SupportRequest
from peerwork.privacy import retention


def _history(session, make, program, now, *, days: int):
    """One conversation a day for `days` days: a request, messages both ways, a check-in."""
    peer = make.peer(program)
    topics = program.topics
    for back in range(days):
        at = now - timedelta(days=back, hours=3)
        texter = make.texter(program)
        request = SupportRequest(
            program_id=program.id,
            texter_id=texter.id,
            topic_id=topics[back % len(topics)].id,
            state="closed",
            is_crisis=back % 9 == 0,
            created_at=at,
            matched_at=at + timedelta(minutes=back % 7 + 1),
            closed_at=at + timedelta(hours=1),
        )
        session.add(request)
        session.flush()
        conversation = Conversation(
            program_id=program.id,
            request_id=request.id,
            texter_id=texter.id,
            peer_profile_id=peer.id,
            topic_id=request.topic_id,
            state="ended",
            is_crisis=request.is_crisis,
            started_at=request.matched_at,
            ended_at=at + timedelta(hours=1),
            ended_by="peer",
            checkin_choice="1d",
        )
        session.add(conversation)
        session.flush()
        for n, direction in enumerate(("inbound", "outbound", "inbound")):
            session.add(
                Message(
                    program_id=program.id,
                    direction=direction,
                    author="texter" if direction == "inbound" else "peer",
                    kind="relay",
                    recipient=None if direction == "inbound" else "texter",
                    texter_id=texter.id,
                    peer_profile_id=peer.id,
                    conversation_id=conversation.id,
                    body=f"words said on day {back}, message {n}",
                    segments=1,
                    is_crisis=request.is_crisis and n == 0,
                    status="received" if direction == "inbound" else "delivered",
                    created_at=at + timedelta(minutes=10 + n),
                )
            )
        session.add(
            CheckIn(
                program_id=program.id,
                texter_id=texter.id,
                conversation_id=conversation.id,
                peer_profile_id=peer.id,
                kind="followup",
                state="answered",
                due_at=at + timedelta(days=1),
                expires_at=at + timedelta(days=1, hours=12),
                sent_at=at + timedelta(days=1),
                score=back % 5 + 1,
                answered_at=at + timedelta(days=1, minutes=5),
                created_at=at,
            )
        )
        if request.is_crisis:
            session.add(
                Alert(
                    program_id=program.id,
                    kind="crisis",
                    state="acknowledged",
                    reason="Crisis words in a message.",
                    texter_id=texter.id,
                    created_at=at + timedelta(minutes=10),
                )
            )
    session.flush()


def _report(session, program, now):
    period = periods.resolve(tz=program.timezone, now=now, preset="52w")
    dashboard = reports.dashboard(session, program=program, period=period, now=now)
    return [asdict(table) for table in export.tables(dashboard)]


def _metadata(session):
    return session.execute(
        select(
            Message.id,
            Message.direction,
            Message.author,
            Message.kind,
            Message.status,
            Message.segments,
            Message.is_crisis,
            Message.created_at,
            Message.conversation_id,
            Message.texter_id,
        ).order_by(Message.id)
    ).all()


@pytest.fixture
def program(make):
    return make.program(retention_days=30)


def test_no_body_older_than_the_setting_remains_and_reports_are_unchanged(
    session, make, program, now
):
    _history(session, make, program, now, days=75)
    before, metadata_before = _report(session, program, now), _metadata(session)
    erased = retention.purge(session, now=now, batch=40)

    old = Message.created_at < now - timedelta(days=30)
    assert session.scalar(select(func.count()).where(old, Message.body.is_not(None))) == 0
    assert erased == {program.id: session.scalar(select(func.count()).where(old))}
    assert erased[program.id] > 40  # several batches
    recent = session.scalars(select(Message).where(~old)).all()
    assert recent and all(m.body and m.body_purged_at is None for m in recent)
    assert all(m.body_purged_at == now for m in session.scalars(select(Message).where(old)))
    assert _report(session, program, now) == before
    assert _metadata(session) == metadata_before
    # The weeks the first report stored still hold: counted afresh, the report is the same.
    assert session.scalar(select(func.count(ReportWeek.id))) > 0
    session.execute(delete(ReportWeek))
    assert _report(session, program, now) == before


def test_running_the_purge_twice_erases_nothing_more(session, make, program, now):
    _history(session, make, program, now, days=40)
    first = retention.purge(session, now=now)
    assert first[program.id] == 10 * 3  # days 30 to 39, three messages each
    assert retention.purge(session, now=now + timedelta(minutes=5)) == {}
    stamped = session.scalars(select(Message.body_purged_at).where(Message.body.is_(None)))
    assert set(stamped) == {now}


def test_each_program_keeps_its_own_period_and_unsent_messages_keep_their_words(session, make, now):
    short = make.program(retention_days=7)
    long = make.program(retention_days=365)
    for program in (short, long):
        texter = make.texter(program)
        for status in ("delivered", "queued"):
            session.add(
                Message(
                    program_id=program.id,
                    direction="outbound",
                    author="system",
                    kind="system",
                    recipient="texter",
                    texter_id=texter.id,
                    body="ten days old",
                    status=status,
                    created_at=now - timedelta(days=10),
                )
            )
    session.flush()
    assert retention.purge(session, now=now) == {short.id: 1}
    kept = session.execute(
        select(Message.program_id, Message.status).where(Message.body.is_not(None))
    ).all()
    assert sorted(kept) == sorted(
        [(short.id, "queued"), (long.id, "delivered"), (long.id, "queued")]
    )


def test_the_scheduled_job_purges_through_a_worker(session, make, program, now, jobs):
    from peerwork import jobs as peerwork_jobs
    from peerwork.worker import periodic_jobs

    assert peerwork_jobs.purge_old_bodies in [func for func, _, _ in periodic_jobs()]
    _history(session, make, program, now, days=35)
    session.commit()
    with time_machine.travel(now, tick=False):
        jobs.dispatcher.enqueue(peerwork_jobs.purge_old_bodies)
        jobs.dispatcher.enqueue(peerwork_jobs.purge_old_bodies)
        jobs.run()
    assert jobs.failed() == []
    left = session.scalar(
        select(func.count()).where(
            Message.created_at < now - timedelta(days=30), Message.body.is_not(None)
        )
    )
    assert left == 0
