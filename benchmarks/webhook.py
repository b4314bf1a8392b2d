"""How fast is the inbound webhook, against a bare endpoint, and do the workers keep up?

Run by hand (never in the test suite); it starts everything it measures:

- a bare baseline: a tiny Flask app that checks the Twilio signature and does
  one INSERT into the same database (`bare_app` below), and peerwork
  (`wsgi:app`), each under the same gunicorn settings (`--gunicorn-workers`
  sync workers), on the same PostgreSQL and Redis;
- closed loop: `--clients` clients post signed webhooks back to back, in
  alternating rounds (bare, app, bare, app...): req/s, p50/p99, and the
  app's ratio to the baseline. The app's texters are returning ones (200,
  cycling, waiting for a peer, so each text also enqueues its dialog job);
- open loop: texts arrive on a schedule, 20/s with a 50/s burst of 2 s every
  10 s; latency from the scheduled moment (so a backlog counts), p50/p99;
- first contact: a new number each request, at 1k, 10k and 100k existing
  texters in the program (bulk-inserted): req/s at each size;
- drain: texts at 50/s for `--drain-seconds` (60) with 1 and then 2
  `peerwork worker` processes running, each text a dialog job and a reply
  sent through the local transport (the outbox; no Twilio): how long after
  the load ends until every text is processed and every reply sent;
- profile: in-process, cProfile and a statement count per webhook, per
  `process_inbound` job and per `send_message` job.

    python benchmarks/webhook.py --database-url postgresql+psycopg://postgres@127.0.0.1/test \\
        --redis-url redis://127.0.0.1:6379/6
    python benchmarks/webhook.py ... --quick            # short rounds (about 3 minutes)
    python benchmarks/webhook.py ... --only closed,open # some parts only

Latest, 2026-11-30 07:00-07:30, after the fast path for a returning texter's
ordinary text (one INSERT with no ORM object; see texter/inbound.py
`_store_for_the_job`), on a slower 2-core machine than the rows below (AMD
EPYC VM at 2.45 GHz: the bare endpoint's gunicorn workers used 2.8-3.4 ms of
CPU a request here, 1.1-1.3 ms there), otherwise quiet:

| | load avg | result | target |
|---|---|---|---|
| closed loop, 20 clients, 5 x 10 s | 4.9-5.7 | bare 377-410 req/s (p99 67-93 ms); peerwork 213-240 req/s (p99 109-140 ms): 0.56, 0.57, 0.54, 0.59, 0.61 (median 0.57) | >= 0.5x: met |
| the same before the fast path, 3 x 10 s | 0.9-5.0 | bare 385-431 req/s; peerwork 174-177 req/s: 0.41, 0.45, 0.44 | |
| CPU a request, closed loop (/proc), before -> after | | webhook workers 8.0-9.4 -> 5.9-6.8 ms (bare 2.8-3.4); PostgreSQL 1.1-1.2 -> 0.8-1.0 ms (bare 0.5-0.6) | |
| open loop 20/s + 50/s bursts, 30 s | 2.4 | peerwork p50 9.9 ms, p99 14.4 ms (bare p99 10.1 ms) | p99 < 100 ms: met |
| first contact (7 statements, was 6), 5 x 10 s and 3 x 10 s per size | 4.8-5.7 | 100.3 / 96.5 / 90.8 req/s at 1k / 10k / 100k: -9.5%; again: 104.9 / 100.9 / 109.0: +3.9% | within 10%: met (noise about 10%) |
| 50/s for 60 s, then drain, 2 workers | 3.5 | every inbound text processed 1.1 s after the load (57 waiting at its end); every reply sent 31.8 s after (2,746 waiting at the end: the dialog jobs come first); CPU a text: workers 31.8 ms, gunicorn 7.2, PostgreSQL 9.8 (2.4 cores' worth at 50/s on 2 cores) | inbound <= 10 s: met; replies: not within 10 s on this machine |
| the same, 1 worker | 1.6 | inbound 31.3 s after; every reply 103.6 s after | |
| the same, 2 workers, after the worker's hot statements were built once (11bc076, d5e7a15): two runs | 2.5, 3.2 | inbound 0.3 s after both times; every reply 8.1 s and 18.8 s after (730 and 1,769 waiting at the end); CPU a text: workers 22.1 and 26.4 ms, gunicorn 6.0 and 7.2, PostgreSQL 8.6 and 9.6 | replies <= 10 s: once in two |
| the same, 1 worker, after | 1.3 | inbound 8.7 s after (was 31.3); every reply 56.0 s after (was 103.6) | |
| workers part, 600 stored texts, 2 workers: before (2d758ca) / after, alternating | 1-2.5 | 37.1, 34.7, 40.5 texts/s / 40.5, 38.3, 47.3, 42.1 texts/s | |
| profile part (cProfile, in-process) | 1.2 | returning texter 2 statements, 13.5 ms (was 18.4 on this machine); first contact 7, 26.4 ms; process_inbound 7, 35.5 ms; send 4, 22.8 ms | |

Earlier, 2026-11-30 05:00-05:30, main with h17c and h17d merged, the machine
otherwise quiet (2 cores, PostgreSQL and Redis on the same host, gunicorn 5
sync workers for both servers):

| | load avg | result | target |
|---|---|---|---|
| closed loop, 20 clients, 5 x 10 s | 2.6-5.3 | bare 814-1,038 req/s (p99 25-34 ms); peerwork 355-437 req/s (p99 63-92 ms): 0.42, 0.42, 0.42, 0.44, 0.42 | >= 0.5x: NOT met |
| the same, 3 x 10 s, a run before | 2.5-5.1 | 0.39, 0.43, 0.53 (median 0.43) | |
| the same on main at 26db810 (before h17c/h17d), 03:45 | 0.4-4.5 | bare 1,206-1,322 req/s; peerwork 439-508 req/s: 0.41, 0.36, 0.36 | |
| open loop 20/s + 50/s bursts, 30 s | 0.9-1.1 | peerwork p50 7.3 ms, p99 10.6 ms (bare p99 5.3 ms) | p99 < 100 ms: met |
| first contact, 3 x 10 s per size | 1-4.4 | 210 / 268 / 228 req/s at 1k / 10k / 100k texters: +8.6% | within 10%: met |
| 50/s for 60 s, then drain, 2 workers | 2.7 | inbound all processed 0.3 s after the load; every reply sent 3.2 s after (289 waiting at the end); CPU a text: workers 20.2 ms, gunicorn 5.8, PostgreSQL 8.9 | <= 10 s: met |
| the same, 1 worker | 2.3 | inbound 0.3 s after; every reply 19.9 s after (1,746 waiting at the end) | |
| the same on main at 26db810, 03:46 | 4 | 2 workers: inbound 0.6 s, replies 48.5 s after; 1 worker: inbound 0.8 s, replies 49.4 s | |

Earlier, 2026-11-30 on the shared 2-core development machine (PostgreSQL and
Redis on the same host, gunicorn 5 sync workers for both servers):

| | load avg | result | target |
|---|---|---|---|
| closed loop, 20 clients, 3 x 6 s | 3-5 | bare 630-700 req/s (p99 44-47 ms); peerwork 173-184 req/s (p99 145-162 ms): 0.26-0.29x | >= 0.5x: NOT met |
| open loop 20/s + 50/s bursts, 20 s | 4-5 | peerwork p50 12.0 ms, p99 18.5 ms (bare p99 13.9 ms) | p99 < 100 ms: met |
| first contact, 3 x 10 s per size | 15-19 | 12.9 / 12.4 / 12.4 req/s at 1k / 10k / 100k: -3.9% | within 10%: met |
| 50/s for 60 s, then drain | 5-15 | not drained in 60-120 s with 1 or 2 workers | <= 10 s with 2: NOT met |
| the same, in-process worker really not forking (h17b) | 5-9 | 2 workers: every inbound text processed 2.5 s after the load (110 waiting at its end); 1,180 of 3,000 replies still unsent 45 s after | inbound <= 10 s with 2: met |
| workers: 600-text backlog (h17b) | 6 | 1 worker 11.3 texts/s, 2 workers 23.8 texts/s (was: 2 no faster than 1) | |
| 50/s for 60 s, then drain: before h17d (main at 26db810), back to back with the next row | 8-15 | 1 worker: 1,518 replies unsent 120 s after; 2 workers: every inbound processed 16.0 s after, every reply sent 76.4 s after (an earlier run, load 8-11: 2.1 s and 77.9 s) | <= 10 s with 2: NOT met |
| the same, h17d (a line of replies to one texter goes out up to 5 to a job; 4 statements a send, was 7; 7 a dialog job, was 8) | 13-15 | 1 worker: 483 unsent 120 s after; 2 workers: inbound 0.3 s after, every reply sent 33.0 s after | NOT met |
| the same, h17d, quieter | 4-6 | 2 workers: inbound 0.3 s, every reply 30.0 s after (2,688 replies waiting when the load ended: the dialog jobs come first); 1 worker: inbound 5.0 s, 16 replies unsent at 120 s | NOT met |
| where the CPU goes (h17d, 2 workers, the row above) | 4-6 | per text with its reply: workers 18.6 ms, gunicorn 6.4 ms, PostgreSQL 5.8 ms (about 31 ms: 50/s is 1.5 cores); processes outside the benchmark used about two thirds of the machine's CPU during these runs | |
| workers: 1,200-text backlog (h17d; main alongside) | 3-7 | 1 worker 23.4 and 21.7 texts/s (main 31.3 and 18.0: noise dominates); replies phase alone 23.5 s (main 33.5 s) | |
| in-process burst worker, 600 stored texts (h17d scratch measure) | 7-8 | worker CPU 29.7 -> 18-20 ms a text, PostgreSQL 5.2 -> 3.6-4.0 ms, statements 15 -> 10 a text | |

In-process, per returning-texter webhook: 2 statements (was 8 with its
savepoints), 1 Redis round trip (was 4), about 7.6 ms of CPU (the bare
endpoint 2.2 ms); a first contact 6 statements (was 16).

h17c (issue #17), measured 2026-11-30 04:23-04:36 at load average 9-18 (other
helpers' work on the 2 cores: absolute req/s are a third of a quiet machine's),
main and h17c alternating, two runs each of `--only profile,closed`:

| | main (26db810) | h17c |
|---|---|---|
| closed loop ratio per round, run 1 | 0.32, 0.33, 0.26 (load 9-14) | 0.35, 0.40, 0.31 (load 14-18) |
| closed loop ratio per round, run 2 | 0.41, 0.33, 0.27 (load 15) | 0.24, 0.39, 0.34 (load 14) |
| PostgreSQL round trips, returning texter | 5 (ping, BEGIN, SELECT, INSERT, COMMIT) | 2 (SELECT, INSERT) |
| CPU per request, gunicorn workers (4 rounds) | 5.39, 5.21, 5.70, 4.84 ms | 4.15, 4.70, 4.23, 4.34 ms |
| CPU per request, PostgreSQL backends | 0.70, 0.61, 0.66, 0.61 ms | 0.54, 0.55, 0.59, 0.59 ms |
| the bare endpoint's workers, same rounds | 1.31, 1.44, 1.30, 1.20 ms | 1.13, 1.14, 1.16, 1.26 ms |
| in-process, server side only, min of 8 x 200 (7 runs each) | 2.59-3.23 ms CPU | 2.19-2.83 ms CPU |
| profile part: returning texter, cProfile (2 runs) | 20.9, 19.3 ms | 17.6, 16.7 ms |

(CPU per request: utime+stime of the gunicorn workers and of the bench
database's PostgreSQL backends over a closed-loop round, divided by requests.)
The webhook workers' CPU is down 18% (5.29 -> 4.36 ms mean), but the bare
endpoint's also ran 11% cheaper in those rounds: relative to it, 4.04x ->
3.72x (-8%); in-process 15%; PostgreSQL's CPU -12%. A third was NOT reached. The ratio to
the bare endpoint moved within its noise (0.26-0.41 -> 0.24-0.40): target
>= 0.5 NOT met. Where a returning texter's webhook CPU still goes (py-spy
--gil on the gunicorn workers, h17c): receive 49% (the ORM SELECT of program
and texter 22%, the INSERT 13%, crisis assess 4.5%), RQ enqueue 11%, the
session's connection checkout 8.6%, Flask before_request (form parse, guards)
6%, the rest Flask/werkzeug around it. Per part, in-process CPU (each with
its checkout and rollback): program+texter SELECT 1,036 -> 763 us (built
once), message INSERT 718-754 -> 618-691 us (on the connection), TwiML 52 ->
~3 us, sender parse 27 -> ~1 us (North American E.164), assess 61 us and the
RQ enqueue 272 us unchanged (a pipeline without MULTI saved 20-30 us: dropped).

A fresh database is created next to --database-url and dropped after; the
--redis-url database is flushed. Results are printed with the machine's core
count and load average: a shared machine skews every number.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import http.client
import io
import itertools
import os
import pstats
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import redis as redis_lib
from flask import Flask, Response, abort, request
from sqlalchemy import create_engine, event, func, insert, select, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from peerwork import clock, create_app, jobs  # noqa: E402
from peerwork.db import Base  # noqa: E402
from peerwork.extensions import db, get_vault  # noqa: E402
from peerwork.models import Message, Texter  # noqa: E402
from peerwork.privacy.crypto import PSEUDONYM_HIGH  # noqa: E402
from tests.factories import Factory  # noqa: E402

BASE = "https://webhook.bench"
PATH = "/sms/inbound"
AUTH_TOKEN = "bench-auth-token"
SECRET = "webhook-benchmark-secret-" + "x" * 32
DATA_KEY = base64.urlsafe_b64encode(b"w" * 32).decode()
PROGRAM_NUMBER = "+15855550100"
RETURNING = 200
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


# -- the bare baseline (served by gunicorn: "benchmarks.webhook:bare_app()") ---------


def bare_app() -> Flask:
    """Signature check + one INSERT into the same database: the least a webhook can do."""
    engine = create_engine(os.environ["BENCH_DATABASE_URL"], pool_pre_ping=True)
    validator = RequestValidator(AUTH_TOKEN)
    app = Flask("bare")
    statement = text("INSERT INTO bench_inbound (sid, from_number, body) VALUES (:sid, :f, :b)")

    @app.get("/healthz")
    def healthz():
        return "ok"

    @app.post(PATH)
    def inbound():
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(BASE + PATH, request.form, signature):
            abort(403)
        form = request.form
        with engine.begin() as conn:
            conn.execute(
                statement, {"sid": form["MessageSid"], "f": form["From"], "b": form["Body"]}
            )
        return Response(EMPTY_TWIML, mimetype="text/xml")

    return app


# -- load ----------------------------------------------------------------------------


def _post(port: int, number: str, body: str, n: int) -> tuple[int, float]:
    params = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC" + "0" * 32,
        "From": number,
        "To": PROGRAM_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(AUTH_TOKEN).compute_signature(BASE + PATH, params)
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            PATH,
            body=urlencode(params),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
                "X-Forwarded-Proto": "https",
                "Host": BASE.split("//")[1],
            },
        )
        status = conn.getresponse().status
    finally:
        conn.close()
    return status, time.perf_counter() - started


def _numbers(kind: str, offset: int):
    if kind == "returning":
        # Each load process starts elsewhere in the cycle: one texter does not
        # text from four phones at once (their UPDATEs would queue on its row).
        start = (offset * 53) % RETURNING
        order = [*range(start, RETURNING), *range(start)]
        return itertools.cycle(f"+1716555{n:04d}" for n in order)
    return (f"+1212{offset:03d}{n:04d}" for n in itertools.count())


def _closed_loop_process(port: int, seconds: float, threads: int, kind: str, offset: int):
    """One load process: `threads` clients back to back for `seconds`."""
    numbers = _numbers(kind, offset)
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    deadline = time.perf_counter() + seconds

    def client():
        while time.perf_counter() < deadline:
            with lock:
                number = next(numbers)
            try:
                status, took = _post(port, number, "Work stress", 0)
            except OSError:
                status, took = 0, 0.0
            with lock:
                if status == 200:
                    latencies.append(took)
                else:
                    errors[0] += 1

    pool = [threading.Thread(target=client) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies, errors[0]


def closed_loop(port: int, seconds: float, clients: int, kind: str = "returning") -> dict:
    processes = max(1, min(4, clients // 5))
    per = max(1, clients // processes)
    offset = random.randrange(1000)
    with ProcessPoolExecutor(processes) as pool:
        futures = [
            pool.submit(_closed_loop_process, port, seconds, per, kind, (offset + i) % 1000)
            if kind == "new"
            else pool.submit(_closed_loop_process, port, seconds, per, kind, i)
            for i in range(processes)
        ]
        results = [f.result() for f in futures]
    latencies = [x for lat, _ in results for x in lat]
    errors = sum(e for _, e in results)
    return _stats(latencies, seconds, errors)


def open_loop(port: int, seconds: float, base: int = 20, burst: int = 50) -> dict:
    """Arrivals on a schedule: `base`/s, and `burst`/s for 2 s of every 10 s."""
    schedule, t = [], 0.0
    while t < seconds:
        rate = burst if (t % 10) >= 8 else base
        schedule.append(t)
        t += 1.0 / rate
    numbers = _numbers("returning", 0)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def fire(at: float, number: str):
        try:
            status, _took = _post(port, number, "Work stress", 0)
        except OSError:
            status = 0
        with lock:
            if status == 200:
                latencies.append(time.perf_counter() - (start + at))  # from the scheduled moment
            else:
                errors[0] += 1

    with ThreadPoolExecutor(64) as pool:
        for at in schedule:
            delay = start + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(fire, at, next(numbers))
    return _stats(latencies, seconds, errors[0])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def _stats(latencies: list[float], seconds: float, errors: int) -> dict:
    return {
        "n": len(latencies),
        "rps": len(latencies) / seconds,
        "p50": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99": _pct(latencies, 0.99) * 1000,
        "errors": errors,
    }


def _line(name: str, s: dict) -> str:
    return (
        f"  {name:<34} {s['rps']:8.1f} req/s  p50 {s['p50']:6.1f} ms  p99 {s['p99']:6.1f} ms"
        f"  (n={s['n']}, errors={s['errors']})"
    )


# -- servers -------------------------------------------------------------------------


def _env(database_url: str, redis_url: str, prefix: str, instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEERWORK_TEST_")}
    env.update(
        PEERWORK_ENV="development",
        PEERWORK_INSTANCE=str(instance),
        DATABASE_URL=database_url,
        BENCH_DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=SECRET,
        PEERWORK_DATA_KEY=DATA_KEY,
        PEERWORK_QUEUE_PREFIX=prefix,
        PUBLIC_BASE_URL=BASE,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        PEERWORK_PROXY_HOPS="1",
        FORWARDED_ALLOW_IPS="127.0.0.1",
    )
    env.pop("TWILIO_ACCOUNT_SID", None)  # the local transport: nothing leaves the machine
    return env


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _gunicorn(target: str, port: int, env: dict, workers: int) -> subprocess.Popen:
    if not _port_is_free(port):
        raise RuntimeError(f"port {port} is taken (a server left from an earlier run?): --port")
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--forwarded-allow-ips",
            "127.0.0.1",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180  # a loaded machine boots five workers slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn {target} exited ({process.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            conn.getresponse()
            conn.close()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"gunicorn {target} did not start")


def _warm(port: int, clients: int, seconds: float = 3.0) -> None:
    """Unmeasured load first: every gunicorn worker booted and past its first requests."""
    closed_loop(port, seconds, clients)


def _stop(process: subprocess.Popen) -> None:
    """Stop a server or worker and its children (each leads its own process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _worker(env: dict, n: int, instance: Path) -> subprocess.Popen:
    env = {**env, "PEERWORK_INSTANCE": str(instance / f"worker{n}")}
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "peerwork", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _cpu_seconds(pgids: dict[str, int], database: str) -> dict[int, tuple[str, float]]:
    """CPU seconds used so far, per process (Linux /proc; empty elsewhere): those of
    each named process group, and the PostgreSQL backends serving `database`."""
    by_pgid = {pgid: name for name, pgid in pgids.items()}
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            name = by_pgid.get(int(fields[2]))
            if name is None:
                command = (entry / "cmdline").read_bytes()
                if command.startswith(b"postgres") and database.encode() in command:
                    name = "postgres"
            if name is not None:
                found[int(entry.name)] = (name, (int(fields[11]) + int(fields[12])) / _TICK)
        except (OSError, IndexError, ValueError):
            continue
    return found


def _cpu_used(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per name between two `_cpu_seconds` readings (a process that ended is lost)."""
    used: dict[str, float] = {}
    for pid, (name, seconds) in after.items():
        used[name] = used.get(name, 0.0) + seconds - before.get(pid, (name, 0.0))[1]
    return used


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# -- data ----------------------------------------------------------------------------


class Setup:
    def __init__(self, app) -> None:
        self.app = app
        with app.app_context():
            make = Factory(db.session, clock.now())
            # 24/7 (the factory's hours), and a number allowed 100 texts a second,
            # so the drain measures the workers, not the per-number throttle.
            program = make.program(sms_number=PROGRAM_NUMBER, messages_per_second=100)
            db.session.commit()
            self.program_id = program.id
            vault = get_vault()
            db.session.execute(
                insert(Texter),
                [
                    {
                        "program_id": program.id,
                        "phone_encrypted": vault.encrypt(f"+1716555{n:04d}"),
                        "phone_hash": vault.lookup_hash(f"+1716555{n:04d}"),
                        "pseudonym": f"Texter {PSEUDONYM_HIGH - n}",
                        "dialog_state": "waiting",
                    }
                    for n in range(RETURNING)
                ],
            )
            db.session.commit()
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "CREATE TABLE bench_inbound (id BIGSERIAL PRIMARY KEY, sid VARCHAR(64) "
                        "UNIQUE NOT NULL, from_number VARCHAR(32), body TEXT, "
                        "created_at TIMESTAMPTZ DEFAULT now())"
                    )
                )
        self.bulk = 0

    def texters(self) -> int:
        with self.app.app_context():
            count = db.session.scalar(
                select(func.count()).select_from(Texter).where(Texter.program_id == self.program_id)
            )
            db.session.remove()
            return count

    def grow_to(self, total: int) -> None:
        """Bulk-insert texters (not through the webhook) until the program has `total`."""
        missing = total - self.texters()
        with self.app.app_context():
            vault = get_vault()
            encrypted = vault.encrypt("+19995550000")
            for start in range(0, max(0, missing), 10_000):
                rows = []
                for _ in range(start, min(missing, start + 10_000)):
                    self.bulk += 1
                    rows.append(
                        {
                            "program_id": self.program_id,
                            "phone_encrypted": encrypted,
                            "phone_hash": vault.lookup_hash(f"bulk{self.bulk}"),
                            "pseudonym": f"Bulk {self.bulk}",
                            "dialog_state": "idle",
                        }
                    )
                db.session.execute(insert(Texter), rows)
                db.session.commit()
            db.session.execute(text("ANALYZE texters"))
            db.session.commit()
            db.session.remove()

    def backlog(self) -> tuple[int, int]:
        """(inbound not processed, outbound not yet sent)."""
        with self.app.app_context():
            inbound = db.session.scalar(
                select(func.count()).where(
                    Message.direction == "inbound", Message.processed_at.is_(None)
                )
            )
            outbound = db.session.scalar(
                select(func.count()).where(
                    Message.direction == "outbound", Message.status.in_(("queued", "sending"))
                )
            )
            db.session.remove()
            return inbound, outbound

    def reset_messages(self, redis_url: str) -> None:
        # Workers may still be on the warm-up's texts: let them finish first (the
        # UPDATE of every texter below would otherwise deadlock with their row locks).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.backlog() != (0, 0):
            time.sleep(0.25)
        with self.app.app_context():
            db.session.execute(text("DELETE FROM messages"))
            db.session.execute(text("DELETE FROM bench_inbound"))
            db.session.execute(
                text("UPDATE texters SET dialog_state = 'waiting' WHERE pseudonym LIKE 'Texter %'")
            )
            db.session.commit()
            db.session.remove()
        redis_lib.Redis.from_url(redis_url).flushdb()


# -- parts ---------------------------------------------------------------------------


def part_closed(args, env, setup, redis_url) -> list[str]:
    out = [f"closed loop: {args.clients} clients, {args.seconds:.0f} s rounds, alternating"]
    bare = _gunicorn("benchmarks.webhook:bare_app()", args.port, env, args.gunicorn_workers)
    try:
        app = _gunicorn("wsgi:app", args.port + 1, env, args.gunicorn_workers)
    except RuntimeError:
        _stop(bare)
        raise
    _warm(args.port, args.clients)
    _warm(args.port + 1, args.clients)
    ratios, bare_rps, app_rps = [], [], []
    try:
        for round_no in range(1, args.rounds + 1):
            b = closed_loop(args.port, args.seconds, args.clients)
            a = closed_loop(args.port + 1, args.seconds, args.clients)
            setup.reset_messages(redis_url)
            bare_rps.append(b["rps"])
            app_rps.append(a["rps"])
            ratios.append(a["rps"] / b["rps"] if b["rps"] else 0.0)
            out.append(_line(f"round {round_no} bare signature+INSERT", b))
            out.append(_line(f"round {round_no} peerwork, returning", a))
    finally:
        _stop(bare)
        _stop(app)
    out.append(
        f"  ratio peerwork/bare per round: {', '.join(f'{r:.2f}' for r in ratios)}"
        f"  (median {statistics.median(ratios):.2f}; target >= 0.5)"
    )
    return out


def part_open(args, env, setup, redis_url) -> list[str]:
    out = [f"open loop: 20/s with 50/s for 2 s of every 10 s, {args.open_seconds:.0f} s"]
    bare = _gunicorn("benchmarks.webhook:bare_app()", args.port, env, args.gunicorn_workers)
    try:
        app = _gunicorn("wsgi:app", args.port + 1, env, args.gunicorn_workers)
    except RuntimeError:
        _stop(bare)
        raise
    try:
        _warm(args.port, args.clients)
        _warm(args.port + 1, args.clients)
        setup.reset_messages(redis_url)
        out.append(_line("bare signature+INSERT", open_loop(args.port, args.open_seconds)))
        result = open_loop(args.port + 1, args.open_seconds)
        out.append(_line("peerwork, returning", result))
        out.append(f"  peerwork p99 {result['p99']:.1f} ms (target < 100 ms)")
    finally:
        _stop(bare)
        _stop(app)
    setup.reset_messages(redis_url)
    return out


def part_first_contact(args, env, setup, redis_url) -> list[str]:
    out = [f"first contact: a new number each request, {args.clients} clients"]
    app = _gunicorn("wsgi:app", args.port + 1, env, args.gunicorn_workers)
    found = {}
    try:
        for size in args.sizes:
            setup.grow_to(size)
            closed_loop(args.port + 1, 1.0, args.clients, kind="new")  # warm
            runs = [
                closed_loop(args.port + 1, args.seconds, args.clients, kind="new")
                for _ in range(args.rounds)
            ]
            best = max(runs, key=lambda r: r["rps"])
            found[size] = statistics.median(r["rps"] for r in runs)
            out.append(
                _line(f"{size:>7,} texters (median of {args.rounds})", {**best, "rps": found[size]})
            )
    finally:
        _stop(app)
    sizes = sorted(found)
    if len(sizes) > 1:
        change = found[sizes[-1]] / found[sizes[0]] - 1
        out.append(f"  {sizes[-1]:,} vs {sizes[0]:,} texters: {change:+.1%} (target within 10%)")
    setup.reset_messages(redis_url)
    return out


def part_drain(args, env, setup, redis_url, instance: Path) -> list[str]:
    out = [f"drain: {args.drain_rate}/s for {args.drain_seconds:.0f} s, then wait"]
    database = make_url(env["DATABASE_URL"]).database
    for workers in args.drain_workers:
        setup.reset_messages(redis_url)
        app = _gunicorn("wsgi:app", args.port + 1, env, args.gunicorn_workers)
        running = [_worker(env, n, instance) for n in range(workers)]
        try:
            _warm(args.port + 1, args.clients)
            time.sleep(3)  # the workers register and take the warm-up's jobs
            setup.reset_messages(redis_url)
            groups = {"gunicorn": app.pid, **{f"worker {n}": p.pid for n, p in enumerate(running)}}
            cpu_before = _cpu_seconds(groups, database)
            load = open_loop(args.port + 1, args.drain_seconds, args.drain_rate, args.drain_rate)
            ended = time.perf_counter()
            at_end = setup.backlog()
            deadline = ended + args.drain_timeout
            inbound_took = 0.0 if at_end[0] == 0 else None
            while time.perf_counter() < deadline:
                backlog = setup.backlog()
                if backlog[0] == 0 and inbound_took is None:
                    inbound_took = time.perf_counter() - ended
                if backlog == (0, 0):
                    break
                time.sleep(0.25)
            took = time.perf_counter() - ended
            left = setup.backlog()
            cpu_after = _cpu_seconds(groups, database)
        finally:
            for process in running:
                _stop(process)
            _stop(app)
        cpu = {"gunicorn": 0.0, "postgres": 0.0, **_cpu_used(cpu_before, cpu_after)}
        texts = max(1, load["n"])
        workers_cpu = sum(v for name, v in cpu.items() if name.startswith("worker"))
        verdict = "drained" if left == (0, 0) else f"NOT drained: {left} left"
        out.append(
            f"  {workers} worker(s): load {load['rps']:.1f}/s p99 {load['p99']:.1f} ms;"
            f" at the end of the load {at_end[0]} inbound, {at_end[1]} outbound waiting;"
            f" {verdict} {took:.1f} s after the load ended (target <= 10 s with 2);"
            + (
                f" every inbound text processed {inbound_took:.1f} s after"
                if inbound_took is not None
                else " inbound not all processed"
            )
        )
        out.append(
            f"    CPU from the load's start to the end of the wait ({load['n'] / args.drain_rate + took:.0f} s"
            f" wall, {os.cpu_count()} cores): workers {workers_cpu:.1f} s"
            f" ({1000 * workers_cpu / texts:.1f} ms a text), gunicorn {cpu['gunicorn']:.1f} s"
            f" ({1000 * cpu['gunicorn'] / texts:.1f} ms), PostgreSQL {cpu['postgres']:.1f} s"
            f" ({1000 * cpu['postgres'] / texts:.1f} ms); load average {os.getloadavg()[0]:.1f}"
        )
    setup.reset_messages(redis_url)
    return out


def part_workers(args, app, env, setup, redis_url, instance: Path) -> list[str]:
    """Worker throughput alone: a backlog of texts stored first, then drained by 1 and 2 workers."""
    out = [
        f"workers: {args.backlog} texts stored first (each a dialog job and a reply), then drained"
    ]
    client = app.test_client()
    validator = RequestValidator(AUTH_TOKEN)
    for workers in args.drain_workers:
        setup.reset_messages(redis_url)
        for i in range(args.backlog):
            params = {
                "MessageSid": f"SM{uuid.uuid4().hex}",
                "From": f"+1716555{i % RETURNING:04d}",
                "To": PROGRAM_NUMBER,
                "Body": "Work stress",
            }
            client.post(
                PATH,
                data=urlencode(params),
                headers={"X-Twilio-Signature": validator.compute_signature(BASE + PATH, params)},
                content_type="application/x-www-form-urlencoded",
                base_url=BASE,
            )
        started = time.perf_counter()
        running = [_worker(env, n, instance) for n in range(workers)]
        try:
            deadline = started + args.drain_timeout
            while time.perf_counter() < deadline and setup.backlog() != (0, 0):
                time.sleep(0.25)
            took = time.perf_counter() - started
            left = setup.backlog()
        finally:
            for process in running:
                _stop(process)
        done = args.backlog - left[0]
        out.append(
            f"  {workers} worker(s): after {took:.1f} s (with start-up) {done} of"
            f" {args.backlog} texts processed, {left[1]} replies still unsent"
            + (f" = {done / took:.1f} texts/s" if left == (0, 0) else " (timed out)")
        )
    setup.reset_messages(redis_url)
    return out


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, *_args) -> None:
        self.n += 1


def part_profile(args, app, setup, redis_url) -> list[str]:
    """In-process: statements and cProfile per webhook and per job function."""
    setup.reset_messages(redis_url)
    out = ["profile (in-process, cProfile; statements counted by an engine event listener)"]
    client = app.test_client()
    validator = RequestValidator(AUTH_TOKEN)
    engine = app.extensions["peerwork.db"]
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter)

    def post(number: str) -> None:
        params = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "From": number,
            "To": PROGRAM_NUMBER,
            "Body": "Work stress",
        }
        response = client.post(
            PATH,
            data=urlencode(params),
            headers={"X-Twilio-Signature": validator.compute_signature(BASE + PATH, params)},
            content_type="application/x-www-form-urlencoded",
            base_url=BASE,
        )
        assert response.status_code == 200, response.status_code

    def measure(name: str, action, items) -> None:
        items = list(items)
        if not items:
            out.append(f"  {name:<28} nothing to run")
            return
        profile = cProfile.Profile()
        counter.n = 0
        started = time.perf_counter()
        profile.enable()
        for item in items:
            action(item)
        profile.disable()
        took = (time.perf_counter() - started) / len(items)
        out.append(
            f"  {name:<28} {counter.n / len(items):5.1f} statements  {took * 1000:6.2f} ms each"
            f"  (n={len(items)})"
        )
        stream = io.StringIO()
        stats = pstats.Stats(profile, stream=stream).sort_stats("cumulative")
        stats.print_stats(r"peerwork|sqlalchemy/(engine/base|orm/session)|twilio|rq/queue", 14)
        out.extend("      " + line for line in _top(stream.getvalue(), 14))

    n = args.profile_requests
    measure("webhook, returning texter", lambda i: post(f"+1716555{i % RETURNING:04d}"), range(n))
    measure("webhook, first contact", lambda i: post(f"+1313555{i:04d}"), range(n))
    jobs.use_app(app)

    def pending(direction: str):
        with app.app_context():
            condition = (
                Message.processed_at.is_(None)
                if direction == "inbound"
                else Message.status == "queued"
            )
            ids = db.session.scalars(
                select(Message.id).where(Message.direction == direction, condition)
            ).all()
            db.session.remove()
            return ids

    measure("process_inbound job", jobs.process_inbound, pending("inbound"))
    measure("send_message job", jobs.send_message, pending("outbound"))
    event.remove(engine, "before_cursor_execute", counter)
    setup.reset_messages(redis_url)
    return out


def _top(report: str, lines: int) -> list[str]:
    body = report.splitlines()
    start = next((i for i, line in enumerate(body) if "ncalls" in line), 0)
    return [line for line in body[start : start + lines + 1] if line.strip()]


# -- main ----------------------------------------------------------------------------

PARTS = ("profile", "closed", "open", "first", "drain", "workers")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="PostgreSQL server (a fresh database is made next to it)",
    )
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/6", help="flushed")
    p.add_argument("--quick", action="store_true", help="short rounds, smaller first-contact sizes")
    p.add_argument("--only", default=",".join(PARTS), help=f"comma-separated: {','.join(PARTS)}")
    p.add_argument("--port", type=int, default=18760)
    p.add_argument("--gunicorn-workers", type=int, default=5)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--seconds", type=float, default=10.0, help="closed-loop round length")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--open-seconds", type=float, default=30.0)
    p.add_argument("--sizes", default="1000,10000,100000", help="first-contact program sizes")
    p.add_argument("--drain-rate", type=int, default=50)
    p.add_argument("--drain-seconds", type=float, default=60.0)
    p.add_argument("--drain-workers", default="1,2")
    p.add_argument("--drain-timeout", type=float, default=120.0)
    p.add_argument("--profile-requests", type=int, default=200)
    p.add_argument("--backlog", type=int, default=600, help="texts the workers part drains")
    return p


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    args = parser().parse_args(argv)
    if args.quick:
        args.seconds, args.rounds, args.open_seconds = 3.0, 2, 10.0
        args.drain_seconds, args.drain_timeout, args.profile_requests = 15.0, 60.0, 50
    args.only = [part for part in args.only.split(",") if part]
    unknown = set(args.only) - set(PARTS)
    if unknown:
        parser().error(f"unknown part(s): {', '.join(sorted(unknown))}")
    args.sizes = [int(size) for size in str(args.sizes).split(",")]
    args.drain_workers = [int(n) for n in str(args.drain_workers).split(",")]
    return args


def run(args, database_url: str, tmp: Path) -> list[str]:
    prefix = f"wh{uuid.uuid4().hex[:6]}"
    app = create_app(
        {
            "SECRET_KEY": SECRET,
            "DATA_KEY": DATA_KEY,
            "DATABASE_URL": database_url,
            "REDIS_URL": args.redis_url,
            "RQ_QUEUE_PREFIX": prefix,
            "PUBLIC_BASE_URL": BASE,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        },
        instance_path=str(tmp / "bench"),
    )
    Base.metadata.create_all(app.extensions["peerwork.db"])
    setup = Setup(app)
    env = _env(database_url, args.redis_url, prefix, tmp / "web")
    out: list[str] = []
    for part in args.only:
        if part == "profile":
            found = part_profile(args, app, setup, args.redis_url)
        elif part == "closed":
            found = part_closed(args, env, setup, args.redis_url)
        elif part == "open":
            found = part_open(args, env, setup, args.redis_url)
        elif part == "first":
            found = part_first_contact(args, env, setup, args.redis_url)
        elif part == "drain":
            found = part_drain(args, env, setup, args.redis_url, tmp)
        else:
            found = part_workers(args, app, env, setup, args.redis_url, tmp)
        found.append(f"  [load average after this part: {os.getloadavg()[0]:.2f}]")
        print("\n".join(found), flush=True)
        out += found
    app.extensions["peerwork.db"].dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    load = os.getloadavg()
    print(
        f"cores: {os.cpu_count()}  load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        f"  gunicorn: {args.gunicorn_workers} sync workers  parts: {','.join(args.only)}",
        flush=True,
    )
    redis_lib.Redis.from_url(args.redis_url).flushdb()
    url = make_url(args.database_url)
    name = f"peerwork_webhook_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory(prefix="peerwork-webhook-") as tmp:
            run(args, url.set(database=name).render_as_string(hide_password=False), Path(tmp))
        load = os.getloadavg()
        print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        redis_lib.Redis.from_url(args.redis_url).flushdb()
    return 0


if __name__ == "__main__":
    sys.exit(main())
