"""One inbound message being answered (`Turn`), and the dialog's shared rules.

The menu and topic choice, opening a support request (or saying the line is
closed), relaying to the peer, the welcome, the crisis reply and notes in the
peer's thread. `dialog.py` decides which of these a message calls for;
keyword handlers (`dialog.py`, `checkin_answers.py`) reuse them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from peerwork import hours, languages
from peerwork.conversations import record_texter_message
from peerwork.matching.offers import open_request
from peerwork.models import (
    Conversation,
    Message,
    Program,
    SupportRequest,
    Texter,
    Topic,
    states,
)
from peerwork.models.texting import OPENING_KIND
from peerwork.sms import segments, texts
from peerwork.sms.outbox import queue_sms
from peerwork.texter.language import detect

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
    # This turn's replies are in this language, not the texter's (a keyword alias: AYUDA).
    language_override: str | None = None

    @property
    def body(self) -> str:
        return self.message.body or ""

    @property
    def language(self) -> str:
        """The language this turn answers in."""
        return self.language_override or self.texter.language or languages.DEFAULT

    def reply(self, key: str, *, kind: str = "system", **values: object) -> Message | None:
        """Send the texter the text `key` in the turn's language (TwiML now, or the outbox)."""
        if self.texter.opted_out:
            return None
        body = texts.for_program(key, self.program, language=self.language, **values)
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
        row = self.record_sent(body, kind=kind)
        self.replies.append(body)
        return row

    def record_sent(self, body: str, *, kind: str = "system") -> Message:
        """Record a reply already answered in the webhook's TwiML as sent, so the thread is complete."""
        row = Message(
            program_id=self.program.id,
            direction="outbound",
            author="system",
            kind=kind,
            recipient="texter",
            texter_id=self.texter.id,
            body=body,
            segments=segments.segments(body),
            is_crisis=kind == "crisis",
            status="sent",
            created_at=self.now,
            queued_at=self.now,
            sent_at=self.now,
            status_updated_at=self.now,
        )
        self.session.add(row)
        return row

    def move(self, new: str) -> None:
        """Advance the texter's dialog state (no-op when already there)."""
        if self.texter.dialog_state != new:
            if new == "choosing_topic" and self.texter.dialog_state in ASKING_STARTS_FROM:
                # This text begins a new ask: the peer who takes it reads from here on.
                self.message.kind = OPENING_KIND
            states.move_dialog(self.texter, new)


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


def menu_text(session: Session, program: Program, language: str = languages.DEFAULT) -> str:
    """The numbered topic list for the `menu` text."""
    lines = [f"{topic.menu_number} {topic.name}" for topic in active_topics(session, program)]
    return "\n".join(lines) or texts.for_program("menu_no_topics", program, language=language)


def offered_languages(program: Program) -> list[str]:
    """The languages the program's line speaks (English always among them)."""
    return languages.parse_list(program.languages)


def language_hints(program: Program, current: str) -> str:
    """Under the menu: for each other language the line offers, how to switch to it, in it."""
    return "".join(
        texts.for_program("language_hint", program, language=code)
        for code in offered_languages(program)
        if code != current
    )


def settle_language(turn: Turn) -> None:
    """A first text: answer in the language it is written in, when the line offers that."""
    offered = offered_languages(turn.program)
    if turn.texter.dialog_state != "new" or len(offered) < 2:
        return
    found = detect(turn.body)
    if found in offered:
        turn.texter.language = found


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
    """The topic menu, and how to switch to the line's other languages."""
    turn.reply(
        "menu",
        menu=menu_text(turn.session, turn.program, turn.language),
        switch=language_hints(turn.program, turn.language),
    )


def _next_step_when_closed(program: Program, *, asking_topic: bool, language: str) -> str:
    if not program.keep_requests_after_hours:
        key = "closed_not_kept"
    elif asking_topic:
        key = "closed_choose_topic"
    else:
        key = "closed_kept"
    return texts.for_program(key, program, language=language)


def _closed_reply(turn: Turn, *, asking_topic: bool = False) -> None:
    """The line is not taking texts: say so, when it opens, and the crisis lines."""
    program = turn.program
    if program.status != "live":
        turn.reply("paused")
        return
    turn.reply(
        "closed_hours",
        hours=hours.describe(program, turn.language),
        opens=hours.describe_opening(program, turn.now, turn.language),
        next_step=_next_step_when_closed(
            program, asking_topic=asking_topic, language=turn.language
        ),
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


def request_support(
    turn: Turn,
    topic_id: int | None,
    *,
    preferred_peer_id: int | None,
    source: str = "texter",
    begins_ask: bool = False,
    found_reply: str = "waiting",
) -> None:
    """Open a support request (or explain the hours): after a topic, a low check-in score, TALK.

    `preferred_peer_id` is offered first when free (the last peer, or the
    check-in's); `begins_ask` marks this text as where the peer's thread
    starts (a low score or TALK begins the ask, unlike a menu number);
    `found_reply` is what the texter hears while the line is open.
    """
    program = turn.program
    if program.status != "live":
        _closed_reply(turn)
        return
    is_open = hours.is_open(program, turn.now)
    if not is_open and not program.keep_requests_after_hours:
        _closed_reply(turn)
        turn.move("idle")
        return
    if begins_ask:
        turn.message.kind = OPENING_KIND
    turn.move("waiting")
    open_request(
        turn.session,
        program_id=program.id,
        texter_id=turn.texter.id,
        topic_id=topic_id,
        now=turn.now,
        dispatcher=turn.dispatcher,
        is_crisis=turn.message.is_crisis,
        preferred_peer_id=preferred_peer_id,
        source=source,
    )
    if not is_open:
        _closed_reply(turn)
    elif not turn.message.is_crisis:
        # A crisis message's own reply already said a person is being found.
        turn.reply(found_reply)


def choose_topic(turn: Turn) -> None:
    how, topic = match_topic(turn.session, turn.program, turn.body)
    if how == "unclear":
        turn.reply("topic_unclear")
        send_menu(turn)
        return
    request_support(turn, topic.id if topic else None, preferred_peer_id=turn.texter.last_peer_id)


def active_conversation(turn: Turn) -> Conversation | None:
    return turn.session.scalar(
        select(Conversation).where(
            Conversation.texter_id == turn.texter.id, Conversation.state == "active"
        )
    )


# Built once (a bound parameter): asked on every text of a waiting texter.
_OPEN_REQUEST = select(SupportRequest).where(
    SupportRequest.texter_id == bindparam("texter_id"),
    SupportRequest.state.in_(states.OPEN_REQUEST_STATES),
)


def open_request_of(turn: Turn) -> SupportRequest | None:
    return turn.session.scalar(_OPEN_REQUEST, {"texter_id": turn.texter.id})


def relay(turn: Turn) -> None:
    """A connected texter's message goes to their peer's thread."""
    conversation = active_conversation(turn)
    if conversation is None:
        turn.move("idle")
        turn.reply("not_connected")
        return
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
        hours=hours.describe(program, turn.language),
        opens=hours.describe_opening(program, turn.now, turn.language),
        next_step=_next_step_when_closed(program, asking_topic=True, language=turn.language),
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
    reply, which is true in every one of those cases (a person is told). A
    texter whose language is Spanish gets it too, whatever this message's
    language (texts.STAND_INS maps each crisis text to crisis_es).
    """
    if language != languages.DEFAULT:
        turn.language_override = language
    if turn.language != languages.DEFAULT:
        # Every situation's wording in that language (texts.STAND_INS: crisis_es).
        turn.reply("crisis", kind="crisis")
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
    request = open_request_of(turn)
    if request is None:
        turn.reply("waiting_reminder")
    elif request.state == "held" or turn.program.status != "live":
        _closed_reply(turn)
    elif not hours.is_open(turn.program, turn.now):
        # Left at closing time: it keeps its place (see peerwork.hours).
        turn.reply(
            "waiting_after_hours",
            opens=hours.describe_opening(turn.program, turn.now, turn.language),
        )
    else:
        turn.reply("waiting_reminder")


# -- notes in the peer's thread ----------------------------------------------------


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
    conversation = active_conversation(turn)
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
