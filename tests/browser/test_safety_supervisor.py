"""A crisis text reaches a supervisor: the alert page updating by itself, the
peer's banner, the supervisor opening the conversation and acknowledging there,
and the escalation to the backup contact when nobody answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from playwright.sync_api import expect
from sqlalchemy import select

from peerwork import jobs as peerwork_jobs
from peerwork.extensions import db, get_vault, set_service
from peerwork.models import Alert, Conversation, EscalationContact, Message
from peerwork.sms import texts
from tests import factories
from tests.helpers import start_conversation
from tests.sms_helpers import FakeTransport, Phone

pytestmark = pytest.mark.committed

SUPERVISOR_PHONE = "+15855550111"
BACKUP_PHONE = "+15855550122"


def add_contact(session, program, name, phone, *, backup=False):
    vault = get_vault()
    session.add(
        EscalationContact(
            program_id=program.id,
            name=name,
            phone_encrypted=vault.encrypt(phone),
            phone_hash=vault.lookup_hash(phone),
            phone_last4=phone[-4:],
            is_backup=backup,
        )
    )


def sign_in(page, live_server, user):
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_supervisor_sees_the_crisis_acknowledges_and_an_ignored_one_escalates(
    app, client, page, phone_page, live_server, make, session, jobs, shot
):
    transport = FakeTransport()
    set_service("sms_transport", transport, app)
    now = datetime.now(UTC).replace(microsecond=0)
    org = make.org("Acme Logistics")
    program = make.program(org, name="Acme Peer Line", messages_per_second=30, alert_ack_minutes=5)
    add_contact(session, program, "Dana Reyes", SUPERVISOR_PHONE)
    add_contact(session, program, "Lee Park", BACKUP_PHONE, backup=True)
    supervisor = make.supervisor(org, name="Dana Reyes")
    peer = make.peer(program, alias="Robin")
    first = start_conversation(
        session, make, program, peer, now, phone="+17165550201", pseudonym="Blue Heron"
    )
    second = start_conversation(
        session, make, program, peer, now, phone="+17165550202", pseudonym="Red Fox"
    )
    first_id, second_id = first.id, second.id
    crisis_text = texts.for_program("crisis", program)
    peer_user = peer.user
    session.commit()

    # The supervisor has the alerts page open before anything happens.
    sign_in(page, live_server, supervisor)
    page.clock.install()
    page.goto(live_server.url + "/peer/supervise")
    assert "No open alerts" in page.locator("main").inner_text()
    page.wait_for_function(
        "document.getElementById('supervise-live').getAttribute('data-poll-stamp') !== ''"
    )

    # Two texters write something risky; each gets the crisis reply in the webhook itself.
    assert Phone(client, program, "+17165550201", jobs).sends("i want to kill myself") == [
        crisis_text
    ]
    assert Phone(client, program, "+17165550202", jobs).sends("my bf keeps hitting me") == [
        crisis_text
    ]
    assert len(transport.bodies_to(SUPERVISOR_PHONE)) == 2

    # Without a reload, the next poll (every 10 s) brings both crises onto the page
    # and the live region says so.
    page.clock.run_for(10_500)
    alerts = page.locator("li.alert-item")
    expect(alerts).to_have_count(2)
    expect(page.locator("#supervise-status")).to_have_text(
        "2 new alerts: Crisis: Blue Heron; Crisis: Red Fox."
    )
    assert page.locator("li.alert-item.is-new").count() == 2

    # Both crises, by pseudonym and category only.
    heron = alerts.filter(has_text="Blue Heron")
    fox = alerts.filter(has_text="Red Fox")
    assert "Suicide or self-harm" in heron.inner_text()
    assert "Abuse or immediate danger" in fox.inner_text()
    page_text = page.locator("main").inner_text()
    assert "kill myself" not in page_text and "hitting" not in page_text
    flagged = page.get_by_role("table")
    assert "Blue Heron" in flagged.inner_text() and "Crisis" in flagged.inner_text()
    shot(page, "safety-supervisor-alerts")

    # The peer in the conversation sees the crisis banner with the protocol.
    sign_in(phone_page, live_server, peer_user)
    phone_page.goto(f"{live_server.url}/peer/conversations/{first_id}")
    banner = phone_page.get_by_role("alert").filter(has_text="crisis protocol")
    expect(banner).to_be_visible()
    assert "988" in banner.inner_text() and "741741" in banner.inner_text()
    expect(phone_page.get_by_role("button", name="Alert a supervisor")).to_be_visible()
    shot(phone_page, "safety-peer-crisis-banner")

    # The supervisor opens Blue Heron's conversation from the alert: the thread by
    # pseudonym and alias, the crisis category, the protocol; never a phone number.
    heron.get_by_role("link", name="Open conversation").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/peer/supervise/conversations/{first_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Blue Heron")
    thread = page.get_by_role("list", name="Messages")
    texter_bubble = thread.locator(".bubble.them").filter(has_text="i want to kill myself")
    assert "Blue Heron" in texter_bubble.inner_text()
    assert "Suicide or self-harm" in page.locator("main").inner_text()
    assert "Robin" in page.locator("main").inner_text()
    protocol = page.get_by_role("region", name="Crisis protocol")
    assert "988" in protocol.inner_text() and "741741" in protocol.inner_text()
    assert "911" in protocol.inner_text()
    assert "7165550201" not in page.content() and "555-0201" not in page.content()
    shot(page, "safety-supervisor-conversation")

    # ...and acknowledges right there.
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/peer/supervise/conversations/{first_id}")
    main = page.locator("main").inner_text()
    assert "Alert acknowledged." in main and "Acknowledged by Dana Reyes" in main
    assert page.get_by_role("button", name="Acknowledge").count() == 0

    # The same page at phone width, as a supervisor on call would see it.
    phone_page.context.clear_cookies()
    sign_in(phone_page, live_server, supervisor)
    phone_page.goto(f"{live_server.url}/peer/supervise/conversations/{first_id}")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone_page, "safety-supervisor-conversation-phone")
    phone_page.get_by_role("link", name="Alerts").first.click()
    phone_page.wait_for_load_state()
    assert phone_page.locator("li.alert-item").count() == 1
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone_page, "safety-supervisor-alerts-phone")

    page.get_by_role("link", name="Alerts").first.click()
    page.wait_for_load_state()
    assert page.locator("li.alert-item").count() == 1

    # Nobody acknowledges the second: five minutes later it goes to the backup contact.
    with time_machine.travel(now + timedelta(minutes=3), tick=False):
        peerwork_jobs.safety_sweep()
    assert transport.bodies_to(BACKUP_PHONE) == []
    with time_machine.travel(now + timedelta(minutes=6), tick=False):
        jobs.run(until=now + timedelta(minutes=6))
        peerwork_jobs.safety_sweep()
        jobs.run(until=now + timedelta(minutes=6))
    backup = transport.bodies_to(BACKUP_PHONE)
    assert len(backup) == 1 and "Acme Peer Line" in backup[0]

    page.reload()
    still_open = page.locator("li.alert-item")
    assert still_open.count() == 1
    assert "Red Fox" in still_open.inner_text() and "Escalated" in still_open.inner_text()
    shot(page, "safety-supervisor-escalated")

    rows = {
        a.texter_id: a
        for a in db.session.scalars(select(Alert).where(Alert.kind == "crisis")).all()
    }
    states = sorted(a.state for a in rows.values())
    assert states == ["acknowledged", "escalated"]
    assert db.session.get(Conversation, first_id).is_crisis
    assert db.session.get(Conversation, second_id).is_crisis
    # Contacts were texted about the alert, never with the texter's words.
    to_contacts = db.session.scalars(select(Message).where(Message.recipient == "contact")).all()
    assert to_contacts and all("kill" not in m.body and "hit" not in m.body for m in to_contacts)
    assert jobs.failed() == []
