"""The outbox sender: THE only place a phone number is decrypted.

Kill-safety, step by step (each step is its own commit):

1. claim:   queued -> sending (conditional UPDATE; a second worker claims nothing)
2. hand the message to the transport (bounded HTTP timeout)
3. record:  sending -> sent with the provider's SID, committed at once

A worker killed before step 2 returns leaves the row in `sending` with no SID;
the outbox sweep puts it back to `queued` once it is older than the sweep
threshold (far longer than the HTTP timeout, so a live send is never
reclaimed) and it is sent again. That is safe when the provider never got
the request. The one case that sends twice is a worker that dies after the
provider accepted the message and before step 3 committed: the provider's
SID exists only in that worker's memory. The window is kept to the round
trip of the HTTP response plus one UPDATE: nothing else (no logging, no
other queries) happens between the transport returning and the commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from peerwork.models import EscalationContact, Message, PeerProfile, Program, Texter, states
from peerwork.sms.transport import OPTED_OUT, PermanentSendError, TemporarySendError

log = logging.getLogger(__name__)

# The first try plus RQ's five retries (peerwork.sms.outbox.SEND_RETRY).
MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class SendResult:
    outcome: str  # sent, already, in_flight, cancelled, failed, throttled, missing
    sid: str | None = None


def _recipient_phone(session: Session, message: Message) -> bytes | None:
    """The recipient's encrypted phone, or None when they must not be texted."""
    if message.recipient == "texter":
        texter = session.get(Texter, message.texter_id) if message.texter_id else None
        if texter is None or texter.opted_out_at is not None:
            return None
        return texter.phone_encrypted
    if message.recipient == "peer":
        peer = (
            session.get(PeerProfile, message.peer_profile_id) if message.peer_profile_id else None
        )
        if peer is None or not peer.sms_alerts:
            return None
        return peer.alert_phone_encrypted
    if message.recipient == "contact":
        contact = session.get(EscalationContact, message.contact_id) if message.contact_id else None
        return contact.phone_encrypted if contact is not None else None
    return None


def _move(session: Session, message_id: int, new: str, **values) -> bool:
    """Conditional UPDATE along the delivery machine; True when this call moved it."""
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status.in_(states.DELIVERY.sources(new)))
        .values(status=new, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def send_message(
    session: Session,
    *,
    message_id: int,
    now: datetime,
    transport,
    vault,
    dispatcher,
    status_callback: str | None = None,
    throttle=None,
) -> SendResult:
    """Send one queued outbound message exactly once (see the module notes).

    Commits as it goes: the claim must be durable before the provider is called.
    Raises TemporarySendError (after putting the row back to `queued`) so the
    job's retry policy can try again later.
    """
    message = session.get(Message, message_id)
    if message is None or message.direction != "outbound":
        return SendResult("missing")
    if message.status == "sending":
        return SendResult("in_flight")
    if message.status != "queued":
        return SendResult("already", message.twilio_sid)
    program = session.get(Program, message.program_id)
    encrypted = _recipient_phone(session, message)
    if encrypted is None or program is None or not program.sms_number:
        _move(session, message_id, "cancelled", status_updated_at=now)
        session.commit()
        return SendResult("cancelled")
    if throttle is not None and not throttle.allow(program.sms_number, program.messages_per_second):
        return SendResult("throttled")
    claimed = _move(
        session, message_id, "sending", attempts=Message.attempts + 1, status_updated_at=now
    )
    session.commit()
    if not claimed:
        return SendResult("already")
    body, from_number = message.body or "", program.sms_number
    to_number = vault.decrypt(encrypted)
    try:
        sid = transport.send(
            to=to_number, from_=from_number, body=body, status_callback=status_callback
        )
    except TemporarySendError as exc:
        if message.attempts + 1 >= MAX_ATTEMPTS:
            # Retries used up: give up visibly rather than retry forever.
            _move(session, message_id, "failed", error_code=exc.code, status_updated_at=now)
            session.commit()
            log.info("message %s failed after %d attempts", message_id, MAX_ATTEMPTS)
            return SendResult("failed")
        _move(session, message_id, "queued", status_updated_at=now)
        session.commit()
        raise
    except PermanentSendError as exc:
        _move(session, message_id, "failed", error_code=exc.code, status_updated_at=now)
        session.commit()
        if exc.code == OPTED_OUT and message.recipient == "texter" and message.texter_id:
            from peerwork.sms.optout import opt_out

            opt_out(session, texter_id=message.texter_id, now=now, dispatcher=dispatcher)
            session.commit()
        log.info("message %s failed permanently (code %s)", message_id, exc.code)
        return SendResult("failed")
    # The duplicate-send window: keep this UPDATE + commit the very next thing.
    _move(session, message_id, "sent", twilio_sid=sid, sent_at=now, status_updated_at=now)
    session.commit()
    return SendResult("sent", sid)
