"""The texter dialog, through the signed webhook and the real jobs."""

from __future__ import annotations

import pytest

from peerwork.models import SupportRequest
from tests.sms_helpers import Phone


@pytest.fixture
def program(make):
    return make.program(name="Acme Peer Line", messages_per_second=30)


@pytest.fixture
def texter(client, program, jobs):
    return Phone(client, program, "+17165550123", jobs)


def test_first_text_gets_welcome_crisis_lines_and_menu(texter, session):
    replies = texter.sends("hi")
    assert len(replies) == 2
    assert "Acme Peer Line" in replies[0] and "confidential" in replies[0]
    assert "988" in replies[0]
    assert "1 Work stress" in replies[1] and "2 Anxiety" in replies[1]
    assert texter.texter().dialog_state == "choosing_topic"
    assert texter.received() == replies


def test_topic_by_number_opens_a_request(texter, session):
    texter.sends("hi")
    texter.sends("2")
    assert texter.texter().dialog_state == "waiting"
    request = session.query(SupportRequest).one()
    assert request.topic_id is not None
    assert "finding a peer" in texter.last()
