"""Opting out and back in: the texter's choice, honoured everywhere at once.

Stored once, as the dialog state "opted_out" (`Texter.opted_out`); this
module is the only one that moves a texter into or out of it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork.conversations import end_conversation
from peerwork.matching.offers import cancel_request
from peerwork.models import Conversation, SupportRequest, Texter, states

log = logging.getLogger(__name__)


def opt_out(session: Session, *, texter_id: int, now: datetime, dispatcher) -> bool:
    """Mark a texter opted out, end their conversation and cancel their request.

    Sends nothing to the texter (Twilio answers opt-out words itself, and any
    later message to them is refused by the sender). Returns False when they
    were already opted out.
    """
    texter = session.get(Texter, texter_id, with_for_update=True)
    if texter is None or texter.opted_out:
        return False
    states.move_dialog(texter, "opted_out")
    conversation = session.scalar(
        select(Conversation).where(
            Conversation.texter_id == texter.id, Conversation.state == "active"
        )
    )
    if conversation is not None:
        end_conversation(
            session,
            conversation_id=conversation.id,
            ended_by="optout",
            now=now,
            dispatcher=dispatcher,
        )
    request = session.scalar(
        select(SupportRequest).where(
            SupportRequest.texter_id == texter.id,
            SupportRequest.state.in_(states.OPEN_REQUEST_STATES),
        )
    )
    if request is not None:
        cancel_request(session, request_id=request.id, now=now, dispatcher=dispatcher)
    # end_conversation / cancel_request may have moved the dialog on; opting out wins.
    session.flush()
    session.refresh(texter)
    states.move_dialog(texter, "opted_out")
    log.info("texter %s opted out", texter.id)
    return True


def opt_in(session: Session, *, texter_id: int, now: datetime) -> bool:
    """Clear a texter's opt-out (START/UNSTOP); False when they were not opted out."""
    texter = session.get(Texter, texter_id, with_for_update=True)
    if texter is None or not texter.opted_out:
        return False
    states.move_dialog(texter, "idle")
    log.info("texter %s opted back in", texter.id)
    return True
