"""The texter dialog: what each inbound message means, one state machine.

States (`states.DIALOG`): new -> choosing_topic -> waiting -> connected ->
idle, and opted_out from anywhere. Keywords are looked up first (the
registry in `keywords.py`: the built-in ones below, the check-in ones in
`checkin_answers.py`). Two entry points share every rule (`turn.py`):

- `immediate(turn)`, inside the webhook: only what must be answered at once
  and needs no matching (welcome + menu on first contact, HELP/INFO). Its
  replies go back as TwiML and are recorded as `sent` rows.
- `handle(turn)`, inside the `process_inbound` job: everything else. Its
  replies go through the outbox.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from peerwork.conversations import end_conversation
from peerwork.languages import LANGUAGES
from peerwork.languages import name as language_name
from peerwork.matching.offers import cancel_request
from peerwork.models import Resource, SupportRequest
from peerwork.sms import segments, texts
from peerwork.texter import checkin_answers
from peerwork.texter.keywords import OPT_IN_WORDS, OPT_OUT_WORDS, REGISTRY, Keyword, keyword
from peerwork.texter.optout import opt_in, opt_out
from peerwork.texter.turn import (
    PEER_NOTES,
    Turn,
    active_conversation,
    choose_topic,
    is_connected,
    match_topic,
    note_for_peer,
    offer_topics,
    offered_languages,
    open_request_of,
    relay,
    request_support,
    send_menu,
    settle_language,
    waiting_reply,
    welcome,
)

log = logging.getLogger(__name__)


# -- entry points --------------------------------------------------------------------


def match_keyword(turn: Turn) -> Keyword | None:
    """The keyword this message is, if any, for this program; an alias sets the turn's language.

    A language's own name (ESPAÑOL) is a keyword only where the line offers it.
    """
    found = REGISTRY.match(turn.body) if turn.body else None
    if found is None:
        return None
    if found.chooses_language and found.language not in offered_languages(turn.program):
        return None
    if found.language is not None and not found.chooses_language:
        turn.language_override = found.language
    return found


def left_to_the_job(*, body: str, dialog_state: str, is_crisis: bool) -> bool:
    """Would `immediate` answer nothing and change nothing for this text? (No ORM needed.)

    True for a text that is not a keyword, not a crisis, from a texter past
    their first contact: `immediate` returns False for it without touching a
    row, so the webhook only stores it and the job does the rest. Checked on
    the webhook's plain row before any ORM object is loaded (its fast path).
    """
    return dialog_state != "new" and not is_crisis and (not body or REGISTRY.match(body) is None)


def immediate(turn: Turn) -> bool:
    """Answer what the webhook answers itself; True when nothing is left for the job."""
    found = match_keyword(turn)
    opted_out = turn.texter.opted_out
    if found is not None and found.immediate and not opted_out:
        found.handler(turn)
        return not turn.message.is_crisis
    if (
        found is None
        and not opted_out
        and turn.texter.dialog_state == "new"
        and turn.program.status == "live"
    ):
        settle_language(turn)
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
    found = match_keyword(turn)
    if turn.texter.opted_out:
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
        settle_language(turn)
        welcome(turn)
    elif state == "choosing_topic":
        choose_topic(turn)
    elif state == "waiting":
        if not turn.message.is_crisis:  # the crisis reply already answered
            waiting_reply(turn)
    elif turn.message.is_crisis:
        # Someone idle who writes in crisis gets a peer sought at once.
        turn.move("choosing_topic")
        topic = match_topic(turn.session, turn.program, turn.body)[1]
        request_support(
            turn, topic.id if topic else None, preferred_peer_id=turn.texter.last_peer_id
        )
    else:
        # An idle texter's "1".."5" may be the answer to a check-in they were sent.
        if not checkin_answers.take_answer(turn):
            turn.reply("not_connected")


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
        .where(
            Resource.program_id == turn.program.id,
            Resource.retired_at.is_(None),
            Resource.reachable,  # never text an entry without a way to reach it
        )
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
            "resources",
            turn.program,
            language=turn.language,
            resources="\n".join([*lines, line]),
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
    conversation = active_conversation(turn)
    if conversation is not None:
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
    request = open_request_of(turn)
    if request is not None:
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
    if open_request_of(turn) is not None:
        waiting_reply(turn)
        return
    offer_topics(turn)


def _opt_out_keyword(turn: Turn) -> None:
    opt_out(turn.session, texter_id=turn.texter.id, now=turn.now, dispatcher=turn.dispatcher)
    # No reply: Twilio confirms opt-outs itself, and we must not text them again.


_opt_out_keyword.is_opt_out = True  # type: ignore[attr-defined]
REGISTRY.register(*sorted(OPT_OUT_WORDS), handler=_opt_out_keyword)


@keyword(*sorted(OPT_IN_WORDS), when_opted_out=True)
def opt_in_keyword(turn: Turn) -> None:
    opt_in(turn.session, texter_id=turn.texter.id, now=turn.now)
    turn.session.flush()
    turn.session.refresh(turn.texter)
    turn.reply("opted_in")


def _choose_language(code: str):
    def choose_language(turn: Turn) -> None:
        """ESPAÑOL, ENGLISH...: text this texter in that language from now on."""
        turn.texter.language = code
        state = turn.texter.dialog_state
        if state == "new":
            if turn.program.status == "live":
                welcome(turn)
            else:
                turn.reply("paused")
            return
        request = open_request_of(turn)
        if request is not None:
            # Later waves look for a peer who speaks it.
            request.language = code
        turn.reply("language_set")
        if state == "choosing_topic":
            send_menu(turn)
        elif is_connected(turn):
            note_for_peer(turn, f"Texter chose {language_name(code)}; our texts to them are in it.")

    return choose_language


# Answered in the webhook: the very first text may be ESPAÑOL, and the welcome follows at once.
for _language in LANGUAGES.values():
    REGISTRY.register(
        *_language.choose_words,
        handler=_choose_language(_language.code),
        immediate=True,
        language=_language.code,
        chooses_language=True,
    )
