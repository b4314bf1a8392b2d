"""The database is unreachable: a crisis text still gets its crisis reply, and no text is lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from peerwork import clock
from peerwork import jobs as peerwork_jobs
from peerwork.extensions import db, get_dispatcher, get_redis
from peerwork.models import Alert, Message
from peerwork.queue import URGENT
from peerwork.sms import texts
from peerwork.texter import inbound, outage
from tests.sms_helpers import Phone


def _database_down(*_args, **_kwargs):
    raise OperationalError("SELECT 1", {}, Exception("connection refused"))


def _ingest(jobs):
    get_dispatcher().enqueue(peerwork_jobs.ingest_spooled_inbound, queue=URGENT)
    jobs.run(until=clock.now() + timedelta(seconds=5))


def _inbound(body: str) -> Message | None:
    return db.session.scalar(
        select(Message).where(Message.direction == "inbound", Message.body == body)
    )


def test_a_crisis_text_is_answered_and_kept_while_the_database_is_down(
    client, make, jobs, monkeypatch, app
):
    program = make.program()
    phone = Phone(client, program, "+17165550199", jobs)
    phone.sends("hi")  # this process now knows the program
    monkeypatch.setattr(inbound, "receive", _database_down)

    assert phone.sends("i want to kill myself tonight", run_jobs=False) == [texts.render("crisis")]
    assert phone.sends("are you still there?", run_jobs=False) == []  # kept, answered later
    spool = outage.spool_key(app.config["RQ_QUEUE_PREFIX"])
    assert get_redis().llen(spool) == 2
    # Nothing readable in Redis: the kept texts are encrypted.
    assert b"kill myself" not in b"".join(get_redis().lrange(spool, 0, -1))

    monkeypatch.undo()  # the database is back
    _ingest(jobs)
    _ingest(jobs)  # twice: still stored once

    crisis = _inbound("i want to kill myself tonight")
    assert crisis is not None and crisis.is_crisis and crisis.processed_at is not None
    assert db.session.scalar(select(Alert).where(Alert.message_id == crisis.id)) is not None
    later = _inbound("are you still there?")
    assert later is not None and later.processed_at is not None
    assert get_redis().llen(spool) == 0
    # The crisis reply is not sent a second time.
    assert phone.received().count(texts.render("crisis")) == 1


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_outage_crisis_reply_is_one_segment(language):
    from peerwork.sms import segments

    assert segments.segments(outage.crisis_text(language)) == 1
