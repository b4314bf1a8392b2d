"""A program's topic menu: the topics a texter picks from, their keywords and order.

Every function takes the session, the topic or program, `now` and the acting
user, audits the change and leaves the commit to the caller.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peerwork.admin.setup_common import SetupError, record_change
from peerwork.models import Program, Topic
from peerwork.texter import dialog as _dialog  # noqa: F401  (importing it registers every keyword)
from peerwork.texter.keywords import OPT_IN_WORDS, OPT_OUT_WORDS
from peerwork.texter.keywords import REGISTRY as KEYWORDS

_KEYWORD = re.compile(r"^[A-Za-z][A-Za-z'-]{1,29}$")


# -- topics ------------------------------------------------------------------------------


def reserved_keywords() -> frozenset[str]:
    """Words a texter sends as commands, and Twilio's own opt-out words, read
    from the dialog's keyword registry: a topic keyword must never shadow them."""
    return frozenset(KEYWORDS.words() | OPT_OUT_WORDS | OPT_IN_WORDS)


def parse_keywords(raw: str) -> list[str]:
    """Comma- or space-separated keywords, upper-cased; raises SetupError."""
    words = []
    for word in re.split(r"[,\s]+", raw or ""):
        if not word:
            continue
        if not _KEYWORD.match(word):
            raise SetupError(
                "keywords", f"“{word[:30]}” is not a keyword: use single words of letters."
            )
        word = word.upper()
        if word in reserved_keywords():
            raise SetupError(
                "keywords", f"{word} is a command texters already use; pick another word."
            )
        if word not in words:
            words.append(word)
    return words[:12]


def active_topics(program: Program) -> list[Topic]:
    return [t for t in program.topics if t.retired_at is None]


def _check_topic(session, program: Program, name: str, keywords: list[str], topic_id=None):
    if not name:
        raise SetupError("name", "Give the topic a name.")
    for other in program.topics:
        if other.id == topic_id:
            continue
        if other.name.strip().lower() == name.lower():
            raise SetupError("name", f"There is already a topic called “{other.name}”.")
        if other.retired_at is None:
            clash = set(keywords) & set(other.keywords or [])
            if clash:
                raise SetupError(
                    "keywords",
                    f"{', '.join(sorted(clash))} already leads to “{other.name}”.",
                )


def _renumber(program: Program) -> None:
    """Menu numbers follow the order of active topics: 1, 2, 3..."""
    ordered = sorted(program.topics, key=lambda t: (t.retired_at is not None, t.position, t.id))
    number = 0
    for position, topic in enumerate(ordered):
        topic.position = position
        if topic.retired_at is None:
            number += 1
            topic.menu_number = number


def add_topic(
    session: Session,
    *,
    program: Program,
    name: str,
    keywords: list[str],
    description: str | None,
    now: datetime,
    actor,
) -> Topic:
    """Add a topic at the end of the menu."""
    name = (name or "").strip()
    _check_topic(session, program, name, keywords)
    topic = Topic(
        program_id=program.id,
        name=name,
        keywords=keywords,
        description=(description or "").strip() or None,
        position=len(program.topics) + 1,
        menu_number=len(active_topics(program)) + 1,
    )
    program.topics.append(topic)
    _renumber(program)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise SetupError("name", "There is already a topic with this name.") from exc
    record_change(
        session, program, "topic.create", now, actor, object_type="topic", object_id=topic.id
    )
    return topic


def update_topic(
    session: Session,
    *,
    topic: Topic,
    name: str,
    keywords: list[str],
    description: str | None,
    now: datetime,
    actor,
) -> None:
    """Rename a topic or change its keywords and description."""
    program = topic.program
    name = (name or "").strip()
    _check_topic(session, program, name, keywords, topic_id=topic.id)
    changed = [
        k
        for k, v in (("name", name), ("keywords", keywords), ("description", description or None))
        if getattr(topic, k) != v
    ]
    topic.name, topic.keywords, topic.description = (
        name,
        keywords,
        (description or "").strip() or None,
    )
    session.flush()
    if changed:
        record_change(
            session,
            program,
            "topic.update",
            now,
            actor,
            object_type="topic",
            object_id=topic.id,
            details={"changed": changed},
        )


def move_topic(session: Session, *, topic: Topic, offset: int, now: datetime, actor) -> None:
    """Move an active topic up (-1) or down (+1) the menu."""
    program = topic.program
    ordered = active_topics(program)
    if topic.retired_at is not None or topic not in ordered:
        return  # a retired topic has no place on the menu to move from
    target = ordered.index(topic) + offset
    if not 0 <= target < len(ordered):
        return
    other = ordered[target]
    topic.position, other.position = other.position, topic.position
    _renumber(program)
    session.flush()
    record_change(session, program, "topic.move", now, actor, object_type="topic", object_id=topic.id,
           details={"menu_number": topic.menu_number})  # fmt: skip


def retire_topic(session: Session, *, topic: Topic, now: datetime, actor) -> None:
    """Take a topic off the menu; past conversations keep it."""
    if topic.retired_at is not None:
        return
    program = topic.program
    topic.retired_at = now
    _renumber(program)
    session.flush()
    record_change(
        session, program, "topic.retire", now, actor, object_type="topic", object_id=topic.id
    )


def restore_topic(session: Session, *, topic: Topic, now: datetime, actor) -> None:
    """Put a retired topic back at the end of the menu."""
    if topic.retired_at is None:
        return
    program = topic.program
    clash = {
        k for t in active_topics(program) for k in (t.keywords or []) if k in (topic.keywords or [])
    }
    if clash:
        raise SetupError("keywords", f"{', '.join(sorted(clash))} now leads to another topic.")
    topic.retired_at = None
    topic.position = len(program.topics) + 1
    _renumber(program)
    session.flush()
    record_change(
        session, program, "topic.restore", now, actor, object_type="topic", object_id=topic.id
    )
