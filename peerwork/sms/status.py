"""Twilio delivery callbacks: move an outbound message forward, never back."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork.models import Message, states
from peerwork.sms.transport import OPTED_OUT

log = logging.getLogger(__name__)

# Twilio's statuses that we record; the others (queued, sending...) say nothing new.
_RECORDED = {"sent", "delivered", "undelivered", "failed"}


# Twilio's error codes are five digits; anything an INTEGER column cannot hold is noise.
_MAX_ERROR_CODE = 2**31 - 1


def parse_error_code(raw: str | None) -> int | None:
    """Twilio's ErrorCode as an int, or None when absent or not a plain ASCII number we can store."""
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    code = int(raw)
    return code if code <= _MAX_ERROR_CODE else None


@dataclass(frozen=True)
class StatusResult:
    outcome: str  # updated, stale, unknown
    opted_out_texter_id: int | None = None


def apply_status(
    session: Session,
    *,
    sid: str,
    status: str,
    error_code: int | None,
    now: datetime,
) -> StatusResult:
    """Record a delivery callback; returns what happened (updated, stale, unknown).

    A callback saying the texter opted out at the carrier names them in the
    result: acting on that (`peerwork.texter.optout`) is the caller's part.
    """
    status = (status or "").lower()
    if status == "read":
        status = "delivered"
    message = session.scalar(
        select(Message)
        .where(Message.twilio_sid == sid, Message.direction == "outbound")
        .with_for_update()
    )
    if message is None:
        log.info("status callback for an unknown message SID")
        return StatusResult("unknown")
    if error_code is not None and message.error_code is None:
        message.error_code = error_code
    # A callback may only move a row forward along the delivery machine: a
    # late "sent" after "delivered", or a repeat, changes nothing.
    if status not in _RECORDED or not states.DELIVERY.can(message.status, status):
        outcome = "stale"
    else:
        states.DELIVERY.advance(message, status, attr="status")
        message.status_updated_at = now
        outcome = "updated"
    opted_out = error_code == OPTED_OUT and message.recipient == "texter" and message.texter_id
    return StatusResult(outcome, opted_out_texter_id=message.texter_id if opted_out else None)
