"""The supervisor's side of a crisis: opening the flagged conversation read-only,
acknowledging from there, and the alerts page that keeps itself current."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from peerwork import conversations
from peerwork.extensions import get_dispatcher
from peerwork.models import Alert, AuditEvent, Message
from peerwork.safety import escalation
from tests.helpers import start_conversation, texter_says

# Outside the factories' +1716555.... range, so no other texter can share it.
TEXTER_PHONE = "+13125550147"


@pytest.fixture(autouse=True)
def frozen(now):
    with time_machine.travel(now, tick=False):
        yield


def peer_says(session, conversation, body, now):
    message = Message(
        program_id=conversation.program_id,
        direction="outbound",
        author="peer",
        recipient="texter",
        texter_id=conversation.texter_id,
        peer_profile_id=conversation.peer_profile_id,
        conversation_id=conversation.id,
        body=body,
        status="delivered",
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def crisis(session, conversation, body, now) -> Alert:
    message = texter_says(session, conversation, body, now, crisis=True)
    return escalation.handle_crisis_message(
        session, message_id=message.id, now=now, dispatcher=get_dispatcher()
    )


@pytest.fixture
def world(session, make, now):
    """Blue Heron wrote something risky to peer River, who flagged it; Sky has an
    ordinary conversation; another organization has a crisis of its own."""
    org = make.org("Acme Logistics")
    program = make.program(org, name="Acme Peer Line")
    river = make.peer(program, alias="River", capacity=3)
    heron = start_conversation(
        session, make, program, river, now, phone=TEXTER_PHONE, pseudonym="Blue Heron"
    )
    texter_says(session, heron, "Rough week at the depot", now)
    peer_says(session, heron, "That sounds heavy. What happened?", now)
    crisis_alert = crisis(session, heron, "honestly i want to kill myself", now)
    flag = conversations.flag_for_supervisor(
        session,
        conversation_id=heron.id,
        peer_profile_id=river.id,
        reason="Talking about suicide, please join",
        now=now,
        dispatcher=get_dispatcher(),
    )
    sky = make.peer(program, alias="Sky", capacity=3)
    ordinary = start_conversation(session, make, program, sky, now, pseudonym="Quiet Owl")
    elsewhere = make.program(make.org("Other Co"))
    stranger = make.peer(elsewhere, alias="Cloud")
    foreign = start_conversation(session, make, elsewhere, stranger, now, pseudonym="Red Fox")
    foreign_alert = crisis(session, foreign, "he hits me every night", now)
    session.flush()
    return {
        "org": org,
        "program": program,
        "river": river,
        "heron": heron,
        "crisis": crisis_alert,
        "flag": flag,
        "ordinary": ordinary,
        "foreign": foreign,
        "foreign_alert": foreign_alert,
    }


@pytest.fixture
def supervisor(make, world, client):
    supervisor = make.supervisor(world["org"], name="Dana Reyes")
    client.login(supervisor)
    return supervisor


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def main_of(page: str) -> str:
    return page.split("<main", 1)[1].split("</main>", 1)[0]


def text_of(page: str) -> str:
    """What a reader sees: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_the_supervisor_opens_the_flagged_crisis_conversation_read_only(client, world, supervisor):
    page = page_of(client.get(f"/peer/supervise/conversations/{world['heron'].id}"))
    main = main_of(page)
    # The thread, by pseudonym and alias, with the texter's own words in order.
    assert "Blue Heron" in main and "River" in main
    assert main.index("Rough week at the depot") < main.index("What happened?")
    assert main.index("What happened?") < main.index("i want to kill myself")
    # What the alerts say: the category, who flagged it and why.
    assert "Suicide or self-harm" in main
    assert "Flagged by peer" in main and "Talking about suicide, please join" in main
    assert "Active" in main and "Crisis" in main
    # The protocol to follow.
    assert "988" in main and "741741" in main and "HOME" in main and "911" in main
    # Two open alerts, each with its own button; no way to write to the texter.
    assert main.count('type="submit">Acknowledge') == 2
    # The one text box is the private note to the peer (issue #15), never a reply.
    assert main.count("<textarea") == 1 and "/note" in main and "/reply" not in main
    # Never a phone number, in any form, anywhere on the page.
    digits = TEXTER_PHONE.removeprefix("+1")
    assert digits not in page and digits[3:] not in page
    assert "312-555" not in page and "(312)" not in page


def test_the_alerts_page_links_to_the_conversation(client, world, supervisor):
    page = page_of(client.get("/peer/supervise"))
    link = f'href="/peer/supervise/conversations/{world["heron"].id}"'
    alerts, flagged = page.split('id="flagged-h"')
    assert alerts.count(link) == 2, "both the crisis and the flag alert link to it"
    assert link in flagged
    assert f"/peer/supervise/conversations/{world['foreign'].id}" not in page


def test_an_admin_may_open_it_too(client, make, world):
    client.login(make.admin(world["org"]))
    assert client.get(f"/peer/supervise/conversations/{world['heron'].id}").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/peer/supervise/conversations/{foreign}",
        "/peer/supervise/conversations/{foreign}/poll.json",
        "/peer/supervise/conversations/{ordinary}",
        "/peer/supervise/conversations/{ordinary}/poll.json",
        "/peer/supervise/conversations/999999",
    ],
)
def test_other_organizations_and_unflagged_conversations_are_404(client, world, supervisor, url):
    url = url.format(foreign=world["foreign"].id, ordinary=world["ordinary"].id)
    assert client.get(url).status_code == 404


def test_another_organizations_alert_cannot_be_acknowledged(client, session, world, supervisor):
    alert_id = world["foreign_alert"].id
    response = client.post_form(
        f"/peer/supervise/alerts/{alert_id}/acknowledge", {"conversation_id": world["heron"].id}
    )
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Alert, alert_id).state == "open"


SUPERVISOR_URLS = [
    ("GET", "/peer/supervise"),
    ("GET", "/peer/supervise/poll.json"),
    ("GET", "/peer/supervise/conversations/{heron}"),
    ("GET", "/peer/supervise/conversations/{heron}/poll.json"),
    ("POST", "/peer/supervise/alerts/{alert}/acknowledge"),
]


@pytest.mark.parametrize(("method", "url"), SUPERVISOR_URLS)
def test_a_peer_is_refused_even_on_their_own_conversation(client, session, world, method, url):
    client.login(world["river"].user)
    url = url.format(heron=world["heron"].id, alert=world["crisis"].id)
    response = client.get(url) if method == "GET" else client.post_form(url)
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Alert, world["crisis"].id).state == "open"


@pytest.mark.parametrize(("method", "url"), SUPERVISOR_URLS)
def test_signed_out_visitors_are_sent_to_sign_in(client, world, method, url):
    url = url.format(heron=world["heron"].id, alert=world["crisis"].id)
    response = client.get(url) if method == "GET" else client.post_form(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_acknowledging_from_the_conversation_stays_there(client, session, world, supervisor):
    heron, alert = world["heron"], world["crisis"]
    url = f"/peer/supervise/conversations/{heron.id}"
    response = client.post_form(
        f"/peer/supervise/alerts/{alert.id}/acknowledge", {"conversation_id": heron.id}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    page = main_of(page_of(client.get(url)))
    assert "Alert acknowledged." in page
    assert "Acknowledged by Dana Reyes" in text_of(page)
    assert page.count('type="submit">Acknowledge') == 1, "only the flag is still open"

    session.expire_all()
    acked = session.get(Alert, alert.id)
    assert acked.state == "acknowledged" and acked.acknowledged_by_id == supervisor.id
    audited = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "alert",
            AuditEvent.object_id == alert.id,
            AuditEvent.actor_user_id.is_not(None),
        )
    ).all()
    assert [(e.action, e.actor_user_id) for e in audited] == [
        ("safety.alert_acknowledged", supervisor.id)
    ]
    assert "kill" not in str(audited[0].details)

    # A second press (a colleague's stale tab) is refused kindly, and records nothing more.
    again = client.post_form(
        f"/peer/supervise/alerts/{alert.id}/acknowledge",
        {"conversation_id": heron.id},
        follow_redirects=True,
    )
    assert again.status_code == 200
    assert "Someone already acknowledged this alert." in again.get_data(as_text=True)
    assert (
        session.scalar(
            select(AuditEvent.id).where(
                AuditEvent.action == "safety.alert_acknowledged", AuditEvent.id != audited[0].id
            )
        )
        is None
    )


def test_the_conversation_id_cannot_send_the_supervisor_elsewhere(client, world, supervisor):
    """An alert acknowledged with someone else's conversation id goes back to the alerts page."""
    response = client.post_form(
        f"/peer/supervise/alerts/{world['crisis'].id}/acknowledge",
        {"conversation_id": world["foreign"].id},
    )
    assert response.headers["Location"].endswith("/peer/supervise")


def test_an_ended_crisis_conversation_stays_readable(client, session, world, supervisor, now):
    conversations.end_conversation(
        session,
        conversation_id=world["heron"].id,
        ended_by="texter",
        now=now,
        dispatcher=get_dispatcher(),
    )
    page = main_of(page_of(client.get(f"/peer/supervise/conversations/{world['heron'].id}")))
    assert "Ended" in page and "i want to kill myself" in page


def test_polling_sees_only_this_organizations_alerts_and_follows_them(
    client, session, world, supervisor, later
):
    stamp = client.get("/peer/supervise/poll.json").get_json()
    assert sorted(a for a, _state in stamp["alerts"]) == sorted(
        [world["crisis"].id, world["flag"].id]
    )
    assert world["foreign_alert"].id not in [a for a, _ in stamp["alerts"]]
    assert stamp["flagged"] == [world["heron"].id]

    # A new crisis arrives in this organization: the next poll differs, and the page shows it.
    owl = world["ordinary"]
    fresh = crisis(session, owl, "i might hurt someone at work", later(minutes=1))
    after = client.get("/peer/supervise/poll.json").get_json()
    assert fresh.id in [a for a, _ in after["alerts"]] and owl.id in after["flagged"]
    board = page_of(client.get("/peer/supervise"))
    assert "Quiet Owl" in board and "Harm to others" in board
    assert "i might hurt someone" not in board

    # Acknowledged alerts drop out of it; another organization's new alert never appears.
    client.post_form(f"/peer/supervise/alerts/{fresh.id}/acknowledge")
    crisis(session, world["foreign"], "i want to die", later(minutes=2))
    last = client.get("/peer/supervise/poll.json").get_json()
    assert sorted(a for a, _ in last["alerts"]) == sorted([world["crisis"].id, world["flag"].id])


def test_the_alerts_page_polls_from_peers_js_with_a_live_region(client, world, supervisor):
    page = page_of(client.get("/peer/supervise"))
    assert 'data-poll-url="/peer/supervise/poll.json"' in page and 'data-poll-ms="10000"' in page
    assert 'id="supervise-status"' in page and 'aria-live="polite"' in page
    assert "js/peers.js" in page and "<script>" not in page


def _opened(session, conversation_id):
    return session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "supervisor.conversation_opened",
            AuditEvent.object_id == conversation_id,
        )
    ).all()


def test_opening_a_conversation_is_audited_once_per_hour(client, session, world, supervisor, now):
    heron = world["heron"]
    url = f"/peer/supervise/conversations/{heron.id}"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # a refresh is not another visit
    rows = _opened(session, heron.id)
    assert len(rows) == 1
    assert rows[0].actor_user_id == supervisor.id
    assert rows[0].object_type == "conversation"
    assert rows[0].organization_id == world["org"].id
    # The row names who and what, never the texter's words or number.
    text = f"{rows[0].details} {rows[0].actor_label}"
    assert "kill" not in text and TEXTER_PHONE[2:] not in text

    with time_machine.travel(now + timedelta(minutes=61), tick=False):
        assert client.get(url).status_code == 200
    assert len(_opened(session, heron.id)) == 2


def test_a_refused_visit_is_not_audited(client, session, world, supervisor):
    foreign = world["foreign"]
    assert client.get(f"/peer/supervise/conversations/{foreign.id}").status_code == 404
    assert (
        session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "supervisor.conversation_opened"
            )
        )
        == 0
    )
