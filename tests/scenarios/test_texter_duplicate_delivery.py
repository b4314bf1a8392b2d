"""Twilio delivers the same text twice (it never got our first answer): the texter loses nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from peerwork.extensions import db
from peerwork.models import Alert, Message, SupportRequest
from tests.sms_helpers import Phone, new_sid


@pytest.fixture
def program(make):
    return make.program(name="Acme Peer Line", messages_per_second=30)


@pytest.fixture
def texter(client, program, jobs, transport):
    return Phone(client, program, "+17165550123", jobs)


def _count(*where) -> int:
    return db.session.scalar(select(func.count()).select_from(Message).where(*where))


@pytest.mark.parametrize(
    "first_text", ["hi", "I want to kill myself"], ids=["welcome", "crisis-reply"]
)
def test_a_retried_first_text_gets_the_same_twiml_one_row_and_one_job(texter, jobs, first_text):
    sid = new_sid()
    first = texter.sends(first_text, sid=sid, run_jobs=False)
    first_xml = texter.last_response.get_data(as_text=True)
    pending = jobs.pending()
    assert pending.count("peerwork.jobs.process_inbound") <= 1

    retried = texter.sends(first_text, sid=sid, run_jobs=False)
    assert retried == first and first
    assert texter.last_response.get_data(as_text=True) == first_xml
    assert jobs.pending() == pending  # nothing enqueued twice
    assert _count(Message.direction == "inbound") == 1
    replies_stored = _count(Message.recipient == "texter")
    assert replies_stored == len(first)

    jobs.run()
    texter.sends(first_text, sid=sid)  # a late retry, after the job ran
    assert texter.sends(first_text, sid=sid) == first
    assert _count(Message.direction == "inbound") == 1
    assert db.session.scalar(select(func.count()).select_from(SupportRequest)) <= 1
    assert db.session.scalar(select(func.count()).select_from(Alert)) <= 1
