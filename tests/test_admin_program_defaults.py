"""A new program starts with the default skill cards, ready for peers to send."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from peerwork.admin import programs
from peerwork.checkins.defaults import DEFAULT_CARDS
from peerwork.models import Program, SkillCard


@pytest.fixture
def org(make):
    return make.org("Acme Health")


@pytest.fixture
def admin(make, org, client, session):
    user = make.admin(org, name="Hana Admin")
    session.commit()
    client.login(user)
    return user


def cards_of(session, program_id: int) -> list[SkillCard]:
    return session.scalars(
        select(SkillCard).where(SkillCard.program_id == program_id).order_by(SkillCard.position)
    ).all()


def test_a_program_created_by_an_admin_has_every_default_card(client, admin, session, org):
    client.post_form(
        "/admin/programs/new", {"name": "Acme Peer Line", "timezone": "America/Chicago"}
    )
    program = session.scalar(select(Program).where(Program.organization_id == org.id))
    cards = cards_of(session, program.id)
    assert [(c.title, c.body) for c in cards] == [(d.title, d.body) for d in DEFAULT_CARDS]
    page = html.unescape(client.get(f"/care/programs/{program.id}/skill-cards").get_data(True))
    assert all(card.title in page for card in DEFAULT_CARDS)


def test_each_program_gets_its_own_copy(session, org, now):
    first, second = (
        programs.create_program(
            session,
            organization_id=org.id,
            name=name,
            timezone="America/New_York",
            now=now,
            actor=None,
        )
        for name in ("Day line", "Night line")
    )
    cards_of(session, first.id)[0].body = "Breathe in for 4, out for 6."
    session.flush()
    assert cards_of(session, second.id)[0].body == DEFAULT_CARDS[0].body
    assert {c.id for c in cards_of(session, first.id)}.isdisjoint(
        c.id for c in cards_of(session, second.id)
    )
