"""Volunteers (invites, roster, deactivation, promotion), the Twilio page and test SMS."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from peerwork import conversations
from peerwork.admin import volunteers
from peerwork.extensions import get_dispatcher, get_vault
from peerwork.models import (
    Conversation,
    EscalationContact,
    Invite,
    Message,
    SupportRequest,
    User,
)
from peerwork.peers import profile as profiles
from peerwork.training.curriculum import install_default_curriculum
from tests.helpers import accepted_conversation, start_conversation


@pytest.fixture
def org(make):
    return make.org("Acme Health")


@pytest.fixture
def program(make, org, session, now):
    program = make.program(org, status="live", training_published_at=now)
    install_default_curriculum(session, program_id=program.id, now=now)
    session.commit()
    return program


@pytest.fixture
def admin(make, org, client, session):
    user = make.admin(org, name="Hana Admin")
    session.commit()
    client.login(user)
    return user


def page(response) -> str:
    return response.get_data(as_text=True)


def links_in(body: str) -> list[str]:
    return re.findall(r'value="(https://peerwork\.test/invite/[^"]+)"', body)


# -- invites ---------------------------------------------------------------------------


def test_pasted_list_gets_one_copyable_link_each(client, admin, program, session):
    pasted = "ana@example.com, Ben Ortiz <ben@example.com>\n\ncara@example.com; ana@example.com"
    response = client.post_form(f"/admin/programs/{program.id}/volunteers", {"emails": pasted})
    body = page(response)
    assert response.status_code == 200
    assert len(links_in(body)) == 3
    assert body.count("data-copy=") >= 3
    assert "only time the links are shown" in body
    emails = set(session.scalars(select(Invite.email).where(Invite.program_id == program.id)))
    assert emails == {"ana@example.com", "ben@example.com", "cara@example.com"}
    # The list of pending invites never shows a link again.
    assert links_in(page(client.get(f"/admin/programs/{program.id}/volunteers"))) == []


def test_invite_link_creates_a_peer_account_in_the_program(client, admin, program, session, app):
    body = page(
        client.post_form(f"/admin/programs/{program.id}/volunteers", {"emails": "dee@example.com"})
    )
    link = links_in(body)[0]
    client.post_form("/logout")
    response = client.post_form(
        link.removeprefix("https://peerwork.test"),
        {
            "name": "Dee",
            "password": "a long volunteer passphrase 7",
            "confirm": "a long volunteer passphrase 7",
        },
    )
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "dee@example.com"))
    assert user.roles == {"peer"} and [p.program_id for p in user.peer_profiles] == [program.id]


def test_the_invite_page_says_who_invited_you_and_to_what(client, admin, program):
    body = page(
        client.post_form(f"/admin/programs/{program.id}/volunteers", {"emails": "dee@example.com"})
    )
    link = links_in(body)[0]
    client.post_form("/logout")
    invite_page = html.unescape(page(client.get(link.removeprefix("https://peerwork.test"))))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", invite_page))
    assert (
        f"Hana Admin at Acme Health invited you to volunteer as a peer listener for "
        f"{program.name}." in text
    )
    assert "The invitation is for dee@example.com" in text


def test_a_list_with_a_bad_address_invites_nobody(client, admin, program, session):
    response = client.post_form(
        f"/admin/programs/{program.id}/volunteers", {"emails": "ok@example.com, not-an-email"}
    )
    assert response.status_code == 200
    assert "Not an email address: not-an-email" in page(response)
    assert session.scalar(select(Invite.id)) is None


def test_existing_accounts_and_pending_invites_are_skipped(client, admin, program, make, org):
    make.user(org, "peer", email="old@example.com")
    url = f"/admin/programs/{program.id}/volunteers"
    client.post_form(url, {"emails": "new@example.com"})
    body = page(client.post_form(url, {"emails": "old@example.com\nnew@example.com"}))
    assert "Skipped: already has an account" in body
    assert "Skipped: already invited" in body
    assert links_in(body) == []


def test_revoke_and_new_link(client, admin, program, session, app):
    url = f"/admin/programs/{program.id}/volunteers"
    old_link = links_in(page(client.post_form(url, {"emails": "eve@example.com"})))[0]
    invite = session.scalar(select(Invite))
    body = page(client.post_form(f"/admin/programs/{program.id}/invites/{invite.id}/renew"))
    new_link = links_in(body)[0]
    assert new_link != old_link
    assert "not valid" in page(client.get(old_link.removeprefix("https://peerwork.test")))
    client.post_form(f"/admin/programs/{program.id}/invites/{invite.id}/revoke")
    session.refresh(invite)
    assert invite.revoked_at is not None
    assert "withdrawn" in page(client.get(new_link.removeprefix("https://peerwork.test")))


# -- roster --------------------------------------------------------------------------------


def test_roster_shows_training_topics_availability_and_load(client, admin, program, make, session):
    certified = make.peer(program, alias="River", topics=[program.topics[0]], capacity=3)
    certified.user.name = "Riley Certified"
    certified.active_conversations = 1
    trainee = make.peer(program, alias="Sky", certified=False, available=False)
    trainee.user.name = "Taylor Trainee"
    session.commit()
    body = page(client.get(f"/admin/programs/{program.id}/volunteers"))
    riley = body[body.index("Riley Certified") : body.index("Taylor Trainee")]
    assert "Certified" in riley and program.topics[0].name in riley
    assert "On now" in riley and "1 of 3" in riley
    taylor = body[body.index("Taylor Trainee") :]
    assert "In training" in taylor and "Off" in taylor


def test_last_active_is_the_latest_sign_in_reply_or_availability_change(
    client, admin, program, make, session, now
):
    talker = make.peer(program, alias="River")  # held three conversations, never signed in here
    talker.user.name = "Riley Talker"
    for hours_ago in (72, 30, 5):
        conversation = start_conversation(session, make, program, talker, now)
        conversations.peer_reply(
            session,
            conversation_id=conversation.id,
            peer_profile_id=talker.id,
            body="I'm here, take your time.",
            now=now - timedelta(hours=hours_ago),
            dispatcher=get_dispatcher(),
        )
    switcher = make.peer(program, alias="Sky", available=False)
    switcher.user.name = "Sam Switcher"
    switcher.user.last_login_at = now - timedelta(days=2)
    profiles.set_available(
        session,
        peer_profile_id=switcher.id,
        available=True,
        now=now - timedelta(minutes=30),
        dispatcher=get_dispatcher(),
    )
    quiet = make.peer(program, alias="Wren", certified=False, available=False)
    quiet.user.name = "Quinn Quiet"
    signed_in = make.peer(program, alias="Lark", available=False)
    signed_in.user.name = "Sasha Signin"
    signed_in.user.last_login_at = now - timedelta(days=3)
    session.commit()
    latest = volunteers.last_active(session, program)
    assert latest[talker.id] == now - timedelta(hours=5)
    assert latest[switcher.id] == now - timedelta(minutes=30)
    assert latest[signed_in.id] == now - timedelta(days=3)
    assert latest[quiet.id] is None
    body = page(client.get(f"/admin/programs/{program.id}/volunteers"))

    def last_active_of(name):
        row = body[body.index(name) :]
        return re.search(r'data-label="Last active">([^<]*)<', row).group(1)

    assert last_active_of("Riley Talker") == "5 h ago"
    assert last_active_of("Sam Switcher") == "30 min ago"
    assert last_active_of("Sasha Signin") == "3 d ago"
    assert last_active_of("Quinn Quiet") == "never"


def test_signing_in_counts_as_active(client, make, program, session, now):
    peer = make.peer(program, alias="River")
    session.commit()
    client.login(peer.user)
    assert volunteers.last_active(session, program)[peer.id] == now


# -- deactivate and promote -------------------------------------------------------------


def connected_conversation(session, make, program, peer, now) -> Conversation:
    texter = make.texter(program, state="choosing_topic")
    return accepted_conversation(session, program, texter, peer, now, get_dispatcher())


def test_deactivated_peer_hands_conversations_back_to_matching(
    client, admin, program, make, session, now
):
    peer = make.peer(program, alias="River")
    make.peer(program, alias="Backup")
    conversation = connected_conversation(session, make, program, peer, now)
    session.commit()
    response = client.post_form(f"/admin/programs/{program.id}/peers/{peer.id}/deactivate")
    assert response.status_code == 302
    assert "1 conversation went back to matching" in page(client.get(response.headers["Location"]))
    session.expire_all()
    assert session.get(User, peer.user_id).active is False
    ended = session.get(Conversation, conversation.id)
    assert (ended.state, ended.ended_by) == ("ended", "handback")
    again = session.scalar(
        select(SupportRequest).where(
            SupportRequest.texter_id == conversation.texter_id,
            SupportRequest.id != conversation.request_id,
        )
    )
    assert again is not None and again.state in ("offering", "waiting")
    told = session.scalars(
        select(Message.kind).where(
            Message.texter_id == conversation.texter_id, Message.direction == "outbound"
        )
    ).all()
    assert len(told) >= 2  # "connected", then "your peer had to step away"


def test_deactivated_peer_is_signed_out_and_cannot_sign_in(
    client, admin, program, make, session, app
):
    peer = make.peer(program)
    session.commit()
    client.post_form(f"/admin/programs/{program.id}/peers/{peer.id}/deactivate")
    client.post_form("/logout")
    response = client.post_form(
        "/login", {"email": peer.user.email, "password": "correct horse battery staple 42"}
    )
    assert response.status_code == 401


def test_admins_cannot_be_deactivated_from_the_roster(client, admin, program, make, session):
    profile = make.peer(program, user=admin)
    session.commit()
    client.post_form(f"/admin/programs/{program.id}/peers/{profile.id}/deactivate")
    session.refresh(admin)
    assert admin.active is True


def test_promote_peer_to_supervisor(client, admin, program, make, session):
    peer = make.peer(program)
    session.commit()
    client.post_form(f"/admin/programs/{program.id}/peers/{peer.id}/promote")
    session.expire_all()
    assert session.get(User, peer.user_id).roles == {"peer", "supervisor"}


# -- Twilio page and the test SMS ---------------------------------------------------------


def add_contact(session, program, number="+15855550188") -> EscalationContact:
    vault = get_vault()
    contact = EscalationContact(
        program_id=program.id,
        name="Dana Lee",
        phone_encrypted=vault.encrypt(number),
        phone_hash=vault.lookup_hash(number),
        phone_last4=number[-4:],
    )
    session.add(contact)
    session.commit()
    return contact


def test_twilio_page_shows_the_webhook_urls_and_credential_state(client, admin, program):
    body = page(client.get(f"/admin/programs/{program.id}/twilio"))
    assert 'value="https://peerwork.test/sms/inbound"' in body
    assert 'value="https://peerwork.test/sms/status"' in body
    assert "Auth token configured" in body
    assert "Account SID not configured" in body
    assert "test-auth-token" not in body


def test_send_test_sms_goes_through_the_outbox_and_job(client, admin, program, session, jobs):
    contact = add_contact(session, program)
    response = client.post_form(f"/admin/programs/{program.id}/twilio", {"contact_id": contact.id})
    assert response.status_code == 302
    message = session.scalar(select(Message).where(Message.kind == "test"))
    assert (message.recipient, message.contact_id, message.status) == (
        "contact",
        contact.id,
        "queued",
    )
    assert "outbound SMS works" in message.body
    assert "send_message" in " ".join(jobs.pending())
    body = page(client.get(f"/admin/programs/{program.id}/twilio"))
    assert "Recent tests" in body and "5550188" not in body
