"""Skill cards: the program's short coping-skill texts, managed by admins.

A card is inserted into a peer's reply as it is, so each must fit in two SMS
segments. Retired cards stay in the table (hidden from peers) and can be
brought back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peerwork import audit
from peerwork.models import Program, SkillCard
from peerwork.sms import segments

MAX_SEGMENTS = 2
TITLE_MAX = 80


class CardError(Exception):
    """A refused change to a skill card; the message is safe to show the admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def program_cards(session: Session, program_id: int) -> list[SkillCard]:
    """Every card of the program, in order, retired ones included."""
    return list(
        session.scalars(
            select(SkillCard)
            .where(SkillCard.program_id == program_id)
            .order_by(SkillCard.retired_at.is_not(None), SkillCard.position, SkillCard.id)
        )
    )


def _check(session: Session, program_id: int, title: str, body: str, card_id: int | None):
    title, body = " ".join((title or "").split()), (body or "").strip()
    if not title or not body:
        raise CardError("A card needs a title and a text.")
    if len(title) > TITLE_MAX:
        raise CardError(f"Keep the title to {TITLE_MAX} characters.")
    cost = segments.count(body)
    if cost.segments > MAX_SEGMENTS:
        raise CardError(
            f"The text takes {cost.segments} SMS segments; the limit is {MAX_SEGMENTS}. "
            "Shorten it (curly quotes and emoji make each segment much shorter)."
        )
    clash = session.scalar(
        select(SkillCard.id).where(
            SkillCard.program_id == program_id,
            func.lower(SkillCard.title) == title.lower(),
            SkillCard.id != (card_id or 0),
        )
    )
    if clash is not None:
        raise CardError("Another card already has that title.")
    return title, body


def _audit(session, program: Program, action: str, card: SkillCard, now, actor) -> None:
    audit.record_for_program(
        session,
        program,
        action=action,
        now=now,
        actor=actor,
        object_type="skill_card",
        object_id=card.id,
        details={"title": card.title},
    )


def add_card(
    session: Session, *, program: Program, title: str, body: str, now: datetime, actor
) -> SkillCard:
    """Add a card at the end of the program's list."""
    title, body = _check(session, program.id, title, body, None)
    last = session.scalar(
        select(func.coalesce(func.max(SkillCard.position), 0)).where(
            SkillCard.program_id == program.id
        )
    )
    card = SkillCard(program_id=program.id, title=title, body=body, position=last + 1)
    session.add(card)
    session.flush()
    _audit(session, program, "skill_card.add", card, now, actor)
    return card


def edit_card(
    session: Session,
    *,
    program: Program,
    card: SkillCard,
    title: str,
    body: str,
    now: datetime,
    actor,
) -> SkillCard:
    """Change a card's title and text."""
    card.title, card.body = _check(session, program.id, title, body, card.id)
    session.flush()
    _audit(session, program, "skill_card.edit", card, now, actor)
    return card


def set_retired(
    session: Session, *, program: Program, card: SkillCard, retired: bool, now: datetime, actor
) -> SkillCard:
    """Hide a card from peers, or show it again."""
    card.retired_at = now if retired else None
    session.flush()
    _audit(
        session, program, "skill_card.retire" if retired else "skill_card.restore", card, now, actor
    )
    return card
