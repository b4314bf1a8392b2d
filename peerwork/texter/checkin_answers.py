"""The texter's side of support after a conversation.

Answers to a check-in ("1".."5", TALK) and the keywords PLAN, TALK and
CHECKIN. None of these is a Twilio opt-out word; turning check-ins off is
CHECKIN OFF. The check-ins themselves (scheduling, sending, recording an
answer) are `peerwork.checkins.schedule`'s.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from peerwork.checkins import plans, schedule
from peerwork.extensions import get_vault
from peerwork.models import CheckIn, Conversation
from peerwork.texter import turn as rules
from peerwork.texter.keywords import keyword, normalize

LOW_SCORES = (1, 2)
_SCORE = re.compile(r"#?([1-5])(?:\s*/\s*5)?")


def parse_score(body: str | None) -> int | None:
    """1..5 from a reply such as "2", "#4" or "3/5"; None otherwise."""
    found = _SCORE.fullmatch(normalize(body))
    return int(found.group(1)) if found else None


def reconnect(turn, *, preferred_peer_id: int | None, topic_id: int | None, source: str) -> None:
    """Reach a peer again, preferring `preferred_peer_id`: the dialog's own request_support."""
    # This text (a low score, TALK) begins the ask: the peer's thread starts here.
    rules.request_support(
        turn,
        topic_id,
        preferred_peer_id=preferred_peer_id,
        source=source,
        begins_ask=True,
        found_reply="checkin_reconnect",
    )


def _topic_of(session: Session, conversation_id: int | None) -> int | None:
    if conversation_id is None:
        return None
    conversation = session.get(Conversation, conversation_id)
    return conversation.topic_id if conversation else None


def answer(turn, checkin: CheckIn, score: int | None) -> None:
    """Record the texter's answer; a low score or TALK reaches a peer again."""
    if not schedule.record_answer(turn.session, checkin_id=checkin.id, score=score, now=turn.now):
        turn.reply("checkin_thanks")
        return
    if score is None or score in LOW_SCORES:
        reconnect(
            turn,
            preferred_peer_id=checkin.peer_profile_id,
            topic_id=_topic_of(turn.session, checkin.conversation_id),
            source="checkin",
        )
    else:
        turn.reply("checkin_thanks")


def take_answer(turn) -> bool:
    """For an idle texter: treat "1".."5" as the answer to their check-in; True if it was."""
    if turn.texter.dialog_state != "idle":
        return False
    score = parse_score(turn.body)
    if score is None:
        return False
    checkin = schedule.answerable(turn.session, texter_id=turn.texter.id, now=turn.now)
    if checkin is None:
        return False
    answer(turn, checkin, score)
    return True


@keyword("PLAN", "MY PLAN")
def plan_keyword(turn) -> None:
    """Text the texter their saved crisis plan again."""
    connected = rules.is_connected(turn)
    plan = plans.load(turn.session, texter_id=turn.texter.id, vault=get_vault())
    if plan is None or not any(plan.values()):
        # Mid-conversation, "text NEW to talk" would send them away from their peer.
        turn.reply("plan_none_connected" if connected else "plan_none")
        if connected:
            rules.note_for_peer(turn, rules.PEER_NOTES["PLAN_NONE"])
        return
    turn.reply("plan", kind="plan", plan=plans.render(plan, turn.language))
    if connected:
        rules.note_for_peer(turn, rules.PEER_NOTES["PLAN"])


@keyword("TALK")
def talk_keyword(turn) -> None:
    """Reach a peer again, preferring the one from the last conversation."""
    texter = turn.texter
    if texter.dialog_state == "connected":
        rules.relay(turn)  # mid-conversation, "talk" is just words for the peer
        return
    if schedule.has_open_request(turn.session, texter.id):
        turn.reply("waiting_reminder")
        return
    checkin = schedule.answerable(turn.session, texter_id=texter.id, now=turn.now)
    if checkin is not None:
        answer(turn, checkin, None)
        return
    last = schedule.last_conversation(turn.session, texter.id)
    if last is None:
        # Never talked with anyone: the same start as NEW.
        if turn.program.status != "live":
            turn.reply("paused")
            return
        if texter.dialog_state != "choosing_topic":
            turn.move("choosing_topic")
        rules.send_menu(turn)
        return
    reconnect(turn, preferred_peer_id=last.peer_profile_id, topic_id=last.topic_id, source="texter")


@keyword("CHECKIN WEEKLY", "CHECKIN ON", "CHECK IN WEEKLY", "CHECK IN ON")
def checkin_weekly_keyword(turn) -> None:
    """Opt in to a weekly check-in."""
    schedule.set_recurring(
        turn.session,
        texter_id=turn.texter.id,
        choice="weekly",
        now=turn.now,
        dispatcher=turn.dispatcher,
    )
    turn.reply("checkin_weekly_on")


@keyword("CHECKIN OFF", "CHECK IN OFF")
def checkin_off_keyword(turn) -> None:
    """Opt out of weekly check-ins (messages from the line still work)."""
    schedule.set_recurring(
        turn.session,
        texter_id=turn.texter.id,
        choice="off",
        now=turn.now,
        dispatcher=turn.dispatcher,
    )
    turn.reply("checkin_weekly_off")


@keyword("CHECKIN", "CHECK IN")
def checkin_keyword(turn) -> None:
    """Explain the CHECKIN keywords."""
    turn.reply("checkin_options")
