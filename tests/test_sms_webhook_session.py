"""The Twilio webhooks get no browser session (peerwork.app.WebSessionInterface)."""

from __future__ import annotations

from flask import request
from flask.sessions import NullSession

from tests.sms_helpers import Phone


def test_a_webhook_request_opens_no_session_and_a_page_does(app):
    interface = app.session_interface
    with app.test_request_context("/sms/inbound", method="POST"):
        assert isinstance(interface.open_session(app, request), NullSession)
    with app.test_request_context("/peer/"):
        assert not isinstance(interface.open_session(app, request), NullSession)


def test_a_text_with_a_stray_session_cookie_is_answered_and_sets_none(client, make):
    program = make.program()
    client.set_cookie("session", "not-a-signed-session", domain="peerwork.test")
    phone = Phone(client, program, "+17165550190")
    assert phone.sends("hi")  # the welcome
    assert "Set-Cookie" not in phone.last_response.headers
