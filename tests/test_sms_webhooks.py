"""The inbound webhook: signatures, duplicates, odd input, routing, Redis outages."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import redis
from sqlalchemy import func, select

from peerwork import clock
from peerwork.extensions import db, get_redis, set_service
from peerwork.models import Message, Texter
from peerwork.queue import Dispatcher
from peerwork.sms.outbox import sweep_outbox
from peerwork.texter.inbound import sweep_inbound
from tests.sms_helpers import Phone, new_sid, post_signed, sign, twiml_bodies

NUMBER = "+17165550123"


@pytest.fixture
def program(make):
    return make.program(name="Acme Peer Line", messages_per_second=30)


@pytest.fixture
def texter(client, program, jobs, transport):
    return Phone(client, program, NUMBER, jobs)


def _params(program, body="hi", sid=None, number=NUMBER):
    return {
        "MessageSid": sid or new_sid(),
        "From": number,
        "To": program.sms_number,
        "Body": body,
        "NumMedia": "0",
    }


def _count(model=Message) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    "signature",
    ["", "forged", sign("/sms/inbound", {"Body": "something else"})],
    ids=["missing", "garbage", "signed-for-other-fields"],
)
def test_bad_signature_is_refused_and_nothing_is_stored(client, program, signature):
    params = _params(program)
    if signature == "":
        response = client.post("/sms/inbound", data=params, base_url="https://peerwork.test")
    else:
        response = post_signed(client, "/sms/inbound", params, signature=signature)
    assert response.status_code == 403
    assert _count() == 0 and _count(Texter) == 0


def test_signature_is_checked_against_the_public_url_not_the_request_host(client, program):
    params = _params(program)
    # Signed for the host the app happens to see, not the public URL Twilio calls.
    from twilio.request_validator import RequestValidator

    wrong = RequestValidator("test-auth-token").compute_signature(
        "http://internal:8000/sms/inbound", params
    )
    response = client.post(
        "/sms/inbound",
        data=params,
        headers={"X-Twilio-Signature": wrong},
        base_url="http://internal:8000",
    )
    assert response.status_code == 403
    ok = post_signed(client, "/sms/inbound", params)
    assert ok.status_code == 200


def test_repeated_message_sid_is_answered_and_processed_once(texter, transport):
    sid = new_sid()
    first = texter.sends("hi", sid=sid)
    first_xml = texter.last_response.get_data(as_text=True)
    second = texter.sends("hi", sid=sid)
    assert len(first) == 2  # welcome + menu
    # Twilio retried because it never got the first answer: it gets the same one again.
    assert second == first
    assert texter.last_response.get_data(as_text=True) == first_xml
    assert texter.last_response.status_code == 200
    inbound = texter.messages()
    assert (
        len([m for m in db.session.scalars(select(Message).where(Message.direction == "inbound"))])
        == 1
    )
    assert len(inbound) == 2  # the welcome and menu rows, once


def test_a_repeated_crisis_text_gets_the_crisis_reply_again_and_one_job(
    client, program, jobs, transport
):
    phone = Phone(client, program, NUMBER, jobs)
    sid = new_sid()
    first = phone.sends("I want to kill myself", sid=sid, run_jobs=False)
    assert jobs.pending() == ["peerwork.jobs.process_inbound"]
    second = phone.sends("I want to kill myself", sid=sid, run_jobs=False)
    assert first and second == first and "988" in second[0]
    assert jobs.pending() == ["peerwork.jobs.process_inbound"]
    assert _count() == 1 + len(first)  # one inbound row, its replies once
    # The stored answer holds no phone number.
    stored = db.session.scalar(select(Message).where(Message.direction == "inbound"))
    assert "5550123" not in repr(stored.twiml_replies)


@pytest.mark.parametrize("missing", ["MessageSid", "From", "To"])
def test_missing_fields_are_refused_without_storing(client, program, missing):
    params = _params(program)
    del params[missing]
    response = post_signed(client, "/sms/inbound", params)
    assert response.status_code == 400
    assert twiml_bodies(response) == []
    assert _count() == 0


def test_unknown_number_gets_empty_twiml_and_the_log_has_no_phone(client, program, caplog):
    params = _params(program)
    params["To"] = "+15855559999"
    with caplog.at_level(logging.DEBUG):
        response = post_signed(client, "/sms/inbound", params)
    assert response.status_code == 200
    assert twiml_bodies(response) == []
    assert _count() == 0 and _count(Texter) == 0
    assert "no program" in caplog.text
    assert "5855559999" not in caplog.text and "5550123" not in caplog.text


def test_a_1600_character_body_is_stored_whole(texter):
    texter.sends("hi")
    long_body = ("I have been dealing with a lot at work lately. " * 40)[:1600]
    texter.sends(long_body)
    stored = db.session.scalars(
        select(Message).where(Message.direction == "inbound").order_by(Message.id)
    ).all()[-1]
    assert stored.body == long_body
    assert stored.segments == 11  # GSM-7, 153 characters per segment


def test_emoji_and_non_latin_text_survive_intact(texter):
    texter.sends("hi")
    body = "Je suis épuisé 😔 — 仕事がつらい — Мне тяжело"
    texter.sends(body)
    stored = db.session.scalars(
        select(Message).where(Message.direction == "inbound").order_by(Message.id)
    ).all()[-1]
    assert stored.body == body
    assert stored.segments == 1  # UCS-2, under 70 code units
    # Free text that names no topic still opens a request ("something else").
    assert texter.texter().dialog_state == "waiting"


def test_crisis_text_is_answered_in_the_webhook_even_with_redis_down(
    app, client, program, transport
):
    dead = Dispatcher(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    set_service("dispatcher", dead, app)
    phone = Phone(client, program, NUMBER)
    replies = phone.sends("I want to kill myself", run_jobs=False)
    assert "988" in replies[0] and "911" in replies[0]
    stored = db.session.scalar(select(Message).where(Message.direction == "inbound"))
    assert stored.is_crisis and stored.processed_at is None
    crisis_rows = phone.messages(kind="crisis")
    assert len(crisis_rows) == 1 and crisis_rows[0].status == "sent"


def test_redis_down_while_a_text_arrives_loses_nothing_and_sends_once(
    app, client, program, jobs, transport
):
    good = Dispatcher(get_redis(app), app.config["RQ_QUEUE_PREFIX"])
    set_service("dispatcher", Dispatcher(redis.Redis(port=1, socket_connect_timeout=0.2)), app)
    phone = Phone(client, program, NUMBER, jobs)
    phone.sends("hi")
    phone.sends("1")  # the topic choice: its job cannot be enqueued
    inbound = db.session.scalars(
        select(Message).where(Message.direction == "inbound").order_by(Message.id)
    ).all()
    assert len(inbound) == 2 and inbound[1].processed_at is None
    assert jobs.pending() == []

    set_service("dispatcher", good, app)
    later = clock.now() + timedelta(minutes=2)
    assert sweep_inbound(db.session, now=later, after=timedelta(seconds=20), dispatcher=good) == 1
    db.session.commit()
    jobs.run(until=clock.now() + timedelta(seconds=5))
    assert phone.texter().dialog_state == "waiting"
    # The "waiting" text is queued; a second sweep finds nothing more to process.
    assert sweep_inbound(db.session, now=later, after=timedelta(seconds=20), dispatcher=good) == 0
    jobs.run(until=clock.now() + timedelta(seconds=5))
    waiting = [b for b in transport.bodies_to(NUMBER) if "finding a peer" in b]
    assert len(waiting) == 1
    assert "finding a peer" in phone.last()


def test_outbound_queued_during_an_outage_is_sent_once_by_the_sweep(
    app, client, program, jobs, transport, session
):
    good = Dispatcher(get_redis(app), app.config["RQ_QUEUE_PREFIX"])
    phone = Phone(client, program, NUMBER, jobs)
    phone.sends("hi")
    set_service("dispatcher", Dispatcher(redis.Redis(port=1, socket_connect_timeout=0.2)), app)
    # The job runs (Redis for RQ is fine) but its reply cannot be enqueued.
    from peerwork.texter.inbound import process_inbound

    phone.sends("2", run_jobs=False)
    message = db.session.scalars(
        select(Message).where(Message.direction == "inbound").order_by(Message.id.desc())
    ).first()
    process_inbound(
        session,
        message_id=message.id,
        now=clock.now(),
        dispatcher=Dispatcher(redis.Redis(port=1, socket_connect_timeout=0.2)),
    )
    session.commit()
    queued = phone.messages(status="queued")
    assert len(queued) == 1
    set_service("dispatcher", good, app)
    for _ in range(2):  # two sweeps, one send
        sweep_outbox(
            session,
            now=clock.now() + timedelta(minutes=5),
            after=timedelta(seconds=60),
            dispatcher=good,
        )
        jobs.run(until=clock.now() + timedelta(seconds=5))
    assert len([b for b in transport.bodies_to(NUMBER) if "finding a peer" in b]) == 1
    assert phone.messages(status="queued") == []


def test_without_public_base_url_the_request_url_is_used(app, client, program, monkeypatch):
    """Behind a correctly configured ProxyFix the request's own URL is the public one."""
    from twilio.request_validator import RequestValidator

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    params = _params(program)
    signature = RequestValidator("test-auth-token").compute_signature(
        "https://sms.example.org/sms/inbound", params
    )
    response = client.post(
        "/sms/inbound",
        data=params,
        headers={"X-Twilio-Signature": signature},
        base_url="https://sms.example.org",
    )
    assert response.status_code == 200
