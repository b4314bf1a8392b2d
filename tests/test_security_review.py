"""Security review: what an attacker or a privacy officer would try, pinned."""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from peerwork import clock
from peerwork.auth import invites
from peerwork.extensions import db
from peerwork.models import Message, User
from peerwork.sms import wording as sms_wording
from tests import factories
from tests.sms_helpers import new_sid, post_signed


@pytest.mark.parametrize(
    "target", ["/%09/evil.example/", "/%0a/evil.example/", "/%0d%0a/evil.example"]
)
def test_sign_in_never_sends_you_to_another_site(client, make, target):
    admin = make.admin(make.org())
    response = client.post_form(
        f"/login?next={target}", {"email": admin.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
    assert response.headers["Location"].endswith("/dashboard")


def test_sign_in_still_returns_to_the_page_asked_for(client, make):
    admin = make.admin(make.org())
    response = client.post_form(
        "/login?next=/admin/audit", {"email": admin.email, "password": factories.PASSWORD}
    )
    assert response.headers["Location"].endswith("/admin/audit")


# -- admin-written texts cannot make the server build huge strings ------------------------


@pytest.mark.parametrize(
    "wording",
    [
        "Hi from {program:>999999999}. Call or text 988 in a crisis.",
        "Hi from {program!r}. Call or text 988 in a crisis.",
        "Hi from {program:{program}}. Call or text 988 in a crisis.",
    ],
)
def test_placeholders_with_a_format_spec_are_refused(wording):
    assert sms_wording.text_errors("welcome", wording, {"program": "Acme"}) == [
        "Write placeholders plainly, like {program}, with nothing else inside the braces."
    ]


def test_plain_placeholders_are_still_accepted():
    wording = "Hi from {program}. Call or text 988 in a crisis."
    assert sms_wording.text_errors("welcome", wording, {"program": "Acme"}) == []


# -- a contact's number is never shown back ----------------------------------------------


def test_contact_form_refused_for_its_name_does_not_show_the_number_back(client, make, session):
    org = make.org()
    program = make.program(org)
    admin = make.admin(org)
    session.commit()
    client.login(admin)
    response = client.post_form(
        f"/admin/programs/{program.id}/contacts",
        {"name": "", "phone": "+1 585 555 0142", "user_id": "0"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter the contact&#39;s name." in body or "Enter the contact's name." in body
    assert "5550142" not in body


# -- CSRF on every change but Twilio's two signed webhooks ---------------------------------

TWILIO_WEBHOOKS = {"sms.inbound_sms", "sms.status_callback"}


def _post_urls(app) -> dict[str, str]:
    urls = {}
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        values = {}
        for arg in rule.arguments:
            converter = rule._converters[arg]
            values[arg] = sorted(converter.items)[0] if hasattr(converter, "items") else 1
        with app.test_request_context():
            urls[rule.endpoint] = url_for(rule.endpoint, **values)
    return urls


def test_every_form_post_without_a_csrf_token_is_refused(app, client, make, session):
    admin = make.admin(make.org())
    session.commit()
    client.login(admin)
    urls = _post_urls(app)
    assert TWILIO_WEBHOOKS <= set(urls)
    assert len(urls) > 30
    for endpoint, url in urls.items():
        if endpoint in TWILIO_WEBHOOKS:
            continue
        response = client.post(url, data={"name": "x"})
        assert response.status_code == 400, endpoint
        assert "This form expired" in response.get_data(as_text=True), endpoint


def test_profile_refused_for_its_alias_does_not_show_the_peers_number_back(client, make, session):
    program = make.program(make.org())
    peer = make.peer(program)
    session.commit()
    client.login(peer.user)
    response = client.post_form(
        "/peer/profile",
        {
            "alias": "B@ker!",
            "topics": [str(program.topics[0].id)],
            "capacity": "2",
            "mon_on": "y",
            "mon_start": "09:00",
            "mon_end": "17:00",
            "alert_phone": "(585) 555-0142",
            "sms_alerts": "y",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Use 2 to 30 letters" in body
    assert "555-0142" not in body and "5550142" not in body


# -- bounded input ----------------------------------------------------------------------------


def test_a_signed_webhook_with_a_huge_body_is_refused_and_nothing_is_stored(client, make):
    program = make.program(name="Acme Peer Line")
    params = {
        "MessageSid": new_sid(),
        "From": "+17165550123",
        "To": program.sms_number,
        "Body": "x" * (300 * 1024),
    }
    response = post_signed(client, "/sms/inbound", params)
    assert response.status_code == 413
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


# -- role escalation ------------------------------------------------------------------------


def test_an_invite_cannot_be_accepted_as_another_role_or_organization(app, client, make, session):
    org, other = make.org(), make.org("Other Co")
    program = make.program(org)
    session.commit()
    issued = invites.issue(
        session,
        secret_key=app.config["SECRET_KEY"],
        organization_id=org.id,
        email="new.peer@example.com",
        role="peer",
        now=clock.now(),
        max_age_seconds=3600,
        program_id=program.id,
    )
    session.commit()
    response = client.post_form(
        f"/invite/{issued.token}",
        {
            "name": "Robin Q",
            "password": "listening is a skill 77",
            "confirm": "listening is a skill 77",
            "role": "admin",
            "organization_id": str(other.id),
        },
    )
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "new.peer@example.com"))
    assert user.roles == {"peer"} and user.organization_id == org.id
    assert client.get(f"/admin/programs/{program.id}").status_code == 403


# -- database errors (logged, kept in RQ's failed-job registry) carry no message text -----


def test_a_database_error_on_a_message_does_not_carry_its_words(make, session, now):
    program = make.program(make.org())
    texter = make.texter(program, "+17165550123")
    words = "I keep thinking about ending it"

    def received():
        return Message(
            program_id=program.id, direction="inbound", author="texter",
            texter_id=texter.id, body=words, twilio_sid="SMduplicate", status="received",
            created_at=now,
        )  # fmt: skip

    session.add(received())
    session.flush()
    with pytest.raises(IntegrityError) as raised, session.begin_nested():
        session.add(received())
        session.flush()
    assert words not in str(raised.value)
    assert "7165550123" not in str(raised.value)
