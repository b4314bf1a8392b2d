"""Health: a cheap liveness probe, and a readiness probe that asks the database and Redis."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from rq import Worker

from peerwork import create_app
from peerwork.extensions import get_dispatcher, get_redis
from peerwork.models import Message
from peerwork.sms import sender
from tests.conftest import TEST_DATA_KEY, TEST_SECRET

CLOSED_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"
CLOSED_REDIS = "redis://127.0.0.1:1/0"


def _other_app(app, tmp_path, **changes):
    config = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "DATA_KEY": TEST_DATA_KEY,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "REDIS_URL": app.config["REDIS_URL"],
        "RQ_QUEUE_PREFIX": app.config["RQ_QUEUE_PREFIX"],
        **changes,
    }
    return create_app(config, instance_path=str(tmp_path))


def test_liveness_is_cheap_and_needs_nothing(app, tmp_path):
    broken = _other_app(app, tmp_path, DATABASE_URL=CLOSED_POSTGRES, REDIS_URL=CLOSED_REDIS)
    response = broken.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_when_database_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    report = response.get_json()
    assert report["status"] == "ready"
    assert report["checks"]["database"]["ok"] is True
    assert report["checks"]["redis"]["ok"] is True
    assert set(report["queues"]) == {"urgent", "default", "messages", "maintenance"}


def test_not_ready_when_the_database_is_down(app, tmp_path):
    broken = _other_app(app, tmp_path, DATABASE_URL=CLOSED_POSTGRES)
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    report = response.get_json()
    assert report["status"] == "unavailable"
    assert report["checks"]["database"]["ok"] is False
    assert report["checks"]["redis"]["ok"] is True
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no connection details


def test_not_ready_when_redis_is_down(app, tmp_path):
    broken = _other_app(app, tmp_path, REDIS_URL=CLOSED_REDIS)
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    report = response.get_json()
    assert report["checks"]["redis"]["ok"] is False
    assert report["checks"]["database"]["ok"] is True
    assert report["queues"] is None


def test_readiness_reports_backlogs_without_numbers_or_words(client, make, now):
    program = make.program()
    texter = make.texter(program, "+17165550142")
    session = make.session
    session.add_all(
        [
            Message(
                program_id=program.id,
                direction="inbound",
                author="texter",
                texter_id=texter.id,
                body="a very private sentence",
                status="received",
                created_at=now - timedelta(minutes=5),
            ),
            Message(
                program_id=program.id,
                direction="outbound",
                author="system",
                recipient="texter",
                texter_id=texter.id,
                body="another private sentence",
                status="queued",
                created_at=now - timedelta(minutes=2),
                queued_at=now - timedelta(minutes=2),
            ),
        ]
    )
    session.commit()
    get_dispatcher().enqueue(sender.send_message, 999999, queue="messages")

    response = client.get("/readyz")
    report = response.get_json()
    assert report["messages"]["oldest_unprocessed_inbound_seconds"] == 300
    assert report["messages"]["oldest_queued_outbound_seconds"] == 120
    assert report["queues"]["messages"] == 1
    text = response.get_data(as_text=True)
    assert "private sentence" not in text and "7165550142" not in text


def test_readiness_reports_worker_heartbeats(client, app, travel):
    dispatcher = get_dispatcher()
    worker = Worker(
        dispatcher.all_queues(), connection=get_redis(app), name=f"w-{uuid.uuid4().hex[:8]}"
    )
    worker.register_birth()
    try:
        worker.heartbeat()
        travel.shift(30)
        report = client.get("/readyz").get_json()
    finally:
        worker.register_death()
    assert report["workers"]["count"] == 1
    assert report["workers"]["oldest_heartbeat_seconds"] == pytest.approx(30, abs=1)
