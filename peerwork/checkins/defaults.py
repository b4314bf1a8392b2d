"""The coping-skill cards every program starts with, written for peerwork.

Each card is plain GSM-7 (straight quotes, no emoji) and fits in two SMS
segments, so a peer can drop it into a reply without it costing more than
a short message. Admins may edit or retire them per program.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peerwork.models import SkillCard


@dataclass(frozen=True)
class DefaultCard:
    title: str
    body: str


DEFAULT_CARDS: tuple[DefaultCard, ...] = (
    DefaultCard(
        "Box breathing",
        "Try box breathing: breathe in slowly for 4, hold for 4, breathe out for 4, "
        "hold for 4. Do 4 rounds. If counting feels hard, just make each breath out "
        "a little longer than the breath in.",
    ),
    DefaultCard(
        "5-4-3-2-1 grounding",
        "A grounding exercise for when thoughts race: name 5 things you can see, "
        "4 you can touch, 3 you can hear, 2 you can smell and 1 you can taste. "
        "Go slowly. It is fine to start over.",
    ),
    DefaultCard(
        "Movement break",
        "If you can, take a short walk or stretch for 5 minutes. Roll your "
        "shoulders, unclench your jaw, feel your feet on the floor. Moving a "
        "little can take the edge off a heavy moment.",
    ),
    DefaultCard(
        "One small next step",
        "When everything feels like too much, pick one small thing you can do in "
        "the next hour: drink some water, send one email, eat something. Just "
        "that one. The rest can wait.",
    ),
    DefaultCard(
        "Self-compassion pause",
        "Put a hand on your chest and say to yourself: this is hard right now, "
        "other people feel this too, and I can be kind to myself. Talk to "
        "yourself the way you would talk to a good friend.",
    ),
    DefaultCard(
        "Reach out to one person",
        "Think of one person you trust: a friend, family member or coworker. "
        "You don't have to explain everything. A short 'Having a rough day, can "
        "we talk later?' is enough to start.",
    ),
    DefaultCard(
        "Sleep wind-down",
        "For a calmer night: put your phone away 30 minutes before bed, dim the "
        "lights, and write down what is on your mind so it can wait until "
        "morning. If you can't sleep after a while, get up and do something quiet.",
    ),
)


def install_defaults(session: Session, *, program_id: int, now: datetime) -> list[SkillCard]:
    """Add the default skill cards to a program; titles already there are left alone."""
    existing = set(
        session.scalars(select(SkillCard.title).where(SkillCard.program_id == program_id)).all()
    )
    last_position = session.scalar(
        select(func.coalesce(func.max(SkillCard.position), 0)).where(
            SkillCard.program_id == program_id
        )
    )
    created = []
    for card in DEFAULT_CARDS:
        if card.title in existing:
            continue
        last_position += 1
        skill_card = SkillCard(
            program_id=program_id, title=card.title, body=card.body, position=last_position
        )
        session.add(skill_card)
        created.append(skill_card)
    session.flush()
    return created
