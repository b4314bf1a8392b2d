"""Onboarding from an invite: the profile a peer fills in before training."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from peerwork.auth import invites
from peerwork.extensions import get_vault
from peerwork.matching import eligibility
from peerwork.models import AuditEvent, PeerProfile, SupportRequest, User
from peerwork.training.curriculum import install_default_curriculum
from tests.factories import PASSWORD


@pytest.fixture
def program(make, session, now):
    program = make.program()
    install_default_curriculum(session, program_id=program.id, now=now)
    return program


@pytest.fixture
def newcomer(app, client, session, program, now):
    """A peer who just accepted an invite: account, empty profile, signed in."""
    issued = invites.issue(
        session,
        secret_key=app.config["SECRET_KEY"],
        organization_id=program.organization_id,
        email="robin.baker@example.com",
        role="peer",
        now=now,
        max_age_seconds=86400,
        program_id=program.id,
    )
    response = client.post_form(
        f"/invite/{issued.token}",
        {"name": "Robin Baker", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "robin.baker@example.com"))
    return session.scalar(select(PeerProfile).where(PeerProfile.user_id == user.id))


def profile_form(program, **overrides):
    data = {
        "alias": "River",
        "topics": [str(program.topics[0].id)],
        "capacity": "2",
        "mon_on": "y",
        "mon_start": "09:00",
        "mon_end": "17:00",
        "wed_on": "y",
        "wed_start": "18:00",
        "wed_end": "00:00",
        "alert_phone": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_new_peer_is_sent_to_onboarding_then_to_training(client, newcomer, program):
    landing = client.get("/peer/", follow_redirects=True)
    page = landing.get_data(as_text=True)
    assert "Set up your peer profile" in page
    assert "Don&#39;t use your real name" in page or "Don't use your real name" in page
    assert program.topics[0].name in page and "America/New_York" in page

    saved = client.post_form("/peer/onboarding", profile_form(program))
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/peer/training")
    assert client.get("/peer/").headers["Location"].endswith("/peer/training")


def test_the_saved_profile_is_what_matching_reads(client, session, newcomer, program, now):
    client.post_form(
        "/peer/onboarding",
        profile_form(program, alert_phone="(585) 555-0142", sms_alerts="y", capacity="3"),
    )
    session.expire_all()
    profile = session.get(PeerProfile, newcomer.id)
    assert profile.alias == "River" and profile.capacity == 3
    assert [t.id for t in profile.topics] == [program.topics[0].id]
    assert profile.availability == {"mon": [["09:00", "17:00"]], "wed": [["18:00", "24:00"]]}
    assert profile.onboarded_at is not None and profile.profile_complete
    assert profile.sms_alerts is True
    assert b"5550142" not in profile.alert_phone_encrypted
    assert get_vault().decrypt(profile.alert_phone_encrypted) == "+15855550142"
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "peer.onboarded")).all()
    assert len(events) == 1 and "555" not in str(events[0].details)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"alias": "Robin"}, "looks like your real name"),
        ({"alias": "robin baker"}, "looks like your real name"),
        ({"alias": "B@ker!"}, "Use 2 to 30 letters"),
        ({"topics": None}, "Choose at least one topic"),
        ({"capacity": "0"}, "between 1 and 20"),
        ({"mon_on": None, "wed_on": None}, "at least one day"),
        ({"mon_start": "9am"}, "enter times like 09:00"),
        ({"mon_start": "17:00", "mon_end": "09:00"}, "end time must be after the start"),
        ({"alert_phone": "12"}, "phone number"),
        ({"sms_alerts": "y"}, "Add a phone number"),
    ],
)
def test_onboarding_explains_what_to_fix(client, session, newcomer, program, overrides, message):
    response = client.post_form("/peer/onboarding", profile_form(program, **overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(PeerProfile, newcomer.id).onboarded_at is None


def test_any_topic_is_enough_and_an_alias_cannot_be_taken_twice(client, make, newcomer, program):
    make.peer(program, alias="Sky")
    taken = client.post_form("/peer/onboarding", profile_form(program, alias="Sky"))
    assert "already uses that alias" in taken.get_data(as_text=True)
    ok = client.post_form("/peer/onboarding", profile_form(program, topics=None, any_topic="y"))
    assert ok.status_code == 302


def test_the_profile_can_be_edited_later(client, session, newcomer, program):
    client.post_form("/peer/onboarding", profile_form(program))
    page = client.get("/peer/profile").get_data(as_text=True)
    assert "Your profile" in page and 'value="River"' in page
    response = client.post_form("/peer/profile", profile_form(program, alias="Harbor"))
    assert response.status_code == 302
    session.expire_all()
    assert session.get(PeerProfile, newcomer.id).alias == "Harbor"


def test_a_peer_may_end_a_day_at_24_00_but_not_start_one(client, session, newcomer, program):
    saved = client.post_form("/peer/onboarding", profile_form(program, wed_end="24:00"))
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(PeerProfile, newcomer.id).availability["wed"] == [["18:00", "24:00"]]
    refused = client.post_form("/peer/profile", profile_form(program, mon_start="24:00"))
    assert refused.status_code == 400
    assert "Monday: enter times like 09:00 and 17:30." in refused.get_data(as_text=True)


def test_the_any_topic_box_says_what_matching_does_and_matching_does_it(
    client, session, make, newcomer, program, now
):
    page = html.unescape(client.get("/peer/onboarding").get_data(as_text=True))
    assert eligibility.ANY_TOPIC_LABEL in page and eligibility.ANY_TOPIC_HINT in page
    assert "wrote something that is not on the topic menu" in page
    # The capacity hint agrees with the program's suggestion.
    assert f"The program suggests {program.default_capacity}." in page
    assert "One is a perfectly good number" not in page
    open_now = {"wed_start": "09:00", "wed_end": "17:00"}  # it is Wednesday, 10:00 there
    client.post_form("/peer/onboarding", profile_form(program, **open_now))  # box unticked
    session.expire_all()
    robin = session.get(PeerProfile, newcomer.id)
    make.certify(robin)
    robin.available = True
    session.flush()
    untopiced = SupportRequest(
        program_id=program.id, texter_id=make.texter(program).id, state="waiting", created_at=now
    )
    session.add(untopiced)
    session.flush()
    found = {c.peer_profile_id for c in eligibility.eligible_peers(session, untopiced, now)}
    assert robin.id not in found
    client.post_form("/peer/profile", profile_form(program, any_topic="y", **open_now))
    session.expire_all()
    found = {c.peer_profile_id for c in eligibility.eligible_peers(session, untopiced, now)}
    assert robin.id in found


def test_the_workspace_says_the_program_has_not_launched(client, session, newcomer, program):
    client.post_form("/peer/onboarding", profile_form(program))
    program.status = "draft"
    session.flush()
    page = client.get("/peer/training").get_data(as_text=True)
    assert f"{program.name} has not launched yet." in page
    program.status = "live"
    session.flush()
    assert "has not launched yet" not in client.get("/peer/training").get_data(as_text=True)
