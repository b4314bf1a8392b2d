"""The audit log (every admin action, never a phone number) and anonymous reports."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from peerwork.admin import reports
from peerwork.audit import record
from peerwork.insights import periods
from peerwork.models import (
    Alert,
    AuditEvent,
    CheckIn,
    EscalationContact,
    Invite,
    PeerProfile,
    Program,
    Resource,
    SupportRequest,
    Topic,
)
from peerwork.sms import texts as sms_texts
from peerwork.training.curriculum import install_default_curriculum

NUMBERS = {"program": "5855550161", "contact": "5855550162", "contact2": "5855550163"}


@pytest.fixture
def org(make):
    return make.org("Acme Health")


@pytest.fixture
def admin(make, org, client, session):
    user = make.admin(org, name="Hana Admin")
    session.commit()
    client.login(user)
    return user


def page(response) -> str:
    return response.get_data(as_text=True)


def walk_through_every_admin_action(client, session, make, org) -> Program:
    """Drive each admin action once, through the pages, as an admin would."""
    client.post_form("/admin/programs/new", {"name": "Peer Line", "timezone": "America/New_York"})
    program = session.scalar(select(Program).where(Program.organization_id == org.id))
    base = f"/admin/programs/{program.id}"
    settings = {
        "name": "Peer Line",
        "sms_number": NUMBERS["program"],
        "timezone": "America/New_York",
        "offer_timeout_seconds": 90,
        "wave_size": 3,
        "max_waves": 3,
        "default_capacity": 2,
        "checkin_default": "1d",
        "quiet_start": "21:00",
        "quiet_end": "08:00",
        "retention_days": 60,
    }
    assert client.post_form(f"{base}/settings", settings).status_code == 302
    client.post_form(f"{base}/hours", {"open_mon": "y", "start_mon": "09:00", "end_mon": "17:00"})
    texts = {k: sms_texts.template_for(k) for k in sms_texts.EDITABLE}
    texts["checkin"] = (
        "Hi from {program}. How are you, 1 (rough) to 5 (good)? Text TALK for a peer."
    )
    client.post_form(f"{base}/texts", texts)
    for name in ("Work stress", "Grief"):
        client.post_form(f"{base}/topics", {"name": name, "keywords": ""})
    grief = session.scalar(select(Topic).where(Topic.name == "Grief"))
    client.post_form(f"{base}/topics/{grief.id}", {"name": "Grief and loss", "keywords": "LOSS"})
    for move in ("up", "retire", "restore"):
        client.post_form(f"{base}/topics/{grief.id}/{move}")
    client.post_form(
        f"{base}/contacts", {"name": "Dana", "phone": NUMBERS["contact"], "user_id": 0}
    )
    contact = session.scalar(select(EscalationContact))
    client.post_form(
        f"{base}/contacts/{contact.id}",
        {"name": "Dana Lee", "phone": NUMBERS["contact2"], "user_id": 0},
    )
    client.post_form(f"{base}/resources", {"name": "EAP", "phone": "585-555-0164"})
    resource = session.scalar(select(Resource).where(Resource.name == "EAP"))
    client.post_form(
        f"{base}/resources/{resource.id}", {"name": "Our EAP", "phone": "585 555 0165"}
    )
    client.post_form(f"{base}/resources/{resource.id}/retire")
    client.post_form(f"{base}/resources/{resource.id}/restore")
    client.post_form(f"{base}/volunteers", {"emails": "a@example.com, b@example.com"})
    first, second = session.scalars(select(Invite).order_by(Invite.id)).all()
    client.post_form(f"{base}/invites/{first.id}/renew")
    client.post_form(f"{base}/invites/{second.id}/revoke")
    peer = make.peer(program)
    session.commit()
    for move in ("promote", "deactivate", "reactivate"):
        client.post_form(f"{base}/peers/{peer.id}/{move}")
    client.post_form(f"{base}/twilio", {"contact_id": contact.id})
    session.get(Program, program.id).training_published_at = session.get(
        Program, program.id
    ).created_at
    session.commit()
    client.post_form(f"{base}/status/launch")
    client.post_form(f"{base}/status/pause")
    client.post_form(f"{base}/contacts/{contact.id}/remove")
    return program


def test_every_admin_action_is_audited_and_no_row_holds_a_phone_number(
    client, admin, session, make, org
):
    walk_through_every_admin_action(client, session, make, org)
    events = session.scalars(select(AuditEvent).where(AuditEvent.organization_id == org.id)).all()
    actions = {e.action for e in events}
    assert {
        "program.create", "program.settings", "program.hours", "program.texts",
        "topic.create", "topic.update", "topic.move", "topic.retire", "topic.restore",
        "contact.create", "contact.update", "contact.remove",
        "resource.create", "resource.update", "resource.retire", "resource.restore",
        "invite.create", "invite.renew", "invite.revoke",
        "peer.promote", "peer.deactivate", "peer.reactivate",
        "sms.test", "program.launch", "program.pause",
    } <= actions  # fmt: skip
    assert all(e.actor_label == "Hana Admin" for e in events if e.action != "auth.login")
    everything = json.dumps(
        [[e.action, e.actor_label, e.object_type, e.details] for e in events], ensure_ascii=False
    )
    digits = re.sub(r"\D", "", everything)
    for number in (*NUMBERS.values(), "5855550164", "5855550165"):
        assert number not in digits and number[-7:] not in digits
    assert "How are you" not in everything  # nor texter-facing wording


def test_audit_viewer_filters_by_action_actor_program_and_date(
    client, admin, session, make, org, now
):
    program = make.program(org, name="North line")
    other = make.program(org, name="South line")
    colleague = make.admin(org, name="Colleague")
    for days, actor, prog, action in [
        (1, admin, program, "topic.create"),
        (2, colleague, program, "topic.retire"),
        (3, admin, other, "contact.create"),
        (40, admin, program, "program.launch"),
    ]:
        record(session, organization_id=org.id, action=action, actor=actor,
               program_id=prog.id, now=now - timedelta(days=days))  # fmt: skip
    record(session, organization_id=make.org().id, action="topic.create", now=now)
    session.commit()

    def shown(**query) -> list[str]:
        body = page(client.get("/admin/audit", query_string=query))
        return re.findall(r"<code>([a-z_.]+)</code>", body)

    assert shown(action="topic") == ["topic.create", "topic.retire"]
    assert shown(action="topic.retire") == ["topic.retire"]
    assert shown(actor=colleague.id) == ["topic.retire"]
    assert shown(program=other.id) == ["contact.create"]
    since = (now - timedelta(days=10)).date().isoformat()
    until = (now - timedelta(days=2)).date().isoformat()
    assert shown(since=since, until=until, action="topic") == ["topic.retire"]


def test_audit_viewer_pages_through_long_logs(client, admin, session, org, now):
    for i in range(120):
        record(session, organization_id=org.id, action="topic.move", actor=admin,
               now=now - timedelta(minutes=i))  # fmt: skip
    session.commit()
    first = page(client.get("/admin/audit?action=topic.move"))
    assert "Page 1 of 3" in first and first.count("<code>topic.move</code>") == 50
    last = page(client.get("/admin/audit?action=topic.move&page=3"))
    assert last.count("<code>topic.move</code>") == 20


# -- reports (the dashboard itself: tests/test_insights_*.py) ---------------------------------


@pytest.fixture
def busy_program(make, org, session, now):
    program = make.program(org, topics=("Work stress", "Grief", "Caregiving"))
    install_default_curriculum(session, program_id=program.id, now=now)
    work, grief, care = program.topics
    plan = [(work, 12), (grief, 3), (care, 6), (None, 0)]
    minutes = iter(range(1, 100))
    # Ten days back: inside the last whole week, which is where reports end.
    created = now - timedelta(days=10)
    for topic, n in plan:
        for _ in range(n):
            texter = make.texter(program)
            session.add(
                SupportRequest(
                    program_id=program.id,
                    texter_id=texter.id,
                    topic_id=topic.id if topic else None,
                    state="matched",
                    created_at=created,
                    matched_at=created + timedelta(minutes=next(minutes)),
                )
            )
    for score, n in ((1, 2), (4, 6), (5, 9)):
        for _ in range(n):
            texter = make.texter(program)
            session.add(
                CheckIn(program_id=program.id, texter_id=texter.id, state="answered", score=score,
                        due_at=created, expires_at=now, answered_at=created)
            )  # fmt: skip
    for _ in range(3):
        session.add(Alert(program_id=program.id, kind="crisis", created_at=created))
    session.commit()
    return program


def _dashboard(session, program, now, preset="4w"):
    period = periods.resolve(tz=program.timezone, now=now, preset=preset)
    return reports.dashboard(session, program=program, period=period, now=now)


def test_report_counts_with_small_cells_hidden(busy_program, session, now):
    report = _dashboard(session, busy_program, now).current
    assert report.requests.shown == "21"
    assert report.crisis_alerts.shown == "hidden"
    by_topic = {report.by_topic.labels[k]: f.shown for k, f in report.by_topic.by_key().items()}
    # Grief (3) is hidden; Caregiving (6) too, or 21 - 12 - 6 would give Grief away.
    assert by_topic == {
        "Work stress": "12",
        "Caregiving": "hidden",
        "Grief": "hidden",
        "No topic chosen": "0",
    }
    scores = {k: f.shown for k, f in report.scores.by_key().items()}
    assert scores == {1: "hidden", 2: "0", 3: "0", 4: "hidden", 5: "9"}
    assert report.to_match.median == 11.0


def test_median_wait_is_withheld_below_five_matches(make, org, session, now):
    program = make.program(org)
    for i in range(4):
        texter = make.texter(program)
        session.add(SupportRequest(program_id=program.id, texter_id=texter.id, state="matched",
                                   created_at=now - timedelta(days=10),
                                   matched_at=now - timedelta(days=10) + timedelta(minutes=i)))  # fmt: skip
    session.flush()
    report = _dashboard(session, program, now).current
    assert report.to_match.median is None
    assert report.requests.shown == "hidden"


def test_reports_page_shows_counts_only(client, admin, busy_program, session):
    peer = session.scalar(select(PeerProfile))
    assert peer is None  # nothing about people exists to leak; the page is counts alone
    body = page(client.get(f"/admin/programs/{busy_program.id}/reports?period=4w"))
    assert "Requests to talk" in body and ">21<" in body
    assert "hidden" in body
    assert "Texter " not in body
