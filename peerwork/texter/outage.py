"""Inbound texts while the database is unreachable: answer a crisis, keep every text.

The webhook normally stores a text before it answers. When the database is
down it cannot, and a 500 would leave a crisis text without its crisis
reply. Instead (design rule 8: crisis replies never wait):

- the program is known from this process's memory (`inbound.known_program`,
  filled on first use), and crisis detection needs only its phrases;
- the text is kept aside, encrypted with the data key, on a Redis list (the
  spool); `ingest_spool` (a periodic job) stores it once the database is
  back, exactly once (unique MessageSid), and the dialog carries on;
- a crisis text gets its crisis reply in the TwiML answer even if it could
  not be kept (Twilio will not retry an answered webhook, so that one text
  is logged as lost by sid only); any other text gets an empty answer if it
  was kept, and a 503 if not, so that Twilio tries the Fallback URL or
  retries later.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

import redis
from sqlalchemy.orm import Session

from peerwork.safety.detect import assess
from peerwork.sms import texts
from peerwork.texter import inbound

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
    connection: redis.Redis,
    prefix: str,
) -> tuple[list[str], bool]:
    """The replies for a text the database could not take, and whether it was kept."""
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
    try:
        connection.rpush(spool_key(prefix), vault.encrypt(json.dumps(record)))
        kept = True
    except redis.RedisError:
        kept = False
    log.error(
        "database unreachable: inbound %s %s%s",
        message_sid,
        "kept for later" if kept else "NOT kept (Redis unreachable too)",
        ", crisis reply sent" if replies else "",
    )
    return replies, kept


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
        record = json.loads(vault.decrypt(raw))
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
        connection.lrem(key, 1, raw)
        if result.needs_processing:
            inbound.enqueue_inbound(dispatcher, result.message_id, crisis=result.is_crisis)
        done += 1
    if done:
        log.info("stored %d inbound text(s) kept during a database outage", done)
    return done
