"""The texter dialog: what each inbound message means, one state machine.

States (`states.DIALOG`): new -> choosing_topic -> waiting -> connected ->
idle, and opted_out from anywhere. Keywords are looked up first (see
`keywords.py`). Two entry points share every rule:

- `immediate(turn)`, inside the webhook: only what must be answered at once
  and needs no matching (welcome + menu on first contact, HELP/INFO). Its
  replies go back as TwiML and are recorded as `sent` rows.
- `handle(turn)`, inside the `process_inbound` job: everything else. Its
  replies go through the outbox.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork.models import (
    Conversation,
    Message,
    Program,
    Resource,
    SupportRequest,
    Texter,
    Topic,
    states,
)
from peerwork.models.texting import OPENING_KIND
from peerwork.sms import hours, segments, texts
from peerwork.sms.keywords import OPT_IN_WORDS, OPT_OUT_WORDS, REGISTRY, keyword
from peerwork.sms.outbox import queue_sms

log = logging.getLogger(__name__)

# Moving into choosing_topic from these states begins a new ask (OPENING_KIND).
ASKING_STARTS_FROM = ("new", "idle", "connected")


@dataclass
class Turn:
    """One inbound message being answered, and where the answers go."""

    session: Session
    program: Program
    texter: Texter
    message: Message
    now: datetime
    dispatcher: object | None = None
    immediate: bool = False
    replies: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        return self.message.body or ""

    def reply(self, key: str, *, kind: str = "system", **values: object) -> Message | None:
        """Send the texter the text `key` (TwiML now, or through the outbox)."""
        if self.texter.opted_out_at is not None:
            return None
        body = texts.for_program(key, self.program, **values)
        crisis = kind == "crisis"
        if not self.immediate:
            return queue_sms(
                self.session,
                program=self.program,
                body=body,
                now=self.now,
                dispatcher=self.dispatcher,
                texter_id=self.texter.id,
                kind=kind,
                is_crisis=crisis,
            )
        # Answered in the webhook's TwiML: recorded as sent so the thread is complete.
        row = Message(
            program_id=self.program.id,
            direction="outbound",
            author="system",
            kind=kind,
            recipient="texter",
            texter_id=self.texter.id,
            body=body,
            segments=segments.segments(body),
            is_crisis=crisis,
            status="sent",
            created_at=self.now,
            queued_at=self.now,
            sent_at=self.now,
            status_updated_at=self.now,
        )
        self.session.add(row)
        self.replies.append(body)
        return row

    def move(self, new: str) -> None:
        """Advance the texter's dialog state (no-op when already there)."""
        if self.texter.dialog_state != new:
            if new == "choosing_topic" and self.texter.dialog_state in ASKING_STARTS_FROM:
                # This text begins a new ask: the peer who takes it reads from here on.
                self.message.kind = OPENING_KIND
            states.DIALOG.advance(self.texter, new, attr="dialog_state")


# -- the menu and topic choice ---------------------------------------------------

_WORD = re.compile(r"[a-z0-9']+")
_STOPWORDS = frozenset(
    "a an and are about at be been but for from have i i'm im in is it its just me my of on or "
    "so that the this to too was with work really very feel feeling".split()
)


def active_topics(session: Session, program: Program) -> list[Topic]:
    """The program's topics on the menu, by menu number."""
    return list(
        session.scalars(
            select(Topic)
            .where(Topic.program_id == program.id, Topic.retired_at.is_(None))
            .order_by(Topic.menu_number)
        )
    )


def menu_text(session: Session, program: Program) -> str:
    """The numbered topic list for the `menu` text."""
    lines = [f"{topic.menu_number} {topic.name}" for topic in active_topics(session, program)]
    return "\n".join(lines) or "Tell us in a few words what's on your mind."


def _words(text: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and len(w) > 2}


def match_topic(session: Session, program: Program, body: str) -> tuple[str, Topic | None]:
    """How a reply to the menu picks a topic: ("number"|"keyword"|"free"|"unclear", topic).

    Free text that matches no topic is "free" with no topic: something else.
    """
    text = " ".join(body.split())
    topics = active_topics(session, program)
    if not text:
        return "unclear", None
    if re.fullmatch(r"#?\d{1,3}\.?", text):
        number = int(text.strip("#."))
        found = next((t for t in topics if t.menu_number == number), None)
        return ("number", found) if found else ("unclear", None)
    lowered = f" {' '.join(_WORD.findall(text.lower()))} "
    for topic in topics:
        candidates = [topic.name, *(topic.keywords or [])]
        for candidate in candidates:
            phrase = " ".join(_WORD.findall(candidate.lower()))
            if phrase and f" {phrase} " in lowered:
                return "keyword", topic
    said = _words(text)
    best, best_score = None, 0
    for topic in topics:
        vocabulary = _words(
            " ".join([topic.name, *(topic.keywords or []), topic.description or ""])
        )
        score = len(said & vocabulary)
        if score > best_score:
            best, best_score = topic, score
    return "free", best


def send_menu(turn: Turn) -> None:
    """The topic menu."""
    turn.reply("menu", menu=menu_text(turn.session, turn.program))


def _next_step_when_closed(program: Program, *, asking_topic: bool) -> str:
    if not program.keep_requests_after_hours:
        key = "closed_not_kept"
    elif asking_topic:
        key = "closed_choose_topic"
    else:
        key = "closed_kept"
    return texts.for_program(key, program)


def _closed_reply(turn: Turn, *, asking_topic: bool = False) -> None:
    """The line is not taking texts: say so, when it opens, and the crisis lines."""
    program = turn.program
    if program.status != "live":
        turn.reply("paused")
        return
    turn.reply(
        "closed_hours",
        hours=hours.describe(program),
        opens=hours.describe_opening(program, turn.now),
        next_step=_next_step_when_closed(program, asking_topic=asking_topic),
    )


def offer_topics(turn: Turn) -> None:
    """Ask for a topic, saying first if the line is closed (and not asking if it can't help)."""
    program = turn.program
    if program.status != "live":
        turn.reply("paused")
        return
    if not hours.is_open(program, turn.now):
        _closed_reply(turn, asking_topic=True)
        if not program.keep_requests_after_hours:
            return
    turn.move("choosing_topic")
    send_menu(turn)


def request_support(turn: Turn, topic: Topic | None) -> None:
    """Open a support request (or explain the hours) after a topic is chosen."""
    program = turn.program
    if program.status != "live":
        _closed_reply(turn)
        return
    is_open = hours.is_open(program, turn.now)
    if not is_open and not program.keep_requests_after_hours:
        _closed_reply(turn)
        turn.move("idle")
        return
    from peerwork.matching.offers import open_request

    turn.move("waiting")
    open_request(
        turn.session,
        program_id=program.id,
        texter_id=turn.texter.id,
        topic_id=topic.id if topic else None,
        now=turn.now,
        dispatcher=turn.dispatcher,
        is_crisis=turn.message.is_crisis,
        preferred_peer_id=turn.texter.last_peer_id,
    )
    if not is_open:
        _closed_reply(turn)
    elif not turn.message.is_crisis:
        # A crisis message's own reply already said a person is being found.
        turn.reply("waiting")


def choose_topic(turn: Turn) -> None:
    how, topic = match_topic(turn.session, turn.program, turn.body)
    if how == "unclear":
        turn.reply("topic_unclear")
        send_menu(turn)
        return
    request_support(turn, topic)


def _active_conversation(turn: Turn) -> Conversation | None:
    return turn.session.scalar(
        select(Conversation).where(
            Conversation.texter_id == turn.texter.id, Conversation.state == "active"
        )
    )


def _open_request(turn: Turn) -> SupportRequest | None:
    return turn.session.scalar(
        select(SupportRequest).where(
            SupportRequest.texter_id == turn.texter.id,
            SupportRequest.state.in_(("offering", "waiting", "held")),
        )
    )


def relay(turn: Turn) -> None:
    """A connected texter's message goes to their peer's thread."""
    conversation = _active_conversation(turn)
    if conversation is None:
        turn.move("idle")
        turn.reply("not_connected")
        return
    from peerwork.conversations import record_texter_message

    record_texter_message(
        turn.session,
        conversation_id=conversation.id,
        message_id=turn.message.id,
        now=turn.now,
        dispatcher=turn.dispatcher,
    )


def welcome(turn: Turn) -> None:
    """First contact: who we are, confidentiality, crisis lines, and the menu.

    While the line is closed the first text says so, with the opening time,
    before any topic is asked for; a program that does not keep requests asks
    to text again then (the texter stays `new`, so they are welcomed then).
    """
    program = turn.program
    if hours.is_open(program, turn.now):
        turn.reply("welcome")
        send_menu(turn)
        turn.move("choosing_topic")
        return
    turn.reply(
        "welcome_closed",
        hours=hours.describe(program),
        opens=hours.describe_opening(program, turn.now),
        next_step=_next_step_when_closed(program, asking_topic=True),
    )
    if program.keep_requests_after_hours:
        send_menu(turn)
        turn.move("choosing_topic")


def crisis_reply(turn: Turn, language: str = "en") -> None:
    """The one crisis reply, worded for where the texter is (sent first, in the webhook).

    Talking with a peer: the team is alerted. Line open and no peer yet: a
    person is being found now (the job opens the request; no second "finding"
    text follows). Line closed or paused: no peer is on; the escalation
    contacts are the humans alerted. A message in Spanish gets the Spanish
    reply, which is true in every one of those cases (a person is told).
    """
    if language == "es":
        turn.reply("crisis_es", kind="crisis")
    elif turn.texter.dialog_state == "connected":
        turn.reply("crisis", kind="crisis")
    elif not hours.is_open(turn.program, turn.now):
        turn.reply("crisis_closed", kind="crisis")
    elif turn.texter.dialog_state == "waiting":
        turn.reply("crisis", kind="crisis")
    else:
        turn.reply("crisis_first", kind="crisis")


def waiting_reply(turn: Turn) -> None:
    """An honest answer to a texter who writes while their request waits."""
    request = _open_request(turn)
    if request is None:
        turn.reply("waiting_reminder")
    elif request.state == "held" or turn.program.status != "live":
        _closed_reply(turn)
    elif not hours.is_open(turn.program, turn.now):
        # Left at closing time: it keeps its place (see peerwork.sms.hours).
        turn.reply("waiting_after_hours", opens=hours.describe_opening(turn.program, turn.now))
    else:
        turn.reply("waiting_reminder")


# -- entry points --------------------------------------------------------------------


def immediate(turn: Turn) -> bool:
    """Answer what the webhook answers itself; True when nothing is left for the job."""
    found = REGISTRY.match(turn.body) if turn.body else None
    opted_out = turn.texter.opted_out_at is not None
    if found is not None and found.immediate and not opted_out:
        found.handler(turn)
        return not turn.message.is_crisis
    if (
        found is None
        and not opted_out
        and turn.texter.dialog_state == "new"
        and turn.program.status == "live"
    ):
        if turn.message.is_crisis:
            # The crisis reply was the welcome; the message is read as a topic by
            # the job, so a peer is sought at once.
            turn.move("choosing_topic")
            return False
        welcome(turn)
        return True
    return False


def handle(turn: Turn) -> None:
    """Decide what an inbound message means and act on it (the job's half)."""
    from peerwork.sms.keywords import match

    found = match(turn.body)
    if turn.texter.opted_out_at is not None:
        if found is not None and found.when_opted_out:
            found.handler(turn)
        return
    state = turn.texter.dialog_state
    if found is not None:
        found.handler(turn)
        return
    if state == "connected":
        relay(turn)
    elif turn.program.status != "live":
        turn.reply("paused")
    elif state == "new":
        welcome(turn)
    elif state == "choosing_topic":
        choose_topic(turn)
    elif state == "waiting":
        if not turn.message.is_crisis:  # the crisis reply already answered
            waiting_reply(turn)
    elif turn.message.is_crisis:
        # Someone idle who writes in crisis gets a peer sought at once.
        turn.move("choosing_topic")
        request_support(turn, match_topic(turn.session, turn.program, turn.body)[1])
    else:
        # An idle texter's "1".."5" may be the answer to a check-in they were sent.
        from peerwork.checkins.schedule import take_answer

        if not take_answer(turn):
            turn.reply("not_connected")


# -- built-in keywords -------------------------------------------------------------


# What the peer's thread shows when their texter uses a keyword mid-conversation.
PEER_NOTES = {
    "HELP": "Texter asked for HELP; we sent how the line works and the crisis lines.",
    "RESOURCES": "Texter asked for RESOURCES; we sent the list.",
    "RESOURCES_NONE": "Texter asked for RESOURCES; we sent the crisis lines (no local list yet).",
    "PLAN": "Texter asked for their PLAN; we sent their saved plan.",
    "PLAN_NONE": "Texter asked for their PLAN; they have none saved yet.",
}


def is_connected(turn: Turn) -> bool:
    """True while the texter is talking with a peer."""
    return turn.texter.dialog_state == "connected"


def note_for_peer(turn: Turn, note: str) -> Message | None:
    """A line in the peer's thread (staff only): recorded, never texted to anyone.

    Kept as a message row the thread already shows (`kind="note"`), in the
    never-sent terminal state `cancelled`, so no sender, sweep or retry picks it up.
    """
    conversation = _active_conversation(turn)
    if conversation is None:
        return None
    row = Message(
        program_id=turn.program.id,
        direction="outbound",
        author="system",
        kind="note",
        recipient="texter",
        texter_id=turn.texter.id,
        conversation_id=conversation.id,
        body=note,
        segments=0,
        status="cancelled",
        created_at=turn.now,
        status_updated_at=turn.now,
    )
    turn.session.add(row)
    return row


@keyword("HELP", "INFO", immediate=True)
def help_keyword(turn: Turn) -> None:
    if is_connected(turn):
        turn.reply("help_connected")
        note_for_peer(turn, PEER_NOTES["HELP"])
        return
    turn.reply("help")


@keyword("RESOURCES")
def resources_keyword(turn: Turn) -> None:
    rows = turn.session.scalars(
        select(Resource)
        .where(Resource.program_id == turn.program.id, Resource.retired_at.is_(None))
        .order_by(Resource.position, Resource.id)
    ).all()
    # By topic where possible: the topic of the texter's latest request (an
    # entry with no topics suits every topic).
    topic_id = turn.session.scalar(
        select(SupportRequest.topic_id)
        .where(SupportRequest.texter_id == turn.texter.id)
        .order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc())
        .limit(1)
    )
    if topic_id is not None:
        rows = [row for row in rows if not row.topic_ids or topic_id in row.topic_ids]
    lines: list[str] = []
    budget = texts.TEXTS["resources"].max_segments
    for row in rows:
        line = " - ".join(part for part in (row.name, row.phone or row.url or "") if part)
        candidate = texts.for_program(
            "resources", turn.program, resources="\n".join([*lines, line])
        )
        if segments.segments(candidate) > budget:
            break
        lines.append(line)
    if lines:
        turn.reply("resources", resources="\n".join(lines))
    else:
        turn.reply("resources_none")
    if is_connected(turn):
        note_for_peer(turn, PEER_NOTES["RESOURCES" if lines else "RESOURCES_NONE"])


@keyword("DONE")
def done_keyword(turn: Turn) -> None:
    conversation = _active_conversation(turn)
    if conversation is not None:
        from peerwork.conversations import end_conversation

        end_conversation(
            turn.session,
            conversation_id=conversation.id,
            ended_by="texter",
            now=turn.now,
            dispatcher=turn.dispatcher,
        )
        turn.session.flush()
        turn.session.refresh(turn.texter)
        if turn.texter.dialog_state == "connected":
            turn.move("idle")
        return
    request = _open_request(turn)
    if request is not None:
        from peerwork.matching.offers import cancel_request

        cancel_request(
            turn.session, request_id=request.id, now=turn.now, dispatcher=turn.dispatcher
        )
        turn.session.flush()
        turn.session.refresh(turn.texter)
        turn.move("idle")
        turn.reply("request_cancelled")
        return
    if turn.texter.dialog_state == "choosing_topic":
        turn.move("idle")
        turn.reply("request_cancelled")
        return
    turn.reply("not_connected")


@keyword("NEW")
def new_keyword(turn: Turn) -> None:
    if turn.texter.dialog_state == "connected":
        relay(turn)
        return
    if _open_request(turn) is not None:
        waiting_reply(turn)
        return
    offer_topics(turn)


def _opt_out_keyword(turn: Turn) -> None:
    from peerwork.sms.optout import opt_out

    opt_out(turn.session, texter_id=turn.texter.id, now=turn.now, dispatcher=turn.dispatcher)
    # No reply: Twilio confirms opt-outs itself, and we must not text them again.


_opt_out_keyword.is_opt_out = True  # type: ignore[attr-defined]
REGISTRY.register(*sorted(OPT_OUT_WORDS), handler=_opt_out_keyword)


@keyword(*sorted(OPT_IN_WORDS), when_opted_out=True)
def opt_in_keyword(turn: Turn) -> None:
    from peerwork.sms.optout import opt_in

    opt_in(turn.session, texter_id=turn.texter.id, now=turn.now)
    turn.session.flush()
    turn.session.refresh(turn.texter)
    turn.reply("opted_in")
