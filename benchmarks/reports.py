"""How long does the Reports dashboard take for a big program?

One program with 100,000 conversations (about 118,000 requests, 85% matched),
1,000,000 messages, 20,000 texters, check-ins, crisis alerts and 200 certified
volunteers, spread over the 52 weeks before now. The page is fetched through
the Flask test client as a signed-in admin (queries, counting, suppression,
SVG charts and the template), several times per period; the CSV export too.

    python benchmarks/reports.py
    python benchmarks/reports.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/reports.py --skip-sqlite --postgres ...

Prints, per backend and period: the first view with no week stored (report_weeks
emptied before each of COLD_RUNS views: every row counted, the settled weeks
stored), then the warm views (settled weeks read back, checked with two grouped
counts, only the last two weeks counted from rows): best and median time, this
process's CPU and the number of SQL statements per page. Budget: 1 s.

Medians in ms, 30 Nov 2026, 2 cores shared with other jobs: load average 7-12
throughout, so wall time is about twice the CPU (in brackets). Before the rollups,
quiet machine: SQLite 149 / 385 / 825 / 961, PostgreSQL 159 / 388 / 855 / 1,211.

| backend    | view                 | 4w        | 12w        | 26w         | 52w         |
|------------|----------------------|-----------|------------|-------------|-------------|
| SQLite     | first (none stored)  | 404 (169) | 1013 (449) | 2304 (969)  | 2511 (1451) |
| SQLite     | warm                 | 162 (68)  | 272 (111)  | 565 (240)   | 519 (266)   |
| PostgreSQL | first (none stored)  | 340 (99)  | 882 (253)  | 1848 (597)  | 2338 (596)  |
| PostgreSQL | warm                 | 159 (46)  | 231 (61)   | 420 (112)   | 411 (118)   |

The first view is paid once per settled week (the weeks one period stores serve the
others); 18 / 16 statements first, 17 / 15 warm (SQLite / PostgreSQL).
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, delete, event, func, insert, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peerwork import clock, create_app  # noqa: E402
from peerwork.db import Base  # noqa: E402
from peerwork.extensions import db  # noqa: E402
from peerwork.models import (  # noqa: E402
    WEEKDAYS,
    Membership,
    Organization,
    PeerProfile,
    Program,
    ReportWeek,
    Topic,
    TrainingAttempt,
    TrainingModule,
    User,
    peer_topics,
)
from peerwork.training.curriculum import install_default_curriculum  # noqa: E402
from tests.factories import PASSWORD, password_hash  # noqa: E402
from tests.insights_history import generate  # noqa: E402

BUDGET_S = 1.0
MESSAGES_PER_CONVERSATION = 10
TEXTERS = 20_000
PEERS = 200
TOPICS = (
    "Work stress",
    "Anxiety",
    "Grief and loss",
    "Caregiving",
    "Money worries",
    "Relationships",
    "Health",
    "Family",
)
PRESETS = ("4w", "12w", "26w", "52w")
RUNS = 5
COLD_RUNS = 3


def build(app, requests: int) -> tuple[int, int, dict]:
    """Fill a fresh schema; return (program id, admin user id, counts)."""
    engine = app.extensions["peerwork.db"]
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    now = clock.now()
    with app.app_context():
        s = db.session
        org = Organization(name="Bench", slug="bench", created_at=now)
        s.add(org)
        s.flush()
        program = Program(
            organization_id=org.id,
            name="Peer Line",
            status="live",
            sms_number="+15855550100",
            timezone="America/New_York",
            hours={day: [["08:00", "20:00"]] for day in WEEKDAYS[:5]},
            created_at=now - timedelta(weeks=60),
        )
        s.add(program)
        s.flush()
        admin = User(
            organization_id=org.id,
            email="hr@bench.test",
            name="HR",
            password_hash=password_hash(),
            session_token=uuid.uuid4().hex,
        )
        s.add(admin)
        s.flush()
        s.add(Membership(user_id=admin.id, organization_id=org.id, role="admin"))
        for i, name in enumerate(TOPICS, start=1):
            s.add(Topic(program_id=program.id, name=name, menu_number=i, position=i))
        install_default_curriculum(s, program_id=program.id, now=now)
        s.flush()
        users = (
            s.execute(
                insert(User).returning(User.id),
                [
                    {
                        "organization_id": org.id,
                        "email": f"peer{i}@bench.test",
                        "name": f"Peer {i}",
                        "password_hash": "x",
                        "session_token": uuid.uuid4().hex,
                    }
                    for i in range(PEERS)
                ],
            )
            .scalars()
            .all()
        )
        availability = [
            {"mon": [["08:00", "16:00"]], "wed": [["12:00", "20:00"]]},
            {"tue": [["16:00", "22:00"]], "thu": [["09:00", "17:00"]]},
            {"fri": [["08:00", "20:00"]], "sat": [["10:00", "14:00"]]},
        ]
        peer_ids = (
            s.execute(
                insert(PeerProfile).returning(PeerProfile.id),
                [
                    {
                        "user_id": uid,
                        "program_id": program.id,
                        "alias": f"P{i}",
                        "capacity": 2,
                        "accepts_any_topic": i % 5 == 0,
                        "available": True,
                        "availability": availability[i % 3],
                        "onboarded_at": now - timedelta(weeks=40),
                    }
                    for i, uid in enumerate(users)
                ],
            )
            .scalars()
            .all()
        )
        topic_ids = s.scalars(select(Topic.id).where(Topic.program_id == program.id)).all()
        s.execute(
            insert(peer_topics),
            [
                {"peer_profile_id": p, "topic_id": t}
                for i, p in enumerate(peer_ids)
                for t in topic_ids[i % 4 :: 3]
            ],
        )
        modules = s.execute(
            select(TrainingModule.id, TrainingModule.version).where(
                TrainingModule.program_id == program.id, TrainingModule.required.is_(True)
            )
        ).all()
        s.execute(
            insert(TrainingAttempt),
            [
                {
                    "module_id": m,
                    "peer_profile_id": p,
                    "module_version": v,
                    "score": 100,
                    "passed": True,
                    "answers": [],
                    "created_at": now - timedelta(weeks=40),
                }
                for p in peer_ids
                for m, v in modules
            ],
        )
        history = generate(
            s,
            program_id=program.id,
            topic_ids=list(topic_ids),
            peer_ids=list(peer_ids),
            until=now - timedelta(days=1),
            weeks=52,
            requests=requests,
            texters=TEXTERS,
            keep=False,
        )
        s.commit()
        # The messages are written by the database itself (ten per conversation, texter
        # and peer in turn): a million rows through Python would take longer than the
        # whole benchmark. The dashboard never reads them; they make the database the
        # size the budget is about.
        s.execute(text(messages_sql(engine.dialect.name)), {"per": MESSAGES_PER_CONVERSATION})
        s.commit()
        counts = {
            table: s.scalar(text(f"SELECT count(*) FROM {table}"))
            for table in (
                "support_requests",
                "conversations",
                "messages",
                "checkins",
                "alerts",
                "texters",
            )
        }
        ids = program.id, admin.id
        del history
        db.session.remove()
    if engine.dialect.name == "postgresql":
        # What autovacuum does to a table that has settled: statistics, and the visibility
        # map that lets the covering indexes answer without visiting the table.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return *ids, counts


def messages_sql(dialect: str) -> str:
    """INSERT ... SELECT: `per` messages for every conversation, generated in SQL."""
    if dialect == "sqlite":
        series = (
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :per) "
        )
        source = "FROM conversations AS c CROSS JOIN n"
        false = "0"
    else:
        series = ""
        source = "FROM conversations AS c CROSS JOIN generate_series(0, :per - 1) AS n(i)"
        false = "false"
    return (
        series + "INSERT INTO messages (program_id, direction, author, kind, recipient, texter_id, "
        "peer_profile_id, conversation_id, body, segments, is_crisis, status, attempts, created_at) "
        "SELECT c.program_id, "
        "CASE WHEN n.i % 2 = 0 THEN 'inbound' ELSE 'outbound' END, "
        "CASE WHEN n.i % 2 = 0 THEN 'texter' ELSE 'peer' END, 'relay', "
        "CASE WHEN n.i % 2 = 0 THEN NULL ELSE 'texter' END, c.texter_id, "
        "CASE WHEN n.i % 2 = 0 THEN NULL ELSE c.peer_profile_id END, c.id, 'generated', 1, "
        f"{false}, CASE WHEN n.i % 2 = 0 THEN 'received' ELSE 'delivered' END, n.i % 2, c.started_at "
        + source
    )


def measure(app, program_id: int) -> list[dict]:
    engine = app.extensions["peerwork.db"]
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: statements.append(1))
    client = app.test_client()
    signed_in = client.post("/login", data={"email": "hr@bench.test", "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.status_code
    rows = []
    for preset in PRESETS:
        url = f"/admin/programs/{program_id}/reports?period={preset}"
        # First view: no week stored yet (the page counts every row and stores the settled weeks).
        cold, cold_cpu, cold_queries = [], [], []
        for _ in range(COLD_RUNS):
            with engine.begin() as conn:
                conn.execute(delete(ReportWeek))
            statements.clear()
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            cold.append(time.perf_counter() - start)
            cold_cpu.append(time.process_time() - start_cpu)
            cold_queries.append(len(statements))
            assert response.status_code == 200, response.status_code
        with engine.connect() as conn:
            stored = conn.scalar(select(func.count(ReportWeek.id)))
        times, cpu, queries = [], [], []
        for _ in range(RUNS):
            statements.clear()
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            queries.append(len(statements))
            assert response.status_code == 200, response.status_code
        rows.append(
            {
                "what": f"page {preset}",
                "cold": statistics.median(cold),
                "cold_cpu": statistics.median(cold_cpu),
                "cold_queries": cold_queries[-1],
                "stored": stored,
                "best": min(times),
                "median": statistics.median(times),
                "cpu": statistics.median(cpu),
                "queries": queries[-1],
                "bytes": len(response.data),
            }
        )
    return rows


def run_backend(name: str, url: str, requests: int) -> None:
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "DATA_KEY": base64.urlsafe_b64encode(b"b" * 32).decode(),
            "DATABASE_URL": url,
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "WTF_CSRF_ENABLED": False,
        },
        instance_path=tempfile.mkdtemp(prefix="peerwork-bench-instance-"),
    )
    start = time.perf_counter()
    if requests:
        program_id, _, counts = build(app, requests)
    else:
        program_id, counts = 1, {}
    print(
        f"\n{name}: built in {time.perf_counter() - start:.0f} s: "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items()),
        flush=True,
    )
    for row in measure(app, program_id):
        verdict = "ok" if row["median"] < BUDGET_S else "OVER BUDGET"
        print(
            f"  {row['what']:<10} first view (no week stored) {row['cold'] * 1000:6.0f} ms"
            f" (CPU {row['cold_cpu'] * 1000:5.0f} ms) {row['cold_queries']:3d} queries,"
            f" stores {row['stored']:3d} weeks | warm:"
            f" best {row['best'] * 1000:6.0f} ms  median {row['median'] * 1000:6.0f} ms"
            f"  (this process's CPU {row['cpu'] * 1000:5.0f} ms)  {row['queries']:3d} queries"
            f"  {row['bytes'] / 1024:5.0f} KiB  {verdict}",
            flush=True,
        )
    app.extensions["peerwork.db"].dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", help="a PostgreSQL URL; a scratch database is made next to it"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--sqlite-file", help="measure an SQLite database a previous run built (kept in /tmp)"
    )
    parser.add_argument("--requests", type=int, default=118_000, help="smaller for a quick look")
    args = parser.parse_args(argv)
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )
    if args.sqlite_file:
        run_backend("sqlite (reused)", f"sqlite:///{args.sqlite_file}", 0)
    elif not args.skip_sqlite:
        folder = Path(tempfile.mkdtemp(prefix="peerwork-bench-"))
        run_backend("sqlite", f"sqlite:///{folder / 'bench.sqlite3'}", args.requests)
    if args.postgres:
        base = make_url(args.postgres)
        name = f"peerwork_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run_backend(
                "postgresql",
                base.set(database=name).render_as_string(hide_password=False),
                args.requests,
            )
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
