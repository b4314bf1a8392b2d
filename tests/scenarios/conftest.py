"""Scenario fixtures: a fake SMS transport, escalation contacts, and the real `twilio`
client over HTTP against the local stand-in."""

from __future__ import annotations

import pytest

from peerwork.extensions import set_service
from peerwork.sms.transport import TwilioTransport
from tests.fake_twilio import FakeTwilio
from tests.helpers import add_escalation_contact

# Short enough that a test can make Twilio answer "too late" without waiting long.
CLIENT_TIMEOUT = 0.5


@pytest.fixture
def twilio(app):
    with FakeTwilio() as fake:
        set_service(
            "sms_transport",
            TwilioTransport(
                fake.account_sid,
                fake.auth_token,
                api_base_url=fake.base_url,
                timeout=CLIENT_TIMEOUT,
            ),
            app,
        )
        yield fake
        app.extensions["peerwork"].pop("sms_transport", None)


@pytest.fixture
def add_contact():
    """Add an escalation contact (a human on call) to a program."""
    return add_escalation_contact
