"""The care pages: a peer's crisis-plan form and check-in answers; the admin's skill cards."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from peerwork.checkins.defaults import install_defaults
from peerwork.extensions import get_vault
from peerwork.models import (
    AuditEvent,
    CheckIn,
    Conversation,
    CrisisPlan,
    Message,
    Organization,
    SkillCard,
    SupportRequest,
)


@pytest.fixture
def program(make):
    return make.program(name="Acme Peer Line")


@pytest.fixture
def peer(make, program):
    return make.peer(program, alias="Robin")


def _conversation(session, program, peer, texter, now, state="active"):
    request = SupportRequest(
        program_id=program.id, texter_id=texter.id, state="matched", created_at=now
    )
    session.add(request)
    session.flush()
    conversation = Conversation(
        program_id=program.id,
        request_id=request.id,
        texter_id=texter.id,
        peer_profile_id=peer.id,
        state=state,
        started_at=now,
    )
    session.add(conversation)
    session.flush()
    return conversation


def _peer_user(session, peer):
    from peerwork.models import User

    return session.get(User, peer.user_id)


PLAN = {
    "warning_signs": "I stop answering my phone",
    "things_that_help": "Music, a walk round the block",
    "people_and_places": "My brother",
    "contacts": "EAP 1-800-555-0100; 988",
    "send_now": "y",
}


def test_a_peer_saves_a_plan_it_is_encrypted_and_texted(session, client, make, program, peer, now):
    texter = make.texter(program, pseudonym="Blue Heron")
    conversation = _conversation(session, program, peer, texter, now)
    client.login(_peer_user(session, peer))
    page = client.get(f"/care/conversations/{conversation.id}/plan")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Crisis plan with Blue Heron" in html and "Warning signs" in html

    response = client.post_form(f"/care/conversations/{conversation.id}/plan", PLAN)
    assert response.status_code == 302
    stored = session.scalar(select(CrisisPlan).where(CrisisPlan.texter_id == texter.id))
    assert b"brother" not in stored.content_encrypted
    assert json.loads(get_vault().decrypt(stored.content_encrypted))["people_and_places"] == (
        "My brother"
    )
    sms = session.scalar(select(Message).where(Message.kind == "plan"))
    assert sms.texter_id == texter.id and "Things that help: Music" in sms.body
    # The form shows the saved plan when it is opened again.
    again = client.get(f"/care/conversations/{conversation.id}/plan").get_data(as_text=True)
    assert "Music, a walk round the block" in again


def test_a_plan_too_long_for_sms_is_refused_with_a_reason(
    session, client, make, program, peer, now
):
    conversation = _conversation(session, program, peer, make.texter(program), now)
    client.login(_peer_user(session, peer))
    long_plan = {key: "\u201cx\u201d " * 90 for key in PLAN if key != "send_now"}
    response = client.post_form(f"/care/conversations/{conversation.id}/plan", long_plan)
    assert response.status_code == 422
    assert session.scalar(select(CrisisPlan)) is None


def test_another_peers_conversation_is_a_404(session, client, make, program, peer, now):
    other = make.peer(program, alias="Kai")
    conversation = _conversation(session, program, other, make.texter(program), now)
    client.login(_peer_user(session, peer))
    assert client.get(f"/care/conversations/{conversation.id}/plan").status_code == 404
    response = client.post_form(f"/care/conversations/{conversation.id}/plan", PLAN)
    assert response.status_code == 404
    assert session.scalar(select(CrisisPlan)) is None


def test_the_peer_sees_check_in_answers_of_their_own_conversations_only(
    session, client, make, program, peer, now
):
    other = make.peer(program, alias="Kai")
    for who, pseudonym, score in ((peer, "Blue Heron", 2), (other, "Red Fox", 5)):
        texter = make.texter(program, pseudonym=pseudonym)
        conversation = _conversation(session, program, who, texter, now, state="ended")
        session.add(
            CheckIn(
                program_id=program.id,
                texter_id=texter.id,
                conversation_id=conversation.id,
                peer_profile_id=who.id,
                state="answered",
                due_at=now,
                expires_at=now,
                sent_at=now,
                score=score,
                answered_at=now,
            )
        )
    session.flush()
    client.login(_peer_user(session, peer))
    html = client.get("/care/checkins").get_data(as_text=True)
    assert "Blue Heron" in html and "2 / 5" in html and "Asked for a peer" in html
    assert "Red Fox" not in html
    dashboard = client.get("/peer/").get_data(as_text=True)
    assert "/care/checkins" in dashboard


def test_admin_manages_skill_cards_with_a_segment_counter_and_audit(
    session, client, make, program, now
):
    admin = make.admin(session.get(Organization, program.organization_id))
    install_defaults(session, program_id=program.id, now=now)
    client.login(admin)
    page = client.get(f"/care/programs/{program.id}/skill-cards")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Box breathing" in html
    assert 'data-segment-counter="card-counter"' in html and 'data-max-segments="2"' in html

    response = client.post_form(
        f"/care/programs/{program.id}/skill-cards",
        {"title": "Cold water", "body": "Splash cold water on your face and breathe slowly."},
    )
    assert response.status_code == 302
    card = session.scalar(select(SkillCard).where(SkillCard.title == "Cold water"))

    too_long = client.post_form(
        f"/care/programs/{program.id}/skill-cards", {"title": "Long", "body": "word " * 70}
    )
    assert too_long.status_code == 422
    assert "SMS segments" in too_long.get_data(as_text=True)

    edited = client.post_form(
        f"/care/programs/{program.id}/skill-cards/{card.id}",
        {"title": "Cold water reset", "body": "Hold something cold for 30 seconds."},
    )
    assert edited.status_code == 302
    retired = client.post_form(f"/care/programs/{program.id}/skill-cards/{card.id}/retire")
    assert retired.status_code == 302
    card = session.get(SkillCard, card.id, populate_existing=True)
    assert (card.title, card.retired_at is not None) == ("Cold water reset", True)
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "skill_card")
    ).all()
    assert actions == ["skill_card.add", "skill_card.edit", "skill_card.retire"]


def test_skill_cards_of_another_organization_are_a_404(session, client, make, program, now):
    install_defaults(session, program_id=program.id, now=now)
    card = session.scalar(select(SkillCard).where(SkillCard.program_id == program.id))
    stranger = make.admin(make.org())
    client.login(stranger)
    assert client.get(f"/care/programs/{program.id}/skill-cards").status_code == 404
    assert client.get(f"/care/programs/{program.id}/skill-cards/{card.id}").status_code == 404
    response = client.post_form(f"/care/programs/{program.id}/skill-cards/{card.id}/retire")
    assert response.status_code == 404
    assert session.get(SkillCard, card.id).retired_at is None


@pytest.mark.parametrize("role", ["peer", "supervisor"])
def test_only_admins_reach_skill_cards(session, client, make, program, role):
    org = session.get(Organization, program.organization_id)
    user = make.user(org, role)
    client.login(user)
    assert client.get(f"/care/programs/{program.id}/skill-cards").status_code == 403
