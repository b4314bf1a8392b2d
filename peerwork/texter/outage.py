"""Inbound texts while the database is unreachable: answer a crisis, keep every text.

The webhook normally stores a text before it answers. When the database is
down it cannot, and a 500 would leave a crisis text without its crisis
reply. Instead (design rule 8: crisis replies never wait):

- the program is known from this process's memory (`inbound.known_program`,
  filled on first use), and crisis detection needs only its phrases;
- the text is kept aside, encrypted with the data key, on a Redis list (the
  spool); `ingest_spool` (a periodic job) stores it once the database is
  back, exactly once (unique MessageSid), and the dialog carries on;
- if Redis is unreachable too, the text goes to an encrypted append-only
  file on this host's disk (`peerwork.texter.spoolfile`), fsynced before the
  answer; `ingest_files` stores those once the database is back: the web
  process that wrote one retries every few seconds (`ingest_in_background`,
  also started by gunicorn for files left by a process that died), and the
  periodic job does it too for the files on the worker's own host;
- a crisis text gets its crisis reply in the TwiML answer even if it could
  not be kept (Twilio will not retry an answered webhook, so that one text
  is logged as lost by sid only); any other text gets an empty answer if it
  was kept, and a 503 if not, so that Twilio tries the Fallback URL or
  retries later.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime
from pathlib import Path

import redis
from sqlalchemy.orm import Session

from peerwork.extensions import db, get_dispatcher, get_vault
from peerwork.safety.detect import assess
from peerwork.sms import texts
from peerwork.texter import inbound, spoolfile

log = logging.getLogger(__name__)

SPOOL = "inbound-spool"
INGEST_BATCH = 200


def spool_key(prefix: str) -> str:
    return f"{prefix}:{SPOOL}" if prefix else SPOOL


def crisis_text(language: str) -> str:
    """The crisis reply when the database (and the program's own wording) is out of reach."""
    return texts.render("crisis_es" if language == "es" else "crisis")


def answer_without_database(
    *,
    to: str,
    from_: str,
    body: str,
    message_sid: str,
    now: datetime,
    vault,
    connection: redis.Redis | None,
    prefix: str,
    spool_dir: Path,
) -> tuple[list[str], str | None]:
    """The replies for a text the database could not take, and where it was kept.

    Where: "redis", "file" or None (kept nowhere).
    """
    program = inbound.known_program(to)
    assessment = assess(body, program.crisis_phrases if program else None)
    replies = [crisis_text(assessment.language)] if assessment.is_crisis else []
    record = {
        "to": to,
        "from": from_,
        "body": body,
        "sid": message_sid,
        "at": now.isoformat(),
        "answered": replies,
    }
    token = vault.encrypt(json.dumps(record))
    kept = None
    try:
        if connection is None:
            raise redis.ConnectionError("no Redis")
        connection.rpush(spool_key(prefix), token)
        kept = "redis"
    except redis.RedisError:
        try:
            spoolfile.append(spool_dir, token)
            kept = "file"
        except OSError as error:
            log.error("could not write the local spool: %s", type(error).__name__)
    log.error(
        "database unreachable: inbound %s %s%s",
        message_sid,
        {
            "redis": "kept for later",
            "file": "kept for later in a local file (Redis unreachable too)",
            None: "NOT kept (Redis and the local spool unreachable too)",
        }[kept],
        ", crisis reply sent" if replies else "",
    )
    return replies, kept


def store_record(session: Session, record: dict, *, vault, dispatcher) -> None:
    """Store one kept text (commit included); a second time it is a duplicate by MessageSid."""
    result = inbound.receive(
        session,
        to=record["to"],
        from_=record["from"],
        body=record["body"],
        message_sid=record["sid"],
        now=datetime.fromisoformat(record["at"]),
        vault=vault,
        dispatcher=dispatcher,
        answered=record.get("answered", []),
    )
    session.commit()
    if result.needs_processing:
        inbound.enqueue_inbound(dispatcher, result.message_id, crisis=result.is_crisis)


def ingest_spool(
    session: Session, *, vault, dispatcher, connection: redis.Redis, prefix: str
) -> int:
    """Store the texts kept aside during a database outage, oldest first; returns how many.

    Each is removed from the spool only after its commit; one stored twice is
    a duplicate by MessageSid and stored once.
    """
    key = spool_key(prefix)
    done = 0
    for _ in range(INGEST_BATCH):
        raw = connection.lindex(key, 0)
        if raw is None:
            break
        store_record(session, json.loads(vault.decrypt(raw)), vault=vault, dispatcher=dispatcher)
        connection.lrem(key, 1, raw)
        done += 1
    if done:
        log.info("stored %d inbound text(s) kept during a database outage", done)
    return done


# One ingest of local files at a time in a process: a claim by this process is then
# never in progress when the next ingest looks at it (see spoolfile._claim_is_stale).
_INGESTING = threading.Lock()


def ingest_files(session: Session, *, directory: Path, vault, dispatcher) -> int:
    """Store the texts kept in this host's local spool files; returns how many were read.

    Each file is claimed by rename first (no other process reads it), removed
    once all its records are stored. If the database fails again midway the
    claim stays and the next run takes it over; what was already stored is a
    duplicate by MessageSid and stored once.
    """
    done = 0
    with _INGESTING:
        for path in spoolfile.claim_all(directory):
            unreadable = 0
            for token in spoolfile.read(path):
                try:
                    record = json.loads(vault.decrypt(token))
                except (ValueError, TypeError):  # a torn last line, never answered; another key
                    unreadable += 1
                    continue
                store_record(session, record, vault=vault, dispatcher=dispatcher)
                done += 1
            if unreadable:
                log.error("local spool %s: %d unreadable record(s) skipped", path.name, unreadable)
            spoolfile.release(path)
    if done:
        log.info("stored %d inbound text(s) kept in a local file during an outage", done)
    return done


_BACKGROUND: dict[str, threading.Thread] = {}


def ingest_in_background(app) -> None:
    """Ingest this host's spool files from a thread of this process until none are left.

    Started by the webhook after it wrote one, and at a web process's start
    (deploy/gunicorn.conf.py) for files a process that died left behind. Every
    `SPOOL_INGEST_INTERVAL` seconds (0: never, as in the tests, which ingest
    explicitly) until the spool folder is empty.
    """
    interval = float(app.config.get("SPOOL_INGEST_INTERVAL", 5) or 0)
    folder = spoolfile.directory(app.instance_path)
    if not interval or not spoolfile.pending(folder):
        return
    with _INGESTING_START:
        running = _BACKGROUND.get("thread")
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(
            target=_keep_ingesting, args=(app, folder, interval), name="spool-ingest", daemon=True
        )
        _BACKGROUND["thread"] = thread
        thread.start()


_INGESTING_START = threading.Lock()


def _keep_ingesting(app, folder: Path, interval: float) -> None:
    while spoolfile.pending(folder):
        time.sleep(interval)
        with app.app_context():
            try:
                ingest_files(
                    db.session, directory=folder, vault=get_vault(), dispatcher=get_dispatcher()
                )
            except Exception as error:  # noqa: BLE001 - the database is still away: try again
                log.warning("local spool not ingested yet: %s", type(error).__name__)
                db.session.rollback()
            finally:
                db.session.remove()
