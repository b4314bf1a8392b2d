"""A real PostgreSQL server goes away during a crisis text, with real processes.

PostgreSQL only, by design: the fault is a database *server* becoming
unreachable, which SQLite (a file) cannot do. So the test starts its own
throwaway cluster (initdb + pg_ctl, on a free port, in a temp folder) and its
own Redis, and stops and starts them; the machine's shared servers are never
touched. It therefore does not depend on PEERWORK_TEST_DATABASE_URL and runs
the same in either CI pass; `.ci/run` runs it once (marker `own_servers`).
The app runs under gunicorn with deploy/gunicorn.conf.py, next to a real
`peerwork worker` and `peerwork scheduler`, sending through the real `twilio` client to the local stand-in (tests/fake_twilio.py); every webhook is
signed. The PostgreSQL binaries are required: missing, the test fails.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from peerwork import clock
from peerwork.embedded_redis import EmbeddedRedis
from peerwork.models import Alert, Message
from peerwork.sms import texts
from tests import factories
from tests.conftest import TEST_DATA_KEY, TEST_SECRET
from tests.fake_twilio import FakeTwilio

pytestmark = [pytest.mark.slow, pytest.mark.real_clock, pytest.mark.own_servers]

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
AUTH_TOKEN = "fake-token"
CRISIS = "i want to kill myself tonight"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A throwaway PostgreSQL server of our own (run as `postgres` when we are root)."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            # As with the browser tests: a newcomer's machine with only Python skips it;
            # CI, which has the server, fails instead of skipping.
            message = "needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin)"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        self.bin = Path(found[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="peerwork-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.folder, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *command: str) -> None:
        done = subprocess.run(  # noqa: S603
            [*self.as_user, *command], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
            "-A", "trust", "--no-sync", "-E", "UTF8",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.folder / "server.log"), "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class Processes:
    """gunicorn, `peerwork worker` and `peerwork scheduler`, each in its own process group."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env, self.running = folder, env, []

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop_all)
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        process.log, process.name = log, name
        self.running.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            process.log.close()


def _twiml(body: str) -> list[str]:
    return [element.text or "" for element in ElementTree.fromstring(body).iter("Message")]


def _explain(engine, processes: Processes) -> str:
    """What the messages and processes say, for a failure message."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT direction, kind, status, processed_at IS NOT NULL, count(*) FROM messages "
                "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
            )
        ).all()
    return f"messages: {rows}\n" + "\n".join(
        f"--- {name}\n{processes.log(name)}" for name in ("worker", "scheduler", "web")
    )


class Webhook:
    """Texts the program like Twilio does: a signed POST to gunicorn's /sms/inbound."""

    def __init__(self, base: str, to: str) -> None:
        self.url, self.to = base + "/sms/inbound", to
        self.validator = RequestValidator(AUTH_TOKEN)

    def post(self, sender: str, body: str, sid: str | None = None) -> tuple[int, list[str]]:
        params = {
            "MessageSid": sid or f"SM{uuid.uuid4().hex}",
            "AccountSid": "AC" + "1" * 32,
            "From": sender,
            "To": self.to,
            "Body": body,
            "NumMedia": "0",
        }
        request = urllib.request.Request(  # noqa: S310 - local
            self.url,
            data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": self.validator.compute_signature(self.url, params)},
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
                return response.status, _twiml(response.read().decode())
        except urllib.error.HTTPError as error:
            return error.code, []


def _wait_for(what: str, check, timeout: float, explain=None) -> float:
    start = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - start
        except (OperationalError, OSError):  # a server still coming up
            pass
        assert time.monotonic() - start < timeout, f"{what}: not within {timeout}s. " + (
            explain() if explain else ""
        )
        time.sleep(0.2)


def test_a_crisis_text_is_answered_while_a_real_database_server_is_down(tmp_path):
    """Phase 1: the database down (texts kept on Redis). Phase 2: the database and Redis down
    (texts kept in the web process's local spool file)."""
    redis_server = EmbeddedRedis(tmp_path / "redis")  # our own, stopped in phase 2
    redis_url = redis_server.start()
    cluster = Cluster()
    cluster.init()
    cluster.start()
    engine = None
    processes = None
    try:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PEERWORK_", "TWILIO_"))
            and k not in {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY"}
        }
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env.update(
            PEERWORK_ENV="development",
            PEERWORK_INSTANCE=str(tmp_path / "instance"),
            DATABASE_URL=cluster.url,
            REDIS_URL=redis_url,
            SECRET_KEY=TEST_SECRET,
            PEERWORK_DATA_KEY=TEST_DATA_KEY,
            PEERWORK_QUEUE_PREFIX=f"pg{uuid.uuid4().hex[:6]}",
            PUBLIC_BASE_URL=base,
            PEERWORK_BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY="1",  # one process: it learned the program before the outage
            PEERWORK_THREADS="4",
            PEERWORK_OUTBOX_SWEEP_AFTER="2",
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        )
        upgrade = subprocess.run(  # noqa: S603
            [str(BIN / "peerwork"), "db", "upgrade"],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert upgrade.returncode == 0, upgrade.stderr[-2000:]

        engine = create_engine(cluster.url)
        with Session(engine) as session:
            make = factories.Factory(session, clock.now())
            program = make.program(messages_per_second=30)
            make.peer(program, any_topic=True)
            number = program.sms_number
            session.commit()

        with FakeTwilio(auth_token=AUTH_TOKEN) as twilio:
            env.update(TWILIO_ACCOUNT_SID=twilio.account_sid, TWILIO_API_BASE_URL=twilio.base_url)
            processes = Processes(tmp_path, env)
            processes.start(
                "web", [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
            )
            processes.start("worker", [str(BIN / "peerwork"), "worker"])
            processes.start("scheduler", [str(BIN / "peerwork"), "scheduler"])
            hook = Webhook(base, number)
            _wait_for(
                "gunicorn answers",
                lambda: urllib.request.urlopen(base + "/healthz", timeout=2).status == 200,  # noqa: S310
                60,
            )

            # Before: the web process learns the program from a first text.
            first = "+17165550100"
            status, replies = hook.post(first, "hi")
            assert status == 200 and replies, processes.log("web")

            cluster.stop()  # the database server is gone
            outage_started = time.monotonic()
            sent: list[tuple[str, str, str]] = []  # (sender, body, sid)
            status, replies = hook.post(first, CRISIS, sid=(crisis_sid := f"SM{uuid.uuid4().hex}"))
            sent.append((first, CRISIS, crisis_sid))
            assert status == 200, processes.log("web")
            assert replies == [texts.render("crisis")]  # the crisis reply, in the TwiML
            plain = [f"+1716555{n:04d}" for n in range(201, 211)]
            for sender in plain:
                sid = f"SM{uuid.uuid4().hex}"
                status, replies = hook.post(sender, "hello, is someone there?", sid=sid)
                assert (status, replies) == (200, []), processes.log("web")  # kept, later
                sent.append((sender, "hello, is someone there?", sid))
            # Twilio retries one of them (same MessageSid): still one text.
            assert hook.post(plain[0], "hello, is someone there?", sid=sent[1][2]) == (200, [])
            ready = urllib.request.Request(base + "/readyz")  # noqa: S310
            with pytest.raises(urllib.error.HTTPError) as not_ready:
                urllib.request.urlopen(ready, timeout=5)  # noqa: S310
            assert not_ready.value.code == 503
            time.sleep(2)  # the worker and scheduler run into the outage too
            outage_seconds = time.monotonic() - outage_started

            cluster.start()  # back
            sids = [sid for _sender, _body, sid in sent]

            def stored() -> int:
                with engine.connect() as conn:
                    return conn.scalar(
                        select(func.count())
                        .select_from(Message)
                        .where(Message.twilio_sid.in_(sids))
                    )

            engine.dispose()  # the old pooled connections died with the server
            resumed = _wait_for("every kept text stored", lambda: stored() == len(sent), 60)

            # The dialog carries on: each plain texter gets the welcome through the outbox ...
            welcomed = _wait_for(
                "the replies to the kept texts delivered",
                lambda: all(twilio.received_by(sender) for sender in plain),
                60,
                explain=lambda: _explain(engine, processes),
            )
            # ... and the first texter, who had the crisis reply, goes on texting.
            status, replies = hook.post(first, "1")
            assert status == 200
            _wait_for("the next turn answered", lambda: replies or twilio.received_by(first), 30)

            with Session(engine) as session:
                crisis = session.scalar(select(Message).where(Message.twilio_sid == crisis_sid))
                assert crisis.is_crisis
                _wait_for(
                    "the crisis alert",
                    lambda: session.scalar(select(Alert.id).where(Alert.message_id == crisis.id)),
                    30,
                )
            stored_texts = stored()

            # Phase 2: the database AND Redis down: texts go to the local spool file.
            redis_server.stop()
            cluster.stop()
            both_started = time.monotonic()
            engine.dispose()
            both = [f"+1716555{n:04d}" for n in range(301, 306)]
            sent_both: list[tuple[str, str, str]] = []
            for sender in both:
                sid = f"SM{uuid.uuid4().hex}"
                assert hook.post(sender, "anyone there tonight?", sid=sid) == (200, []), (
                    processes.log("web")
                )
                sent_both.append((sender, "anyone there tonight?", sid))
            crisis_both_sid = f"SM{uuid.uuid4().hex}"
            status, replies = hook.post(plain[1], CRISIS, sid=crisis_both_sid)
            assert (status, replies) == (200, [texts.render("crisis")])
            sent_both.append((plain[1], CRISIS, crisis_both_sid))
            spool = tmp_path / "instance" / "spool"
            on_disk = b"".join(path.read_bytes() for path in spool.iterdir())
            assert on_disk.count(b"\n") == len(sent_both)
            for clear in [b"anyone there", b"kill myself", *(n[2:].encode() for n in both)]:
                assert clear not in on_disk  # nothing in clear on disk
            time.sleep(2)
            both_seconds = time.monotonic() - both_started
            redis_server.start()
            cluster.start()
            sids_both = [sid for _sender, _body, sid in sent_both]

            def stored_both() -> int:
                with engine.connect() as conn:
                    return conn.scalar(
                        select(func.count())
                        .select_from(Message)
                        .where(Message.twilio_sid.in_(sids_both))
                    )

            resumed_both = _wait_for(
                "every text of the local spool stored",
                lambda: stored_both() == len(sent_both),
                60,
                explain=lambda: _explain(engine, processes),
            )
            replied_both = _wait_for(
                "the replies to the locally kept texts delivered",
                lambda: all(twilio.received_by(sender) for sender in both),
                60,
                explain=lambda: _explain(engine, processes),
            )
            assert list(spool.iterdir()) == []  # every file ingested and removed
            stored_both_count = stored_both()

            with engine.connect() as conn:
                # One row per text, however often it was posted: count rows per (texter, body).
                duplicated = conn.scalar(
                    text(
                        "SELECT coalesce(sum(n - 1), 0) FROM (SELECT texter_id, body, count(*) n "
                        "FROM messages WHERE direction = 'inbound' GROUP BY 1, 2) d"
                    )
                )
            replies_out = {s: twilio.received_by(s) for s in plain + both}
            delivered = sum(len(bodies) for bodies in replies_out.values())
            delivered_twice = sum(len(b) - len(set(b)) for b in replies_out.values())
            crisis_resent = sum(
                twilio.received_by(s).count(texts.render("crisis")) for s in (first, plain[1])
            )
            for process in processes.running:  # nothing died of the outages
                assert process.poll() is None, processes.log(process.name)
    finally:
        if processes is not None:
            processes.stop_all()
        if engine is not None:
            engine.dispose()
        cluster.remove()
        redis_server.stop()

    print(
        f"\nreal PostgreSQL down {outage_seconds:.1f}s during a crisis text: "
        f"{len(sent) + 1} webhooks (one a Twilio retry), all 200, the crisis reply in the "
        f"TwiML; stored {stored_texts} of {len(sent)} texts {resumed:.1f}s after the server "
        f"was back, their replies out {resumed + welcomed:.1f}s after.\n"
        f"PostgreSQL and Redis down {both_seconds:.1f}s: {len(sent_both)} webhooks, all 200 "
        f"(local spool file, nothing in clear); stored {stored_both_count} of {len(sent_both)} "
        f"{resumed_both:.1f}s after both were back, their replies out "
        f"{resumed_both + replied_both:.1f}s after.\n"
        f"Overall: texts sent {len(sent) + len(sent_both) + 2}, inbound rows duplicated "
        f"{duplicated}, replies delivered {delivered} ({delivered_twice} twice), crisis reply "
        f"sent again {crisis_resent}"
    )
    assert stored_texts == len(sent) and stored_both_count == len(sent_both)
    assert duplicated == 0 and delivered_twice == 0
    assert crisis_resent == 0  # the crisis reply given in the TwiML is not sent again
