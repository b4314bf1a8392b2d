"""A generated program history for the reports: many texters, every topic, weeks of outcomes.

Rows are built as plain dicts and written with bulk INSERTs (explicit ids from
a high offset, so the rows of one test never meet a sequence), and the same
dicts are returned, so a test can count them again in plain Python without
going through the code under test.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from peerwork.models import Alert, CheckIn, Conversation, Message, SupportRequest, Texter

OUTCOMES = ("listened", "skills", "resources", "plan", "escalated", "cut_short", None)
# Busier on weekday evenings and Monday mornings, as an employee's week goes.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 9, 8, 8, 8, 9, 10, 12, 12, 10, 7, 4, 2]
DAY_WEIGHTS = [12, 10, 10, 10, 9, 5, 5]


@dataclass
class History:
    texters: list[dict] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    conversations: list[dict] = field(default_factory=list)
    checkins: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    messages: int = 0


def _bulk(session: Session, model, rows: list[dict], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        session.execute(insert(model), rows[start : start + chunk])


def generate(
    session: Session,
    *,
    program_id: int,
    topic_ids: list[int],
    peer_ids: list[int],
    until: datetime,
    weeks: int,
    requests: int,
    texters: int,
    messages_per_conversation: int = 0,
    seed: int = 18,
    id_base: int = 1_000_000,
    keep: bool = True,
) -> History:
    """Write `requests` requests from `texters` texters over the `weeks` weeks before `until`."""
    rng = random.Random(seed)
    history = History()
    start = until - timedelta(weeks=weeks)
    for n in range(texters):
        history.texters.append(
            {
                "id": id_base + n,
                "program_id": program_id,
                "phone_encrypted": b"generated",
                "phone_hash": f"gen{seed}-{n}",
                "pseudonym": f"Gen{seed}-{n}",
                "dialog_state": "idle",
                "recurring_checkin": "off",
                "created_at": start,
            }
        )
    _bulk(session, Texter, history.texters)
    pending: dict = {SupportRequest: [], Conversation: [], CheckIn: [], Alert: [], Message: []}

    def flush() -> None:
        # Parents before children: the foreign keys hold at every INSERT.
        for model, rows in pending.items():
            _bulk(session, model, rows)
            if model is Message:
                history.messages += len(rows)
            elif keep:
                {
                    SupportRequest: history.requests,
                    Conversation: history.conversations,
                    CheckIn: history.checkins,
                    Alert: history.alerts,
                }[model].extend(rows)
            rows.clear()

    topic_choices = [*topic_ids, None]
    topic_weights = [rng.randint(2, 12) for _ in topic_ids] + [1]
    span_days = weeks * 7
    message_id = id_base
    for n in range(requests):
        day = rng.randrange(span_days)
        local_day = start + timedelta(days=day)
        # A weekday shape: resample until the weekday's weight accepts it.
        while rng.random() * 12 > DAY_WEIGHTS[local_day.weekday()]:
            local_day = start + timedelta(days=rng.randrange(span_days))
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        created = local_day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
        if created >= until or created < start:
            created = start + timedelta(seconds=rng.randrange(int((until - start).total_seconds())))
        matched = rng.random() < 0.85
        wait = rng.lognormvariate(1.3, 0.9)  # minutes, a long tail
        matched_at = created + timedelta(minutes=wait) if matched else None
        request_id = id_base + n
        texter_id = id_base + rng.randrange(texters)
        preferred = rng.choice(peer_ids) if rng.random() < 0.12 else None
        request = {
            "id": request_id,
            "program_id": program_id,
            "texter_id": texter_id,
            "topic_id": rng.choices(topic_choices, weights=topic_weights)[0],
            "state": "closed" if matched else "cancelled",
            "is_crisis": False,
            "preferred_peer_id": preferred,
            "wave": 1,
            "source": "texter",
            "created_at": created,
            "matched_at": matched_at,
            "closed_at": (matched_at + timedelta(minutes=40))
            if matched
            else created + timedelta(minutes=rng.uniform(5, 90)),
        }
        pending[SupportRequest].append(request)
        if matched:
            peer = rng.choice(peer_ids)
            first_reply = matched_at + timedelta(minutes=rng.uniform(0.2, 6))
            ended = matched_at + timedelta(minutes=rng.uniform(10, 60))
            conversation = {
                "id": request_id,
                "program_id": program_id,
                "request_id": request_id,
                "texter_id": texter_id,
                "peer_profile_id": peer,
                "topic_id": request["topic_id"],
                "state": "ended",
                "is_crisis": False,
                "started_at": matched_at,
                "ended_at": ended,
                "ended_by": "peer",
                "outcome": rng.choices(OUTCOMES, weights=[10, 6, 5, 2, 1, 2, 2])[0],
                "checkin_choice": "1d",
                "first_peer_message_at": first_reply,
            }
            pending[Conversation].append(conversation)
            if rng.random() < 0.45:
                answered = ended + timedelta(days=1, minutes=rng.uniform(0, 600))
                pending[CheckIn].append(
                    {
                        "id": request_id,
                        "program_id": program_id,
                        "texter_id": texter_id,
                        "conversation_id": request_id,
                        "peer_profile_id": peer,
                        "kind": "followup",
                        "state": "answered",
                        "due_at": ended + timedelta(days=1),
                        "expires_at": ended + timedelta(days=1, hours=12),
                        "sent_at": ended + timedelta(days=1),
                        "score": rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 4, 6, 5))[0],
                        "answered_at": answered,
                        "created_at": ended,
                    }
                )
            for m in range(messages_per_conversation):
                from_texter = m % 2 == 0
                at = first_reply + timedelta(minutes=m) if m else created
                pending[Message].append(
                    {
                        "id": message_id,
                        "program_id": program_id,
                        "direction": "inbound" if from_texter else "outbound",
                        "author": "texter" if from_texter else "peer",
                        "kind": "relay",
                        "recipient": None if from_texter else "texter",
                        "texter_id": texter_id,
                        "peer_profile_id": None if from_texter else peer,
                        "conversation_id": request_id,
                        "body": "generated",
                        "segments": 1,
                        "is_crisis": False,
                        "status": "received" if from_texter else "delivered",
                        "attempts": 0 if from_texter else 1,
                        "created_at": at,
                    }
                )
                message_id += 1
        if rng.random() < 0.03:
            raised = created + timedelta(minutes=1)
            acked = rng.random() < 0.9
            pending[Alert].append(
                {
                    "id": request_id,
                    "program_id": program_id,
                    "kind": "crisis",
                    "state": "acknowledged" if acked else "escalated",
                    "category": "generated",
                    "request_id": request_id,
                    "texter_id": texter_id,
                    "created_at": raised,
                    "acknowledged_at": raised + timedelta(minutes=rng.uniform(0.5, 12))
                    if acked
                    else None,
                    "escalated_at": raised + timedelta(minutes=5) if rng.random() < 0.2 else None,
                }
            )
        if len(pending[Message]) >= 50_000 or len(pending[SupportRequest]) >= 10_000:
            flush()
    flush()
    return history
