"""The dev phone: text a program as a made-up employee and read the replies."""

from __future__ import annotations

import base64

from peerwork import create_app
from tests.helpers import add_escalation_contact

PHONE = "+17165550142"


def test_a_newcomer_texts_a_program_and_sees_the_replies(client, make, jobs, transport, caplog):
    program = make.program(name="Acme Peer Line", messages_per_second=30)
    page = client.get("/dev/phone/")
    assert page.status_code == 200
    assert "Acme Peer Line" in page.get_data(as_text=True)

    chosen = client.post_form(
        "/dev/phone/phone", {"program": program.id, "phone": "(716) 555-0142"}
    )
    assert chosen.status_code == 302

    sent = client.post_form("/dev/phone/send", {"body": "hi"})
    assert sent.status_code == 302
    thread = client.get("/dev/phone/thread").get_data(as_text=True)
    assert "hi" in thread and "confidential" in thread and "1 Work stress" in thread

    client.post_form("/dev/phone/send", {"body": "1"})
    jobs.run()
    thread = client.get("/dev/phone/thread").get_data(as_text=True)
    assert "finding a peer" in thread
    assert transport.bodies_to(PHONE)  # the same outbox and sender as Twilio's path
    assert "5550142" not in caplog.text


def test_the_page_uses_no_inline_script_or_style(client, make):
    make.program()
    html = client.get("/dev/phone/").get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html
    assert "js/devphone.js" in html and "css/devphone.css" in html
    assert 'name="csrf_token"' in html


def test_an_invalid_number_is_explained(client, make):
    program = make.program()
    response = client.post_form("/dev/phone/phone", {"program": program.id, "phone": "12"})
    assert response.status_code == 400
    assert "valid phone number" in response.get_data(as_text=True)


def test_the_dev_phone_does_not_exist_when_disabled(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "s" * 40,
            "DATA_KEY": base64.urlsafe_b64encode(b"k" * 32).decode(),
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
            "DEV_PHONE_ENABLED": False,
        },
        instance_path=str(tmp_path),
    )
    assert not any(rule.rule.startswith("/dev/phone") for rule in app.url_map.iter_rules())
    assert app.test_client().get("/dev/phone/").status_code == 404


def test_the_dev_phone_is_off_by_default_with_twilio_or_in_production(monkeypatch, tmp_path):
    from peerwork.config import load_config

    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    assert load_config(str(tmp_path), {"ENV": "development"})["DEV_PHONE_ENABLED"] is False
    monkeypatch.delenv("TWILIO_ACCOUNT_SID")
    assert load_config(str(tmp_path), {"ENV": "development"})["DEV_PHONE_ENABLED"] is True


def test_staff_texts_show_on_the_dev_phone_page_too(client, make, jobs, transport, now):
    from peerwork.admin.test_sms import send_test_sms
    from peerwork.extensions import db, get_dispatcher

    program = make.program(name="Acme Peer Line", messages_per_second=30)
    contact = add_escalation_contact(program, "Dana (on call)", "+17165550190")
    admin = make.admin(program.organization)
    send_test_sms(
        db.session,
        program=program,
        contact=contact,
        now=now,
        actor=admin,
        dispatcher=get_dispatcher(),
    )
    db.session.commit()
    client.post_form("/dev/phone/phone", {"program": program.id, "phone": PHONE})
    client.post_form("/dev/phone/send", {"body": "I want to kill myself"})
    jobs.run()

    page = client.get("/dev/phone/").get_data(as_text=True)
    outbox = client.get("/dev/phone/outbox").get_data(as_text=True)
    for html in (page, outbox):
        assert "If you can read this, outbound SMS works" in html  # the admin's test SMS
        assert "a crisis alert needs a supervisor" in html  # the escalation text
        assert "Dana (on call)" in html and "0190" in html
        assert "5550190" not in html  # staff are named, never shown by number
        assert "You matter" in html  # texts to texters are in the outbox as well
    assert "5550142" not in outbox  # the texter by pseudonym only


def test_stop_on_the_dev_phone_explains_that_twilio_answers_it(client, make, jobs, transport):
    program = make.program(name="Acme Peer Line", messages_per_second=30)
    client.post_form("/dev/phone/phone", {"program": program.id, "phone": PHONE})
    client.post_form("/dev/phone/send", {"body": "hi"})
    client.post_form("/dev/phone/send", {"body": "STOP"})
    jobs.run()
    thread = client.get("/dev/phone/thread").get_data(as_text=True)
    assert "STOP" in thread
    assert "Twilio" in thread and "unsubscribed" in thread and "START" in thread
    page = client.get("/dev/phone/").get_data(as_text=True)
    assert "Twilio answers STOP itself" in page
    # START brings the texter back, and our reply shows again.
    client.post_form("/dev/phone/send", {"body": "START"})
    jobs.run()
    thread = client.get("/dev/phone/thread").get_data(as_text=True)
    assert "subscribed again" in thread
