"""The default skill cards a program starts with."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from peerwork.checkins.defaults import DEFAULT_CARDS, install_defaults
from peerwork.models import SkillCard
from peerwork.sms import segments


@pytest.mark.parametrize("card", DEFAULT_CARDS, ids=lambda card: card.title)
def test_each_default_card_is_plain_text_within_two_segments(card):
    info = segments.count(card.body)
    assert info.is_gsm7, card.title
    assert info.segments <= 2, (card.title, info)
    assert len(card.title) <= 80


def test_at_least_six_distinct_cards_ship():
    assert len(DEFAULT_CARDS) >= 6
    assert len({card.title for card in DEFAULT_CARDS}) == len(DEFAULT_CARDS)


def test_installing_twice_adds_each_card_once(session, make, now):
    program = make.program(make.org())
    first = install_defaults(session, program_id=program.id, now=now)
    again = install_defaults(session, program_id=program.id, now=now)
    titles = session.scalars(
        select(SkillCard.title).where(SkillCard.program_id == program.id)
    ).all()
    assert again == []
    assert sorted(titles) == sorted(card.title for card in DEFAULT_CARDS)
    assert len(first) == len(DEFAULT_CARDS)


def test_an_edited_card_is_kept_and_only_missing_ones_return(session, make, now):
    program = make.program(make.org())
    install_defaults(session, program_id=program.id, now=now)
    breathing = session.scalar(
        select(SkillCard).where(
            SkillCard.program_id == program.id, SkillCard.title == "Box breathing"
        )
    )
    breathing.body = "Our own breathing text."
    grounding = session.scalar(
        select(SkillCard).where(
            SkillCard.program_id == program.id, SkillCard.title == "5-4-3-2-1 grounding"
        )
    )
    session.delete(grounding)
    session.flush()
    added = install_defaults(session, program_id=program.id, now=now)
    assert [card.title for card in added] == ["5-4-3-2-1 grounding"]
    assert breathing.body == "Our own breathing text."
