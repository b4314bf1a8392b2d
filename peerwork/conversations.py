"""The conversation core: relaying, ending, handing back, flagging and reading conversations.

A conversation exists from the moment a peer accepts a request
(`matching.offers.accept_offer`) until the texter texts DONE, the peer ends
it with a wrap-up, the texter opts out, or the peer steps away. Ending one
calls what follows directly: the check-in (`checkins.schedule`) and waking
the waiting queue (`matching.offers`). Every function flushes and leaves the
commit to its caller.

May import: matching, checkins, safety (a flag is an alert), the SMS channel
and the ground below it.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from peerwork.checkins import schedule
from peerwork.matching import offers
from peerwork.models import (
    CHECKIN_CHOICES,
    Alert,
    Conversation,
    Message,
    PeerProfile,
    Program,
    Texter,
    states,
)
from peerwork.models.texting import OPENING_KIND
from peerwork.safety import escalation
from peerwork.sms import texts
from peerwork.sms.outbox import queue_sms

MAX_REPLY_CHARS = 1600
ENDED_BY = ("texter", "peer", "optout", "handback", "system")
# Ended this way, there is no wrap-up to ask for: the peer handed the texter on.
NO_WRAP_UP = ("handback",)
PREVIEW_CHARS = 90
# A bare menu number says nothing a peer can read ("2", "#3.").
_MENU_NUMBER = re.compile(r"#?\d{1,3}\.?")


class ConversationError(Exception):
    """A refused action on a conversation; the message is safe to show the peer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _own_conversation(session: Session, conversation_id: int, peer_profile_id: int):
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.peer_profile_id != peer_profile_id:
        raise ConversationError("This conversation is not one of yours.")
    return conversation


def record_texter_message(
    session: Session, *, conversation_id: int, message_id: int, now: datetime, dispatcher
) -> None:
    """Attach an inbound texter message to its conversation and alert the peer if they opted in."""
    conversation = session.get(Conversation, conversation_id)
    message = session.get(Message, message_id)
    if conversation is None or message is None:
        return
    if message.conversation_id == conversation.id:
        return  # already recorded (a retried job)
    # One alert per unread stretch: a peer who has not opened the thread since
    # the last texter message already has an alert waiting on their phone.
    already_unread = conversation.last_texter_message_at is not None and (
        conversation.peer_last_read_at is None
        or conversation.peer_last_read_at < conversation.last_texter_message_at
    )
    message.conversation_id = conversation.id
    conversation.last_texter_message_at = now
    peer = session.get(PeerProfile, conversation.peer_profile_id)
    if (
        conversation.state == "active"
        and not already_unread
        and peer is not None
        and peer.sms_alerts
        and peer.alert_phone_encrypted
    ):
        program = session.get(Program, conversation.program_id)
        queue_sms(
            session,
            program=program,
            # In the language of the peer's own pages, when they chose one.
            body=texts.for_program(
                "peer_message_alert", program, language=peer.user.locale or "en"
            ),
            now=now,
            dispatcher=dispatcher,
            recipient="peer",
            peer_profile_id=peer.id,
            conversation_id=conversation.id,
            kind="alert",
        )
    session.flush()


def peer_reply(
    session: Session,
    *,
    conversation_id: int,
    peer_profile_id: int,
    body: str,
    now: datetime,
    dispatcher,
) -> Message:
    """Queue the peer's reply to their texter (only their own, active conversation)."""
    conversation = _own_conversation(session, conversation_id, peer_profile_id)
    if conversation.state != "active":
        raise ConversationError("This conversation has ended; the texter can no longer be reached.")
    body = (body or "").strip()
    if not body:
        raise ConversationError("Write a message before sending.")
    if len(body) > MAX_REPLY_CHARS:
        raise ConversationError(
            f"That message is too long ({len(body)} characters; the limit is {MAX_REPLY_CHARS})."
        )
    texter = session.get(Texter, conversation.texter_id)
    if texter.opted_out:
        raise ConversationError("The texter has stopped messages from this number.")
    program = session.get(Program, conversation.program_id)
    message = queue_sms(
        session,
        program=program,
        body=body,
        now=now,
        dispatcher=dispatcher,
        recipient="texter",
        texter_id=conversation.texter_id,
        peer_profile_id=peer_profile_id,
        conversation_id=conversation.id,
        author="peer",
        kind="relay",
        is_crisis=conversation.is_crisis,
    )
    conversation.last_peer_message_at = now
    if conversation.first_peer_message_at is None:
        conversation.first_peer_message_at = now
    conversation.peer_last_read_at = now
    session.flush()
    return message


def end_conversation(
    session: Session,
    *,
    conversation_id: int,
    ended_by: str,
    now: datetime,
    dispatcher,
    outcome: str | None = None,
    checkin_choice: str | None = None,
    topic_id: int | None = None,
    notify_texter: bool = True,
) -> Conversation | None:
    """End a conversation once: free the peer, close the request, tell the texter, wake the queue."""
    if ended_by not in ENDED_BY:
        raise ValueError(f"unknown ended_by: {ended_by}")
    if checkin_choice is not None and checkin_choice not in CHECKIN_CHOICES:
        raise ConversationError("Choose when to check in: none, 1 day, 3 days or 1 week.")
    ended = states.transition(
        session,
        Conversation,
        conversation_id,
        states.CONVERSATION,
        "ended",
        ended_at=now,
        ended_by=ended_by,
    )
    conversation = session.get(Conversation, conversation_id, populate_existing=True)
    if not ended:
        return conversation
    program = session.get(Program, conversation.program_id)
    conversation.outcome = (outcome or None) and outcome[:40]
    conversation.checkin_choice = checkin_choice or program.checkin_default
    if topic_id is not None:
        conversation.topic_id = topic_id
    # Request first, then the peer row: the same lock order as accepting.
    offers.close_request(session, request_id=conversation.request_id, now=now)
    session.execute(
        update(PeerProfile)
        .where(
            PeerProfile.id == conversation.peer_profile_id,
            PeerProfile.active_conversations > 0,
        )
        .values(active_conversations=PeerProfile.active_conversations - 1)
        .execution_options(synchronize_session="fetch")
    )
    texter = session.get(Texter, conversation.texter_id, populate_existing=True)
    opted_out = ended_by == "optout" or texter.opted_out
    if not opted_out and texter.dialog_state == "connected":
        states.move_dialog(texter, "idle")
    if notify_texter and not opted_out and ended_by != "handback":
        if ended_by == "peer":
            peer = session.get(PeerProfile, conversation.peer_profile_id)
            body = texts.for_texter("ended_by_peer", program, texter, alias=peer.alias)
        else:
            body = texts.for_texter("ended_by_texter", program, texter)
        queue_sms(
            session,
            program=program,
            body=body,
            now=now,
            dispatcher=dispatcher,
            texter_id=texter.id,
            conversation_id=conversation.id,
        )
    session.flush()
    # What follows an end: the check-in (as chosen), and the freed peer's next texter.
    schedule.schedule_followup(session, conversation=conversation, now=now, dispatcher=dispatcher)
    offers.wake_waiting(session, program_id=conversation.program_id, now=now, dispatcher=dispatcher)
    session.flush()
    return conversation


def wrap_up(
    session: Session,
    *,
    conversation_id: int,
    peer_profile_id: int,
    outcome: str,
    checkin_choice: str,
    now: datetime,
    dispatcher,
    topic_id: int | None = None,
) -> bool:
    """Record the peer's wrap-up of an ended conversation, once; False if it already had one.

    Whoever ended it, the program's default check-in was scheduled at the end;
    the wrap-up's choice moves or cancels it.
    """
    conversation = _own_conversation(session, conversation_id, peer_profile_id)
    if checkin_choice not in CHECKIN_CHOICES:
        raise ConversationError("Choose when to check in: none, 1 day, 3 days or 1 week.")
    outcome = (outcome or "").strip()
    if not outcome:
        raise ConversationError("Choose how it went.")
    if conversation.state != "ended":
        raise ConversationError("End the conversation before wrapping it up.")
    values = {"outcome": outcome[:40], "checkin_choice": checkin_choice}
    if topic_id is not None:
        values["topic_id"] = topic_id
    # Conditional: a double submit, or a wrap-up racing the end, records one.
    recorded = session.execute(
        update(Conversation)
        .where(
            Conversation.id == conversation.id,
            Conversation.state == "ended",
            Conversation.outcome.is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if not recorded:
        return False
    conversation = session.get(Conversation, conversation.id, populate_existing=True)
    # The wrap-up's choice moves or cancels the check-in scheduled at the end.
    schedule.schedule_followup(session, conversation=conversation, now=now, dispatcher=dispatcher)
    session.flush()
    return True


def needs_wrap_up(conversation: Conversation) -> bool:
    """An ended conversation whose peer has not yet said how it went."""
    return (
        conversation.state == "ended"
        and conversation.outcome is None
        and conversation.ended_by not in NO_WRAP_UP
    )


def _words_floor(session: Session, texter_id: int, *, below: int | None, conversation_id=None):
    """The id after which the texter's words belong to the ask being answered.

    Everything up to the text that began this ask, and everything that belonged
    to an earlier conversation, is left out.
    """
    opening = select(func.max(Message.id)).where(
        Message.texter_id == texter_id,
        Message.direction == "inbound",
        Message.kind == OPENING_KIND,
    )
    earlier = select(func.max(Message.id)).where(
        Message.texter_id == texter_id, Message.conversation_id.is_not(None)
    )
    if conversation_id is not None:
        earlier = earlier.where(Message.conversation_id != conversation_id)
    if below is not None:
        opening = opening.where(Message.id < below)
        earlier = earlier.where(Message.id < below)
    opening_id = session.scalar(opening)
    earlier_id = session.scalar(earlier)
    # The opening text itself is shown; an earlier conversation's last message is not.
    floor = (opening_id - 1) if opening_id is not None else 0
    return max(floor, earlier_id or 0)


def words_before_match(
    session: Session, *, texter_id: int, conversation: Conversation | None = None
) -> list[Message]:
    """What the texter wrote since this ask began and before a peer took it, oldest first.

    Texts sent before the match carry no conversation id: they are found from
    the text that began the ask (marked by the dialog) up to the conversation's
    first message. Without a conversation (an open request), up to now.
    """
    below = None
    if conversation is not None:
        below = session.scalar(
            select(func.min(Message.id)).where(Message.conversation_id == conversation.id)
        )
    floor = _words_floor(
        session,
        texter_id,
        below=below,
        conversation_id=conversation.id if conversation is not None else None,
    )
    query = select(Message).where(
        Message.texter_id == texter_id,
        Message.direction == "inbound",
        Message.conversation_id.is_(None),
        Message.id > floor,
    )
    if below is not None:
        query = query.where(Message.id < below)
    elif conversation is not None:
        query = query.where(Message.created_at <= conversation.started_at)
    return list(session.scalars(query.order_by(Message.id)))


def preview(messages: list[Message]) -> str | None:
    """A short quote of the texter's own words for an offer: a crisis text, else the fullest."""
    said = [
        (message, " ".join((message.body or "").split()))
        for message in messages
        if message.body and not _MENU_NUMBER.fullmatch(" ".join(message.body.split()))
    ]
    if not said:
        return None
    crisis = [body for message, body in said if message.is_crisis]
    body = crisis[-1] if crisis else max((body for _, body in said), key=len)
    if len(body) > PREVIEW_CHARS:
        body = body[: PREVIEW_CHARS - 1].rstrip() + "…"
    return body


def flag_for_supervisor(
    session: Session,
    *,
    conversation_id: int,
    peer_profile_id: int,
    reason: str,
    now: datetime,
    dispatcher,
) -> Alert:
    """The peer asks a supervisor to look at their conversation (their own note, no content)."""
    conversation = _own_conversation(session, conversation_id, peer_profile_id)
    reason = (reason or "").strip()
    if not reason:
        raise ConversationError("Say in a few words why you need a supervisor.")
    peer = session.get(PeerProfile, peer_profile_id)
    alert = escalation.raise_flag(
        session,
        conversation=conversation,
        raised_by_id=peer.user_id,
        reason=reason,
        now=now,
    )
    conversation.flagged_at = conversation.flagged_at or now
    session.flush()
    return alert


def mark_read(
    session: Session, *, conversation_id: int, peer_profile_id: int, now: datetime
) -> None:
    """The peer has seen everything in their conversation up to now."""
    conversation = _own_conversation(session, conversation_id, peer_profile_id)
    conversation.peer_last_read_at = now
    session.flush()


def unread_count(session: Session, *, conversation_id: int, peer_profile_id: int) -> int:
    """Texter messages in the peer's conversation that they have not seen yet."""
    conversation = _own_conversation(session, conversation_id, peer_profile_id)
    query = select(func.count(Message.id)).where(
        Message.conversation_id == conversation.id, Message.direction == "inbound"
    )
    if conversation.peer_last_read_at is not None:
        query = query.where(Message.created_at > conversation.peer_last_read_at)
    return session.scalar(query) or 0


def unread_counts(session: Session, *, peer_profile_id: int) -> dict[int, int]:
    """Unread texter messages per active conversation of the peer (one query)."""
    rows = session.execute(
        select(Conversation.id, func.count(Message.id))
        .join(Message, Message.conversation_id == Conversation.id)
        .where(
            Conversation.peer_profile_id == peer_profile_id,
            Conversation.state == "active",
            Message.direction == "inbound",
            (Conversation.peer_last_read_at.is_(None))
            | (Message.created_at > Conversation.peer_last_read_at),
        )
        .group_by(Conversation.id)
    ).all()
    return {conversation_id: count for conversation_id, count in rows}


def hand_back(session: Session, *, conversation_id: int, now: datetime, dispatcher):
    """A peer stepped away: end their conversation and find the texter someone else."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.state != "active":
        return None
    end_conversation(
        session,
        conversation_id=conversation_id,
        ended_by="handback",
        now=now,
        dispatcher=dispatcher,
        notify_texter=False,
        checkin_choice="none",
    )
    texter = session.get(Texter, conversation.texter_id)
    if texter.opted_out:
        return None
    program = session.get(Program, conversation.program_id)
    queue_sms(
        session,
        program=program,
        body=texts.for_texter("peer_stepped_away", program, texter),
        now=now,
        dispatcher=dispatcher,
        texter_id=texter.id,
        conversation_id=conversation.id,
    )
    return offers.open_request(
        session,
        program_id=conversation.program_id,
        texter_id=texter.id,
        topic_id=conversation.topic_id,
        now=now,
        dispatcher=dispatcher,
        is_crisis=conversation.is_crisis,
        source="handback",
    )
