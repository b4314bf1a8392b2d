"""The HR admin's first hour (issue #15): the quick start, resources a texter can
always reach, web addresses as people type them, the long-wait setting, the
timezone list, default texts that do not repeat the program's name, and the
confirmations before Launch and Pause."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from peerwork.admin import launch as readiness
from peerwork.admin import programs, resources, timezones
from peerwork.admin.defaults import DEFAULT_RESOURCES, DEFAULT_TOPICS, LOCAL_SUGGESTIONS
from peerwork.admin.setup_common import SetupError
from peerwork.models import (
    Alert,
    AuditEvent,
    EscalationContact,
    Invite,
    Program,
    Resource,
    SupportRequest,
)
from peerwork.peers import workspace
from peerwork.safety import escalation
from peerwork.sms import texts as sms_texts
from tests.helpers import RecordingDispatcher
from tests.sms_helpers import Phone


@pytest.fixture
def org(make):
    return make.org("Acme Health")


@pytest.fixture
def admin(make, org, client, session):
    user = make.admin(org, name="Hana Okafor")
    session.commit()
    client.login(user)
    return user


def page(response) -> str:
    return response.get_data(as_text=True)


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


QUICK_START = {
    "name": "Acme Peer Line",
    "timezone": "America/Chicago",
    "sms_number": "(585) 555-0142",
    "contact_name": "Dana Lee",
    "contact_phone": "585 555 0123",
    "backup_name": "",
    "backup_phone": "",
    "emails": "river@example.com\nSky Tan <sky@example.com>",
}


# -- the quick start ----------------------------------------------------------------------


def test_quick_start_leaves_only_the_peers_before_launch(client, admin, session, org, make, now):
    response = client.post_form("/admin/programs/quick-start", QUICK_START)
    assert response.status_code == 200, page(response)[:300]
    program = session.scalar(select(Program).where(Program.organization_id == org.id))
    assert (program.name, program.timezone, program.sms_number, program.status) == (
        "Acme Peer Line",
        "America/Chicago",
        "+15855550142",
        "draft",
    )
    assert [t.name for t in program.topics] == [name for name, _ in DEFAULT_TOPICS]
    assert program.training_published_at is not None
    # English only until the admin offers another language in Settings.
    assert (program.languages, program.language_fallback) == ("en", "anyone")
    contacts = session.scalars(
        select(EscalationContact).where(EscalationContact.program_id == program.id)
    ).all()
    assert [(c.name, c.phone_last4, c.is_backup) for c in contacts] == [("Dana Lee", "0123", False)]
    invited = set(session.scalars(select(Invite.email).where(Invite.program_id == program.id)))
    assert invited == {"river@example.com", "sky@example.com"}
    # The links are shown once, on this page; the contact's number never is.
    body = page(response)
    assert body.count("/invite/") >= 2 and "555 0123" not in body and "5550123" not in body
    # The same checklist as the full pages: only a certified peer is missing.
    checklist = readiness.checklist(session, program, now)
    assert [item.key for item in checklist.blocking] == ["peers"]
    assert count(session, AuditEvent, AuditEvent.action == "program.quick_start") == 1
    assert count(session, AuditEvent, AuditEvent.action == "program.create") == 1

    make.peer(program, alias="River", topics=[program.topics[0]])
    session.commit()
    launched = client.post_form(f"/admin/programs/{program.id}/status/launch")
    assert launched.status_code == 302
    session.refresh(program)
    assert program.status == "live"


def test_quick_start_with_a_second_person_for_alerts(client, admin, session, org):
    data = dict(QUICK_START, backup_name="Sam Ortiz", backup_phone="+1 585 555 0177", emails="")
    response = client.post_form("/admin/programs/quick-start", data)
    assert response.status_code == 200
    names = session.scalars(select(EscalationContact.name).order_by(EscalationContact.position))
    assert list(names) == ["Dana Lee", "Sam Ortiz"]
    assert count(session, Invite) == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"sms_number": "555-01"}, "sms_number", "not a valid phone"),
        ({"contact_phone": ""}, "contact_phone", "Enter a mobile number for crisis alerts."),
        ({"emails": "river@example.com, not-an-address"}, "emails", "Not an email address"),
        ({"backup_name": "Sam Ortiz"}, "backup_phone", "Enter the second person's mobile"),
        ({"backup_phone": "585 555 0177"}, "backup_name", "Enter the second person's name"),
        ({"contact_phone": "585 555 0142", "backup_name": "Sam", "backup_phone": "5855550142"},
         "backup_phone", "already an escalation contact"),
    ],
)  # fmt: skip
def test_quick_start_refuses_with_the_answers_kept_and_nothing_made(
    client, admin, session, org, changes, field, message
):
    response = client.post_form("/admin/programs/quick-start", dict(QUICK_START, **changes))
    assert response.status_code == 200
    body = page(response)
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', body)
    assert error is not None and message in html.unescape(error.group(1)), body[-3000:]
    assert 'value="Acme Peer Line"' in body
    assert count(session, Program, Program.organization_id == org.id) == 0


def test_quick_start_refuses_a_number_another_program_uses(client, admin, session, make, org):
    make.program(sms_number="+15855550142")
    session.commit()
    response = client.post_form("/admin/programs/quick-start", QUICK_START)
    assert response.status_code == 200
    assert "already used by another program" in page(response)
    assert count(session, Program, Program.organization_id == org.id) == 0


def test_the_empty_dashboard_offers_the_quick_start_first(client, admin):
    body = page(client.get("/admin/"))
    assert body.index("/admin/programs/quick-start") < body.index("/admin/programs/new")


# -- resources: never texted without a way to reach them ----------------------------------


def test_a_new_program_starts_with_national_lines_only_each_reachable(make, session, now):
    org = make.org()
    program = programs.create_program(
        session, organization_id=org.id, name="Acme", timezone="America/Denver", now=now, actor=None
    )
    rows = session.scalars(select(Resource).where(Resource.program_id == program.id)).all()
    assert [r.name for r in rows] == [d.name for d in DEFAULT_RESOURCES]
    assert all(r.phone or r.url for r in rows)
    assert not {r.name for r in rows} & {s.name for s in LOCAL_SUGGESTIONS if s.region}


@pytest.mark.parametrize("values", [{}, {"phone": "  ", "url": ""}])
def test_a_resource_without_a_phone_or_web_address_is_refused(make, session, now, values):
    program = make.program()
    with pytest.raises(SetupError) as refused:
        resources.add_resource(
            session, program=program, values={"name": "Compeer", **values}, now=now, actor=None
        )
    assert refused.value.field == "phone"
    assert "phone number or a web address" in refused.value.message


def test_editing_away_the_last_way_to_reach_a_resource_is_refused(make, session, now):
    program = make.program()
    entry = resources.add_resource(
        session, program=program, values={"name": "EAP", "phone": "1-800-555-0100"}, now=now,
        actor=None,
    )  # fmt: skip
    with pytest.raises(SetupError):
        resources.update_resource(
            session, program=program, resource=entry, values={"name": "EAP"}, now=now, actor=None
        )
    assert entry.phone == "1-800-555-0100"


@pytest.mark.parametrize("junk", ["call us", "12", "+1 (585) abc"])
def test_a_phone_that_is_not_a_number_is_refused(make, session, now, junk):
    program = make.program()
    with pytest.raises(SetupError) as refused:
        resources.add_resource(
            session, program=program, values={"name": "EAP", "phone": junk}, now=now, actor=None
        )
    assert refused.value.field == "phone"


def test_resources_reply_never_lists_an_entry_without_a_way_to_reach_it(
    client, make, session, jobs
):
    program = make.program(name="Acme Peer Line", messages_per_second=50)
    # Rows as an older version left them: the seed article's groups with no contact details.
    session.add_all(
        [
            Resource(program_id=program.id, name="Compeer", position=1),
            Resource(program_id=program.id, name="AspireHope", phone="  ", url="", position=2),
            Resource(program_id=program.id, name="EAP", phone="1-800-555-0100", position=3),
            Resource(program_id=program.id, name="Calm class", url="https://calm.test", position=4),
        ]
    )
    session.commit()
    phone = Phone(client, program, "+17165550190", jobs)
    phone.sends("hi")
    phone.sends("RESOURCES")
    reply = phone.last()
    assert "EAP - 1-800-555-0100" in reply and "Calm class - https://calm.test" in reply
    assert "Compeer" not in reply and "AspireHope" not in reply
    listed = reply.split("\n")[1:-1]
    assert listed and all(re.search(r"\d{3}|https?://", line) for line in listed)


def test_resources_reply_with_only_unreachable_entries_sends_the_crisis_lines(
    client, make, session, jobs
):
    program = make.program(messages_per_second=50)
    session.add(Resource(program_id=program.id, name="Compeer", position=1))
    session.commit()
    phone = Phone(client, program, "+17165550191", jobs)
    phone.sends("RESOURCES")
    assert phone.last() == sms_texts.render("resources_none")


def test_peers_are_not_offered_an_entry_they_could_not_pass_on(make, session, now):
    program = make.program()
    session.add_all(
        [
            Resource(program_id=program.id, name="Compeer", position=1),
            Resource(program_id=program.id, name="EAP", phone="1-800-555-0100", position=2),
        ]
    )
    conversation = SimpleNamespace(program_id=program.id, topic_id=None)
    assert [r.name for r in workspace.resources_for(session, conversation)] == ["EAP"]


def test_a_suggested_local_group_is_picked_then_completed(client, admin, session, make, org):
    program = make.program(org)
    session.commit()
    url = f"/admin/programs/{program.id}/resources"
    listing = page(client.get(url))
    assert "Suggestions" in listing and "?suggest=compeer" in listing
    assert "Rochester and the Finger Lakes, New York" in listing
    picked = page(client.get(url + "?suggest=compeer"))
    assert 'value="Compeer"' in picked and "Complete “Compeer”" in picked
    # Saved only once it has a way to reach it.
    refused = client.post_form(url, {"name": "Compeer", "description": "Volunteer friends."})
    assert refused.status_code == 200
    assert "Add a phone number or a web address" in page(refused)
    assert count(session, Resource, Resource.name == "Compeer") == 0
    saved = client.post_form(url, {"name": "Compeer", "url": "compeer.org"})
    assert saved.status_code == 302
    entry = session.scalar(select(Resource).where(Resource.name == "Compeer"))
    assert entry.url == "https://compeer.org"
    assert "?suggest=compeer" not in page(client.get(url))


# -- web addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("example.org", "https://example.org"),
        ("www.Example.org/help?x=1", "https://www.example.org/help?x=1"),
        ("  https://988lifeline.org  ", "https://988lifeline.org"),
        ("HTTP://Example.org/Path", "http://example.org/Path"),
        ("//example.org/a", "https://example.org/a"),
        ("example.org:8080/x", "https://example.org:8080/x"),
        ("mhanational.org/find-support-groups", "https://mhanational.org/find-support-groups"),
        ("xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        ("", None),
    ],
)
def test_web_addresses_are_accepted_as_typed_and_normalized(typed, stored):
    assert resources.normalize_url(typed) == stored


@pytest.mark.parametrize(
    "junk",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "mailto:help@example.org",
        "ftp://example.org",
        "eap dot com",
        "localhost",
        "https://user:pw@example.org",
        "https://exa mple.org",
        "https://-bad-.org",
        "https://example.123",
        "http://",
        "example",
        "https://example.org\\@evil.test",
        "https://" + "a" * 300 + ".org",
    ],
)
def test_garbage_web_addresses_are_refused(junk):
    with pytest.raises(SetupError) as refused:
        resources.normalize_url(junk)
    assert refused.value.field == "url"


def test_the_resource_form_stores_an_address_typed_without_https(client, admin, session, make, org):
    program = make.program(org)
    session.commit()
    response = client.post_form(
        f"/admin/programs/{program.id}/resources", {"name": "EAP", "url": "www.acme-eap.com/care"}
    )
    assert response.status_code == 302
    entry = session.scalar(select(Resource).where(Resource.name == "EAP"))
    assert entry.url == "https://www.acme-eap.com/care"
    refused = client.post_form(
        f"/admin/programs/{program.id}/resources", {"name": "Bad", "url": "javascript:alert(1)"}
    )
    assert refused.status_code == 200
    assert "Enter a web address like www.example.org" in page(refused)
    assert count(session, Resource, Resource.name == "Bad") == 0


# -- the long wait -----------------------------------------------------------------------


def _waiting_request(session, make, program, now) -> SupportRequest:
    texter = make.texter(program, state="waiting")
    request = SupportRequest(
        program_id=program.id, texter_id=texter.id, state="waiting", created_at=now
    )
    session.add(request)
    session.commit()
    return request


def _settings(program, **changes) -> dict:
    data = {key: getattr(program, key) for key in programs.SETTINGS_FIELDS}
    data["sms_number"] = data["sms_number"] or ""
    data["keep_requests_after_hours"] = "y" if program.keep_requests_after_hours else ""
    data.update(changes)
    return data


def test_the_long_wait_is_a_setting_and_the_alert_follows_it(
    client, admin, session, make, org, now
):
    program = make.program(org)
    session.commit()
    settings_page = page(client.get(f"/admin/programs/{program.id}/settings"))
    assert 'name="wait_alert_minutes"' in settings_page and 'value="10"' in settings_page
    response = client.post_form(
        f"/admin/programs/{program.id}/settings", _settings(program, wait_alert_minutes="25")
    )
    assert response.status_code == 302
    session.refresh(program)
    assert program.wait_alert_minutes == 25
    assert "waited 25 minutes" in page(client.get(f"/admin/programs/{program.id}/texts"))

    request = _waiting_request(session, make, program, now)
    dispatcher = RecordingDispatcher()
    # Past the old fixed 10 minutes: nothing yet.
    assert escalation.raise_wait_alerts(session, now=now + timedelta(minutes=12), dispatcher=dispatcher) == 0  # fmt: skip
    assert escalation.raise_wait_alerts(session, now=now + timedelta(minutes=25), dispatcher=dispatcher) == 1  # fmt: skip
    alert = session.scalar(select(Alert).where(Alert.request_id == request.id))
    assert alert.kind == "wait" and "waited 25 minutes" in alert.reason


def test_a_shorter_long_wait_alerts_sooner(session, make, now, admin, org):
    program = make.program(org)
    programs.update_settings(
        session, program=program, values={"wait_alert_minutes": 3}, now=now, actor=admin
    )
    _waiting_request(session, make, program, now)
    dispatcher = RecordingDispatcher()
    assert escalation.raise_wait_alerts(session, now=now + timedelta(minutes=2), dispatcher=dispatcher) == 0  # fmt: skip
    assert escalation.raise_wait_alerts(session, now=now + timedelta(minutes=3), dispatcher=dispatcher) == 1  # fmt: skip


@pytest.mark.parametrize("minutes", ["1", "121", "0", "-5"])
def test_a_long_wait_out_of_range_is_refused(client, admin, session, make, org, minutes):
    program = make.program(org)
    session.commit()
    response = client.post_form(
        f"/admin/programs/{program.id}/settings", _settings(program, wait_alert_minutes=minutes)
    )
    assert response.status_code == 200
    assert 'id="wait_alert_minutes-error"' in page(response)
    session.refresh(program)
    assert program.wait_alert_minutes == 10


@pytest.mark.parametrize("minutes", [1, 121])
def test_the_domain_refuses_a_long_wait_out_of_range(session, make, now, minutes):
    program = make.program()
    with pytest.raises(SetupError) as refused:
        programs.update_settings(
            session, program=program, values={"wait_alert_minutes": minutes}, now=now, actor=None
        )
    assert refused.value.field == "wait_alert_minutes"


def test_the_database_holds_the_long_wait_range(session, make):
    program = make.program()
    program.wait_alert_minutes = 0
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()


# -- timezones -------------------------------------------------------------------------------


def test_timezones_are_canonical_grouped_and_common_first():
    offered = timezones.zones()
    assert offered[:5] == [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
    ]
    assert len(offered) == len(set(offered))
    for alias in ("US/Eastern", "US/Pacific", "Asia/Calcutta", "America/Buenos_Aires", "GMT"):
        assert alias not in offered
    assert {"Asia/Kolkata", "America/Argentina/Buenos_Aires", "Europe/Kyiv"} <= set(offered)
    assert not any(z.startswith(("Etc/", "SystemV/", "US/")) for z in offered)
    groups = [title for title, _ in timezones.grouped()]
    assert groups[0] == timezones.COMMON_GROUP and "Europe" in groups
    assert timezones.label("Asia/Kolkata") == "India (Kolkata)"
    assert timezones.label("Europe/Paris") == "Paris, France"


def test_the_settings_page_groups_the_zones_and_keeps_an_old_alias_in_use(
    client, admin, session, make, org
):
    program = make.program(org, timezone="US/Eastern")
    session.commit()
    body = page(client.get(f"/admin/programs/{program.id}/settings"))
    select_html = body[body.index('name="timezone"') :]
    select_html = select_html[: select_html.index("</select>")]
    groups = re.findall(r'<optgroup label="([^"]+)"', select_html)
    assert groups[:3] == ["Current", "Most used", "The Americas"]
    assert (
        'value="US/Eastern" selected' in select_html or 'selected value="US/Eastern"' in select_html
    )
    assert select_html.count("<option") == len(timezones.zones()) + 1
    assert "Asia/Calcutta" not in select_html and "US/Pacific" not in select_html
    # The search box for admin.js, hidden until the script reveals it.
    assert 'data-zone-search-for="timezone" hidden' in body
    # Saving other settings keeps the alias rather than failing or changing it.
    response = client.post_form(
        f"/admin/programs/{program.id}/settings", _settings(program, name="Renamed")
    )
    assert response.status_code == 302
    session.refresh(program)
    assert (program.name, program.timezone) == ("Renamed", "US/Eastern")


def test_the_new_program_page_refuses_an_alias(client, admin, session, org):
    response = client.post_form(
        "/admin/programs/new", {"name": "Acme", "timezone": "Asia/Calcutta"}
    )
    assert response.status_code == 200
    assert count(session, Program, Program.organization_id == org.id) == 0


# -- default texts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", [k for k, spec in sms_texts.TEXTS.items() if "program" in spec.placeholders]
)
@pytest.mark.parametrize("name", ["Acme Peer Line", "Northwind Peer Support Line", "Acme"])
def test_default_texts_do_not_repeat_the_program_name(key, name):
    text = sms_texts.render(key, program=name)
    assert name in text
    rest = text.replace(name, "", 1).lower()
    for words in ("peer line", "support line", "'s peer"):
        assert words not in rest, f"{key}: {text}"


# -- confirmations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "words"),
    [
        ("draft", "launch", "are connected with your peers"),
        ("live", "pause", "nobody is matched with a peer until you resume"),
        ("live", "close", "for good"),
    ],
)
def test_launch_pause_and_close_ask_first(client, admin, session, make, org, status, action, words):
    program = make.program(org, status=status, name="Acme Peer Line")
    session.commit()
    body = page(client.get(f"/admin/programs/{program.id}"))
    form = re.search(
        rf'<form method="post" action="/admin/programs/{program.id}/status/{action}"[^>]*>', body
    )
    assert form is not None
    confirm = re.search(r'data-confirm="([^"]+)"', form.group(0))
    assert (
        confirm is not None and words in confirm.group(1) and "Acme Peer Line" in confirm.group(1)
    )


def test_the_program_tabs_wrap_instead_of_scrolling_sideways():
    rules = (Path(programs.__file__).parents[1] / "static" / "css" / "admin.css").read_text()
    nav = re.search(r"\.setup-nav \.steps \{([^}]*)\}", rules).group(1)
    assert "flex-wrap: wrap" in nav and "overflow-x" not in nav
