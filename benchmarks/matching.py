"""How fast is one matching decision, and how does it grow with the number of peers?

A matching decision is what happens when a request needs its next wave:
choose the eligible peers (one SQL query with the ranking inputs, weekly
hours checked in Python on a bounded page), rank them, and create the
wave's offers (plus the SMS alerts of peers who opted in).

    python benchmarks/matching.py
    python benchmarks/matching.py --postgres postgresql+psycopg://postgres@127.0.0.1/test
    python benchmarks/matching.py --sizes 1000,10000,50000 --decisions 300

Each size gets a fresh database (SQLite in a temp folder; on PostgreSQL a
database created next to the given one and dropped after) holding one live
program with 50 topics, that many peers, 1,000 open requests, three
required training modules and a week of past conversations. Each decision
runs in its own transaction and is rolled back, so every request is
decided from the same state.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peerwork.db import Base, make_engine  # noqa: E402
from peerwork.matching import offers  # noqa: E402
from peerwork.models import (  # noqa: E402
    WEEKDAYS,
    Conversation,
    Organization,
    PeerProfile,
    Program,
    SupportRequest,
    Texter,
    Topic,
    TrainingAttempt,
    TrainingModule,
    User,
    peer_topics,
)
from tests.helpers import RecordingDispatcher  # noqa: E402

TOPICS = 50
OPEN_REQUESTS = 1000
MODULES = 3
# Wednesday 15:00 UTC: 10:00 in the program's timezone.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
ALL_WEEK = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
OFFICE = {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}
EVENINGS = {day: [["17:00", "23:00"]] for day in WEEKDAYS}


def build(engine, peers: int, seed: int = 7) -> list[int]:
    """Fill a fresh schema; return the ids of the open requests."""
    rng = random.Random(seed)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        org = Organization(name="Bench", slug="bench", created_at=NOW)
        s.add(org)
        s.flush()
        program = Program(
            organization_id=org.id,
            name="Peer Line",
            status="live",
            sms_number="+15855550100",
            timezone="America/New_York",
            hours=ALL_WEEK,
            wave_size=3,
            max_waves=3,
            created_at=NOW,
        )
        s.add(program)
        s.flush()
        pid = program.id
        s.execute(
            insert(Topic),
            [
                {"program_id": pid, "name": f"Topic {i}", "menu_number": i, "position": i}
                for i in range(1, TOPICS + 1)
            ],
        )
        s.execute(
            insert(TrainingModule),
            [
                {
                    "program_id": pid,
                    "slug": f"module-{i}",
                    "title": f"Module {i}",
                    "lesson_md": "...",
                    "required": True,
                    "version": 2 if i == 1 else 1,
                    # Module 1 was republished: version 1 still counts for a week.
                    "previous_version_valid_until": NOW + timedelta(days=7) if i == 1 else None,
                    "pass_mark": 80,
                    "position": i,
                    "has_draft_changes": False,
                    "created_at": NOW,
                }
                for i in range(1, MODULES + 1)
            ],
        )
        topic_ids = list(s.scalars(text("SELECT id FROM topics ORDER BY id")))
        module_ids = list(s.scalars(text("SELECT id FROM training_modules ORDER BY id")))
        s.execute(
            insert(User),
            [
                {
                    "organization_id": org.id,
                    "email": f"peer{i}@bench.test",
                    "name": f"Peer {i}",
                    "password_hash": "x",
                    "active": rng.random() > 0.03,
                    "session_token": uuid.uuid4().hex,
                    "created_at": NOW,
                }
                for i in range(peers)
            ],
        )
        user_ids = list(s.scalars(text("SELECT id FROM users ORDER BY id")))
        profiles = []
        for i, user_id in enumerate(user_ids):
            capacity = rng.choice((1, 2, 2, 3))
            profiles.append(
                {
                    "user_id": user_id,
                    "program_id": pid,
                    "alias": f"Peer{i}",
                    "capacity": capacity,
                    "accepts_any_topic": rng.random() < 0.1,
                    "available": rng.random() < 0.4,
                    "availability": rng.choice((ALL_WEEK, ALL_WEEK, OFFICE, EVENINGS)),
                    "sms_alerts": rng.random() < 0.2,
                    "alert_phone_encrypted": b"ciphertext",
                    "active_conversations": rng.randrange(capacity + 1),
                    "last_matched_at": NOW - timedelta(minutes=rng.randrange(1, 20000))
                    if rng.random() < 0.7
                    else None,
                    "onboarded_at": NOW,
                    "created_at": NOW,
                }
            )
        s.execute(insert(PeerProfile), profiles)
        peer_ids = list(s.scalars(text("SELECT id FROM peer_profiles ORDER BY id")))
        s.execute(
            insert(peer_topics),
            [
                {"peer_profile_id": peer_id, "topic_id": topic_id}
                for peer_id in peer_ids
                for topic_id in rng.sample(topic_ids, rng.randint(1, 4))
            ],
        )
        attempts = []
        for peer_id in peer_ids:
            if rng.random() < 0.1:
                continue  # still in training
            for n, module_id in enumerate(module_ids):
                attempts.append(
                    {
                        "module_id": module_id,
                        "peer_profile_id": peer_id,
                        "module_version": 2 if n == 0 and rng.random() < 0.5 else 1,
                        "score": 90,
                        "passed": True,
                        "answers": [],
                        "created_at": NOW,
                    }
                )
        s.execute(insert(TrainingAttempt), attempts)
        texters = [
            {
                "program_id": pid,
                "phone_encrypted": b"ciphertext",
                "phone_hash": uuid.uuid4().hex,
                "pseudonym": f"Texter {i}",
                "dialog_state": "waiting",
                "created_at": NOW,
            }
            for i in range(OPEN_REQUESTS)
        ]
        s.execute(insert(Texter), texters)
        texter_ids = list(s.scalars(text("SELECT id FROM texters ORDER BY id")))
        # A week of past conversations, for the fairness inputs.
        past = min(peers // 2, 20000)
        s.execute(
            insert(SupportRequest),
            [
                {
                    "program_id": pid,
                    "texter_id": rng.choice(texter_ids),
                    "topic_id": rng.choice(topic_ids),
                    "state": "closed",
                    "is_crisis": False,
                    "wave": 1,
                    "source": "texter",
                    "created_at": NOW - timedelta(days=1),
                }
                for _ in range(past)
            ],
        )
        closed = list(s.execute(text("SELECT id, texter_id FROM support_requests ORDER BY id")))
        s.execute(
            insert(Conversation),
            [
                {
                    "program_id": pid,
                    "request_id": request_id,
                    "texter_id": texter_id,
                    "peer_profile_id": rng.choice(peer_ids),
                    "state": "ended",
                    "is_crisis": False,
                    "checkin_choice": "none",
                    "started_at": NOW - timedelta(minutes=rng.randrange(1, 14 * 24 * 60)),
                }
                for request_id, texter_id in closed
            ],
        )
        s.execute(
            insert(SupportRequest),
            [
                {
                    "program_id": pid,
                    "texter_id": texter_id,
                    "topic_id": rng.choice(topic_ids) if rng.random() < 0.9 else None,
                    "state": "waiting",
                    "is_crisis": rng.random() < 0.05,
                    "wave": 0,
                    "source": "texter",
                    "created_at": NOW - timedelta(minutes=rng.randrange(1, 60)),
                    "waiting_since": NOW - timedelta(minutes=1),
                }
                for texter_id in texter_ids
            ],
        )
        s.commit()
        open_ids = list(
            s.scalars(text("SELECT id FROM support_requests WHERE state = 'waiting' ORDER BY id"))
        )
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return open_ids


def measure(engine, request_ids: list[int], decisions: int) -> dict:
    """Time and count the statements of `decisions` matching decisions."""
    statements = {"n": 0}

    def count(*_args):
        statements["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    times, queries, offered = [], [], []
    sample = request_ids[: decisions + 20]
    try:
        for i, request_id in enumerate(sample):
            with Session(engine) as s:
                s.begin()
                statements["n"] = 0
                started = time.perf_counter()
                offers.send_next_wave(
                    s, request_id=request_id, now=NOW, dispatcher=RecordingDispatcher()
                )
                s.flush()
                elapsed = time.perf_counter() - started
                made = statements["n"]
                n_offers = len(s.get(SupportRequest, request_id).offers)
                s.rollback()
            if i >= 20:  # the first few warm caches and the connection pool
                times.append(elapsed * 1000)
                queries.append(made)
                offered.append(n_offers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    times.sort()
    return {
        "median_ms": statistics.median(times),
        "p95_ms": times[int(len(times) * 0.95) - 1],
        "queries_median": statistics.median(queries),
        "queries_max": max(queries),
        "offers_mean": statistics.mean(offered),
    }


def run_backend(label: str, engine_for, sizes: list[int], decisions: int) -> list[dict]:
    rows = []
    for size in sizes:
        engine = engine_for()
        try:
            started = time.perf_counter()
            request_ids = build(engine, size)
            built = time.perf_counter() - started
            result = measure(engine, request_ids, decisions)
        finally:
            engine.dispose()
        result.update(backend=label, peers=size, build_s=built)
        rows.append(result)
        print_row(result, rows[0] if len(rows) > 1 else None)
    return rows


def print_row(row: dict, first: dict | None) -> None:
    growth = f"x{row['median_ms'] / first['median_ms']:.2f}" if first else "-"
    print(
        f"{row['backend']:<10} {row['peers']:>7,} peers  median {row['median_ms']:6.2f} ms  "
        f"p95 {row['p95_ms']:6.2f} ms  queries/decision {row['queries_median']:.0f} "
        f"(max {row['queries_max']})  offers/decision {row['offers_mean']:.1f}  "
        f"growth vs {first['peers'] if first else row['peers']:,}: {growth}  "
        f"(data built in {row['build_s']:.1f} s)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", help="a PostgreSQL URL; a scratch database is made next to it"
    )
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(
        f"{TOPICS} topics, {OPEN_REQUESTS:,} open requests, {args.decisions} decisions per size; "
        "time = choose + rank + create the wave's offers for one request"
    )
    if not args.skip_sqlite:
        folder = Path(tempfile.mkdtemp(prefix="peerwork-bench-"))

        def sqlite_engine():
            return make_engine(f"sqlite:///{folder / 'bench.sqlite3'}")

        run_backend("sqlite", sqlite_engine, sizes, args.decisions)
    if args.postgres:
        base = make_url(args.postgres)
        name = f"peerwork_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = base.set(database=name).render_as_string(hide_password=False)
            run_backend("postgresql", lambda: make_engine(url), sizes, args.decisions)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
