"""Security review: what an attacker or a privacy officer would try, pinned."""

from __future__ import annotations

import pytest
from flask import url_for

from peerwork.admin import programs
from tests import factories


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
    assert programs.text_errors("welcome", wording, {"program": "Acme"}) == [
        "Write placeholders plainly, like {program}, with nothing else inside the braces."
    ]


def test_plain_placeholders_are_still_accepted():
    wording = "Hi from {program}. Call or text 988 in a crisis."
    assert programs.text_errors("welcome", wording, {"program": "Acme"}) == []


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
