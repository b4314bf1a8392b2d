"""How long does a message take to cross peerwork, idle and with an outbound burst in flight?

Two latencies, in wall-clock time, against the app's real pieces:

- inbound-to-peer: a texter's signed webhook POST until the message is
  processed and in the peer's thread (the dialog job has run);
- peer-to-outbound: a peer's reply (written and committed) until the SMS
  provider accepted it (the local Twilio stand-in, tests/fake_twilio.py,
  called by the real `twilio` client from the worker).

Each is measured idle, and with a 20-reply burst from the peer to the same
texter in flight (kept topped up to 20 while samples are taken). The burst
goes out one message a second (a long code's rate, `--mps`), in order.

    python benchmarks/relay.py
    python benchmarks/relay.py --workers 2 --mps 1
    python benchmarks/relay.py --database-url postgresql+psycopg://postgres@127.0.0.1/test \\
        --redis-url redis://127.0.0.1:6379/14

By default: a SQLite file and an embedded Redis in a temp folder. With
--database-url a fresh database is created next to the given one and
dropped after; --redis-url's database is flushed. The workers are
`python -m peerwork worker` processes (one, like `peerwork run`, by default).

Measured on 2 cores (shared), one message a second, p50 / p95:

| | before (#12) | SQLite, 1 worker | PostgreSQL, 2 workers |
|---|---|---|---|
| inbound-to-peer, idle | 0.19 / 0.22 s | 0.16 / 0.28 s | 0.24 / 0.31 s |
| inbound-to-peer, burst in flight | 15.9 / 17.6 s | 0.32 / 0.76 s | 0.35 / 0.41 s |
| peer-to-outbound, idle | 0.24 / 1.8 s | 0.36 / 0.56 s | 0.36 / 0.43 s |
| peer-to-outbound, other texter, burst | 5.9 / 13.0 s | 2.0 / 2.9 s | 1.9 / 2.1 s |
| burst delivered in order | no | yes | yes |

With a burst in flight, another texter's reply shares the number's one
message a second with the burst's line (they alternate): about 2 s.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import redis as redis_lib
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from peerwork import clock, create_app  # noqa: E402
from peerwork.conversations import peer_reply  # noqa: E402
from peerwork.db import Base  # noqa: E402
from peerwork.embedded_redis import EmbeddedRedis  # noqa: E402
from peerwork.extensions import db, get_dispatcher  # noqa: E402
from peerwork.matching.offers import accept_offer  # noqa: E402
from peerwork.models import Message, Offer  # noqa: E402
from tests.factories import Factory  # noqa: E402
from tests.fake_twilio import FakeTwilio  # noqa: E402

BASE = "https://relay.bench"
SECRET = "relay-benchmark-secret-" + "x" * 32
DATA_KEY = base64.urlsafe_b64encode(b"r" * 32).decode()
BURST = 20


class TimedTwilio(FakeTwilio):
    """The stand-in, noting when it accepted each body (this process's perf_counter)."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted_at: dict[str, float] = {}

    def _record(self, form: dict) -> dict:
        record = super()._record(form)
        self.accepted_at.setdefault(form.get("Body") or "", time.perf_counter())
        return record


def _wait(predicate, timeout: float = 60.0, every: float = 0.002):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        found = predicate()
        db.session.rollback()  # a fresh snapshot next time; no lock held on SQLite
        if found:
            return found
        time.sleep(every)
    raise TimeoutError("waited too long")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{name:<44} n={len(ms):<3} p50={statistics.median(ms):8.1f} ms"
        f"  p95={_pct(ms, 0.95):8.1f} ms  max={max(ms):8.1f} ms"
    )


class Bench:
    def __init__(self, app, client, twilio: TimedTwilio, program, profile) -> None:
        self.app, self.client, self.twilio = app, client, twilio
        self.program, self.profile = program, profile
        self.validator = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])
        self.conversations: dict[str, int] = {}
        self.n = 0

    def text_in(self, number: str, body: str) -> str:
        sid = f"SM{uuid.uuid4().hex}"
        params = {
            "MessageSid": sid,
            "AccountSid": self.twilio.account_sid,
            "From": number,
            "To": self.program.sms_number,
            "Body": body,
            "NumMedia": "0",
        }
        signature = self.validator.compute_signature(BASE + "/sms/inbound", params)
        response = self.client.post(
            "/sms/inbound",
            data=urlencode(params),
            headers={"X-Twilio-Signature": signature},
            content_type="application/x-www-form-urlencoded",
            base_url=BASE,
        )
        assert response.status_code == 200, response.status_code
        return sid

    def connect(self, number: str) -> None:
        self.text_in(number, "hi")
        self.text_in(number, "1")
        offer_id = _wait(
            lambda: db.session.scalar(
                select(Offer.id).where(
                    Offer.peer_profile_id == self.profile.id, Offer.state == "open"
                )
            )
        )
        conversation = accept_offer(
            db.session,
            offer_id=offer_id,
            peer_profile_id=self.profile.id,
            now=clock.now(),
            dispatcher=get_dispatcher(),
        )
        db.session.commit()
        self.conversations[number] = conversation.id

    def reply(self, number: str, body: str) -> None:
        peer_reply(
            db.session,
            conversation_id=self.conversations[number],
            peer_profile_id=self.profile.id,
            body=body,
            now=clock.now(),
            dispatcher=get_dispatcher(),
        )
        db.session.commit()

    def pending_to(self, number: str) -> int:
        count = db.session.scalar(
            select(func.count(Message.id)).where(
                Message.conversation_id == self.conversations[number],
                Message.direction == "outbound",
                Message.status.in_(("queued", "sending")),
            )
        )
        db.session.rollback()
        return count or 0

    def top_up(self, number: str) -> None:
        """Keep a 20-reply burst to `number` in flight."""
        for _ in range(BURST - self.pending_to(number)):
            self.n += 1
            self.reply(number, f"burst reply {self.n}")

    def drain(self, timeout: float = 600.0) -> None:
        def nothing_pending():
            return not db.session.scalar(
                select(func.count(Message.id)).where(
                    Message.direction == "outbound", Message.status.in_(("queued", "sending"))
                )
            )

        _wait(nothing_pending, timeout=timeout, every=0.05)

    def inbound_to_peer(self, number: str, body: str) -> float:
        start = time.perf_counter()
        sid = self.text_in(number, body)
        _wait(
            lambda: db.session.scalar(
                select(Message.id).where(
                    Message.twilio_sid == sid,
                    Message.processed_at.is_not(None),
                    Message.conversation_id.is_not(None),
                )
            )
        )
        return time.perf_counter() - start

    def peer_to_outbound(self, number: str, body: str) -> float:
        start = time.perf_counter()
        self.reply(number, body)
        accepted = _wait(lambda: self.twilio.accepted_at.get(body), timeout=120)
        return accepted - start


def _start_worker(app, twilio, instance: Path, n: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEERWORK_TEST_")}
    env.update(
        PEERWORK_ENV="development",
        PEERWORK_INSTANCE=str(instance / f"worker{n}"),
        DATABASE_URL=app.config["DATABASE_URL"],
        REDIS_URL=app.config["REDIS_URL"],
        SECRET_KEY=SECRET,
        PEERWORK_DATA_KEY=DATA_KEY,
        PEERWORK_QUEUE_PREFIX=app.config["RQ_QUEUE_PREFIX"],
        PUBLIC_BASE_URL=BASE,
        TWILIO_ACCOUNT_SID=twilio.account_sid,
        TWILIO_AUTH_TOKEN=twilio.auth_token,
        TWILIO_API_BASE_URL=twilio.base_url,
    )
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "peerwork", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def run(database_url: str, redis_url: str, instance: Path, args) -> None:
    twilio = TimedTwilio()
    with twilio:
        app = create_app(
            {
                "SECRET_KEY": SECRET,
                "DATA_KEY": DATA_KEY,
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "RQ_QUEUE_PREFIX": f"relay{uuid.uuid4().hex[:6]}",
                "PUBLIC_BASE_URL": BASE,
                "TWILIO_ACCOUNT_SID": twilio.account_sid,
                "TWILIO_AUTH_TOKEN": twilio.auth_token,
                "TWILIO_API_BASE_URL": twilio.base_url,
            },
            instance_path=str(instance / "web"),
        )
        Base.metadata.create_all(app.extensions["peerwork.db"])
        workers = [_start_worker(app, twilio, instance, n) for n in range(args.workers)]
        try:
            with app.app_context():
                make = Factory(db.session, clock.now())
                program = make.program(messages_per_second=args.mps)
                profile = make.peer(program, alias="Robin", capacity=5)
                db.session.commit()
                bench = Bench(app, app.test_client(), twilio, program, profile)
                texter, other = "+17165550401", "+17165550402"
                bench.connect(texter)
                bench.connect(other)
                bench.drain()
                results = []

                idle = [
                    bench.inbound_to_peer(texter, f"idle text {i}") for i in range(args.samples)
                ]
                results.append(_summary("inbound-to-peer, idle", idle))

                busy = []
                for i in range(args.samples):
                    bench.top_up(texter)
                    busy.append(bench.inbound_to_peer(texter, f"busy text {i}"))
                    time.sleep(0.2)
                results.append(_summary(f"inbound-to-peer, {BURST}-reply burst in flight", busy))
                bench.drain()

                idle_out = []
                for i in range(args.samples):
                    idle_out.append(bench.peer_to_outbound(other, f"idle reply {i}"))
                    time.sleep(1.0 / args.mps + 0.05)  # stay under the number's rate
                results.append(_summary("peer-to-outbound, idle", idle_out))

                busy_out = []
                for i in range(args.samples):
                    bench.top_up(texter)
                    busy_out.append(bench.peer_to_outbound(other, f"busy reply {i}"))
                results.append(
                    _summary(
                        f"peer-to-outbound (other texter), {BURST}-reply burst in flight", busy_out
                    )
                )
                bench.drain()
                sent = [b for b in twilio.received_by(texter) if b.startswith("burst reply")]
                in_order = sent == sorted(sent, key=lambda b: int(b.rsplit(" ", 1)[1]))
                results.append(
                    f"burst replies delivered: {len(sent)}, in the order written: {in_order}"
                )
                print("\n".join(results))
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
            app.extensions["peerwork.db"].dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL server (a fresh database is made)")
    parser.add_argument("--redis-url", help="a Redis database to use (it is flushed)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--mps", type=int, default=1, help="the number's messages per second")
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args(argv)
    print(
        f"cores: {os.cpu_count()}  workers: {args.workers}  messages/second: {args.mps}  "
        f"database: {'postgresql' if args.database_url else 'sqlite'}  "
        f"redis: {'given' if args.redis_url else 'embedded'}"
    )
    with tempfile.TemporaryDirectory(prefix="peerwork-relay-") as tmp:
        instance = Path(tmp)
        server = None
        if args.redis_url:
            redis_url = args.redis_url
            redis_lib.Redis.from_url(redis_url).flushdb()
        else:
            server = EmbeddedRedis(instance / "redis")
            redis_url = server.start()
        try:
            if not args.database_url:
                run("sqlite:///" + str(instance / "relay.sqlite3"), redis_url, instance, args)
                return 0
            url = make_url(args.database_url)
            name = f"peerwork_relay_{uuid.uuid4().hex[:10]}"
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                run(
                    url.set(database=name).render_as_string(hide_password=False),
                    redis_url,
                    instance,
                    args,
                )
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        finally:
            if server is not None:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
