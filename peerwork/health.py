"""Health probes for load balancers and monitoring; no sign-in, no sensitive data.

- ``/healthz`` (liveness): the process answers. Touches nothing else, so a
  database or Redis outage never makes an orchestrator restart healthy web
  processes.
- ``/readyz`` (readiness): the database answers ``SELECT 1`` and Redis answers
  ``PING``, each with a short timeout; 200 when both do, 503 otherwise. It also
  reports what an operator needs to see a backlog building: queue depths, the
  age of the oldest inbound text not yet handled and of the oldest outbound text
  still queued, and the RQ workers' heartbeats. Counts and ages only: never a
  phone number, a message body, a host name or a connection string.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import redis
from flask import Blueprint, Flask, current_app
from rq import Worker
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from peerwork import clock
from peerwork.extensions import db, get_redis, redis_url
from peerwork.models import Message
from peerwork.queue import Dispatcher

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

TIMEOUT_SECONDS = 2


@bp.get("/healthz")
def healthz():
    """Liveness: the process is up."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Readiness: database and Redis answer; backlogs and worker heartbeats."""
    app = current_app._get_current_object()
    database = _timed(lambda: _ping_database(app))
    cache = _timed(lambda: _probe_redis(app).ping())
    connection = _probe_redis(app) if cache["ok"] else None
    ready = database["ok"] and cache["ok"]
    report = {
        "status": "ready" if ready else "unavailable",
        "checks": {"database": database, "redis": cache},
        "queues": _queue_depths(app, connection) if cache["ok"] else None,
        "workers": _workers(app, connection) if cache["ok"] else None,
        "messages": _message_ages() if database["ok"] else None,
    }
    return report, 200 if ready else 503


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; reported by class
        log.warning("readiness check failed: %s", type(exc).__name__)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _probe_engine(app: Flask) -> Engine:
    """An engine of its own with short timeouts and no pool: a probe opens a fresh
    connection (what a new request would need) and never waits behind the app's pool."""
    services = app.extensions["peerwork"]
    if "health_engine" not in services:
        url = app.config["DATABASE_URL"]
        if url.startswith("sqlite"):
            connect_args = {"timeout": TIMEOUT_SECONDS}
        else:
            connect_args = {
                "connect_timeout": TIMEOUT_SECONDS,
                "options": f"-c statement_timeout={TIMEOUT_SECONDS * 1000}",
            }
        services["health_engine"] = create_engine(
            url, poolclass=NullPool, hide_parameters=True, connect_args=connect_args
        )
    return services["health_engine"]


def _ping_database(app: Flask) -> None:
    with _probe_engine(app).connect() as connection:
        connection.execute(text("SELECT 1"))


def _probe_redis(app: Flask) -> redis.Redis:
    if not app.config["REDIS_URL"]:
        return get_redis(app)  # the embedded server on a local socket
    services = app.extensions["peerwork"]
    if "health_redis" not in services:
        services["health_redis"] = redis.Redis.from_url(
            redis_url(app),
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
        )
    return services["health_redis"]


def _queue_depths(app: Flask, connection: redis.Redis) -> dict | None:
    try:
        queues = Dispatcher(connection, app.config["RQ_QUEUE_PREFIX"]).all_queues()
        return {q.name.rsplit(":", 1)[-1]: q.count for q in queues}
    except redis.RedisError as exc:
        log.warning("readiness: queue depths unavailable (%s)", type(exc).__name__)
        return None


def _workers(app: Flask, connection: redis.Redis) -> dict | None:
    """How many workers serve our queues, and how long since the quietest one beat."""
    try:
        ours = {q.name for q in Dispatcher(connection, app.config["RQ_QUEUE_PREFIX"]).all_queues()}
        workers = [w for w in Worker.all(connection=connection) if ours & set(w.queue_names())]
    except redis.RedisError as exc:
        log.warning("readiness: workers unavailable (%s)", type(exc).__name__)
        return None
    now = clock.now()
    beats = [w.last_heartbeat for w in workers if w.last_heartbeat is not None]
    oldest = max(((now - beat).total_seconds() for beat in beats), default=None)
    return {
        "count": len(workers),
        "oldest_heartbeat_seconds": round(oldest, 1) if oldest is not None else None,
    }


def _age(oldest) -> int | None:
    if oldest is None:
        return None
    return int((clock.now() - oldest).total_seconds())


def _message_ages() -> dict | None:
    try:
        inbound = db.session.scalar(
            select(func.min(Message.created_at)).where(
                Message.direction == "inbound", Message.processed_at.is_(None)
            )
        )
        outbound = db.session.scalar(
            select(func.min(func.coalesce(Message.queued_at, Message.created_at))).where(
                Message.direction == "outbound", Message.status == "queued"
            )
        )
    except Exception as exc:  # noqa: BLE001 - a report, never a reason to fail the probe
        db.session.rollback()
        log.warning("readiness: message ages unavailable (%s)", type(exc).__name__)
        return None
    return {
        "oldest_unprocessed_inbound_seconds": _age(_aware(inbound)),
        "oldest_queued_outbound_seconds": _age(_aware(outbound)),
    }


def _aware(value):
    """SQLite returns aggregates of UTC columns as naive (or text); the rest are aware."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
