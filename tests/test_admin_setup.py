"""An HR admin sets up a program: the short guided forms, their inline errors, the
launch checklist and the program's states."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from peerwork.admin import launch as readiness
from peerwork.admin import programs
from peerwork.admin import topics as topic_menu
from peerwork.models import (
    AuditEvent,
    EscalationContact,
    Message,
    Program,
    Resource,
    Topic,
    TrainingModule,
)
from peerwork.sms import texts as sms_texts
from peerwork.sms import wording as sms_wording
from peerwork.training.curriculum import install_default_curriculum


@pytest.fixture
def org(make):
    return make.org("Acme Health")


@pytest.fixture
def admin(make, org, client, session):
    user = make.admin(org, name="Hana Admin")
    session.commit()
    client.login(user)
    return user


@pytest.fixture
def draft(make, org, session, now):
    """A draft program as the setup form creates it: no number, no topics."""
    program = programs.create_program(
        session, organization_id=org.id, name="Acme Peer Line", timezone="America/New_York",
        now=now, actor=None,
    )  # fmt: skip
    # Committed (to the test's savepoint): a view that rolls back keeps it.
    session.commit()
    return program


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def page(response) -> str:
    return response.get_data(as_text=True)


def settings_form(program, **changes) -> dict:
    data = {
        "name": program.name,
        "sms_number": program.sms_number or "",
        "timezone": program.timezone,
        "offer_timeout_seconds": program.offer_timeout_seconds,
        "wave_size": program.wave_size,
        "max_waves": program.max_waves,
        "default_capacity": program.default_capacity,
        "keep_requests_after_hours": "y",
        "wait_alert_minutes": program.wait_alert_minutes,
        "checkin_default": program.checkin_default,
        "quiet_start": program.quiet_start,
        "quiet_end": program.quiet_end,
        "retention_days": program.retention_days,
    }
    data.update(changes)
    return data


# -- creating a program -------------------------------------------------------------


def test_admin_creates_a_program_from_nothing(client, admin, session, org):
    response = client.post_form(
        "/admin/programs/new", {"name": "  Acme Peer Line ", "timezone": "America/Chicago"}
    )
    program = session.scalar(select(Program).where(Program.organization_id == org.id))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/programs/{program.id}/settings")
    assert (program.name, program.status, program.timezone) == (
        "Acme Peer Line",
        "draft",
        "America/Chicago",
    )
    # It starts with the national crisis lines and the default training; the seed
    # article's Rochester groups are only suggestions (they are local to one region).
    names = set(session.scalars(select(Resource.name).where(Resource.program_id == program.id)))
    assert "988 Suicide & Crisis Lifeline" in names and "Crisis Text Line" in names
    assert not {"Compeer", "AspireHope", "Venture Forthe", "Finger Lakes Community Action"} & names
    assert count(session, TrainingModule, TrainingModule.program_id == program.id) > 0
    assert count(session, AuditEvent, AuditEvent.action == "program.create") == 1


def test_default_resources_only_carry_numbers_we_are_sure_of(draft, session):
    rows = session.scalars(select(Resource).where(Resource.program_id == draft.id)).all()
    phones = {r.name: r.phone for r in rows}
    assert phones["988 Suicide & Crisis Lifeline"] == "988"
    assert phones["Crisis Text Line"] == "741741"
    # Every entry a new program starts with can be reached.
    assert rows and all(r.reachable for r in rows)


def test_a_second_program_with_the_same_name_is_refused(client, admin, draft, session, org):
    response = client.post_form(
        "/admin/programs/new", {"name": "acme peer line", "timezone": "America/New_York"}
    )
    assert response.status_code == 200
    assert "already has this name" in page(response)
    assert count(session, Program, Program.organization_id == org.id) == 1


# -- settings: the SMS number -----------------------------------------------------------


def test_sms_number_is_normalized_to_e164(client, admin, draft, session):
    response = client.post_form(
        f"/admin/programs/{draft.id}/settings", settings_form(draft, sms_number="(585) 555-0199")
    )
    assert response.status_code == 302
    session.refresh(draft)
    assert draft.sms_number == "+15855550199"


@pytest.mark.parametrize(
    ("number", "message"),
    [("555-01", "not a valid phone number"), ("call me", "Enter a phone number")],
)
def test_bad_phone_number_gets_inline_error_and_saves_nothing(
    client, admin, draft, session, number, message
):
    response = client.post_form(
        f"/admin/programs/{draft.id}/settings",
        settings_form(draft, sms_number=number, name="Renamed"),
    )
    assert response.status_code == 200
    assert message in page(response)
    assert 'aria-invalid="true"' in page(response)
    session.refresh(draft)
    assert (draft.sms_number, draft.name) == (None, "Acme Peer Line")


def test_number_used_by_another_program_anywhere_is_refused(client, admin, draft, make, session):
    make.program(make.org("Someone else"), sms_number="+15855550142")
    session.commit()
    response = client.post_form(
        f"/admin/programs/{draft.id}/settings", settings_form(draft, sms_number="585-555-0142")
    )
    assert response.status_code == 200
    assert "already used by another program" in page(response)
    session.refresh(draft)
    assert draft.sms_number is None


def test_matching_settings_out_of_range_are_refused(client, admin, draft, session):
    response = client.post_form(
        f"/admin/programs/{draft.id}/settings", settings_form(draft, offer_timeout_seconds=5)
    )
    assert response.status_code == 200
    assert "between 15 and 3600" in page(response)
    session.refresh(draft)
    assert draft.offer_timeout_seconds == 120


# -- hours ---------------------------------------------------------------------------------


def hours_form(**days) -> dict:
    data = {"closed_dates": ""}
    for day, (start, end) in days.items():
        data.update({f"open_{day}": "y", f"start_{day}": start, f"end_{day}": end})
    return data


def test_weekly_hours_and_closed_days_are_saved(client, admin, draft, session):
    data = hours_form(mon=("08:30", "17:00"), sat=("10:00", "00:00"))
    data["closed_dates"] = "2026-12-25\n2026-12-24\n"
    response = client.post_form(f"/admin/programs/{draft.id}/hours", data)
    assert response.status_code == 302
    session.refresh(draft)
    assert draft.hours == {"mon": [["08:30", "17:00"]], "sat": [["10:00", "24:00"]]}
    assert draft.closed_dates == ["2026-12-24", "2026-12-25"]


def test_hours_that_end_before_they_start_are_refused(client, admin, draft, session):
    before = dict(draft.hours)
    response = client.post_form(
        f"/admin/programs/{draft.id}/hours",
        hours_form(mon=("09:00", "17:00"), tue=("17:00", "09:00")),
    )
    assert response.status_code == 200
    assert "Tuesday: The closing time must be after the opening time." in page(response)
    session.refresh(draft)
    assert draft.hours == before


# -- texts ---------------------------------------------------------------------------------


def texts_form(program, **changes) -> dict:
    data = {key: sms_texts.template_for(key, program.texts) for key in sms_texts.EDITABLE}
    data.update(changes)
    return data


def test_reworded_text_is_saved_and_used(client, admin, draft, session):
    wording = (
        "Hi from {program}. A colleague will listen, anonymously. Call or text 988 in a crisis."
    )
    response = client.post_form(
        f"/admin/programs/{draft.id}/texts", texts_form(draft, welcome=wording)
    )
    assert response.status_code == 302
    session.refresh(draft)
    assert draft.texts == {"welcome": wording}
    assert sms_texts.for_program("welcome", draft).startswith("Hi from Acme Peer Line.")


def test_text_over_its_segment_limit_is_refused_with_the_count(client, admin, draft, session):
    too_long = "You matter. Call or text 988. " + "We are here for you. " * 8
    response = client.post_form(
        f"/admin/programs/{draft.id}/texts", texts_form(draft, crisis=too_long)
    )
    assert response.status_code == 200
    assert "Too long: 2 segments" in page(response)
    assert "the limit is 1 SMS segment" in page(response)
    session.refresh(draft)
    assert draft.texts == {}


def test_length_is_counted_with_the_program_name_filled_in(draft, session, now):
    draft.name = "The Greater Rochester Regional Health Employee Peer Support Line"
    wording = "{program} here. How are you? " + "x" * 110  # 138 characters as written
    assert sms_wording.text_errors("checkin", wording) == []
    errors = sms_wording.text_errors("checkin", wording, programs.placeholder_samples(draft))
    assert errors and errors[0].startswith("Too long: 2 segments")


def test_unknown_placeholder_and_missing_crisis_line_are_refused(client, admin, draft, session):
    response = client.post_form(
        f"/admin/programs/{draft.id}/texts",
        texts_form(draft, welcome="Hi {name}, welcome to {program}.", paused="We're paused."),
    )
    body = page(response)
    assert "Unknown placeholder {name}" in body
    assert "Keep the crisis line (988)" in body
    session.refresh(draft)
    assert draft.texts == {}


def test_segment_counter_is_wired_to_each_text(client, admin, draft):
    body = page(client.get(f"/admin/programs/{draft.id}/texts"))
    for key, spec in sms_texts.EDITABLE.items():
        assert f'data-admin-counter="{key}-count"' in body
        assert f'data-max-segments="{spec.max_segments}"' in body


# -- topics -----------------------------------------------------------------------------


def add_topic(client, program, name, keywords=""):
    return client.post_form(
        f"/admin/programs/{program.id}/topics",
        {"name": name, "keywords": keywords, "description": ""},
    )


def menu(session, program) -> list[tuple[int, str]]:
    session.expire_all()
    return [
        (t.menu_number, t.name) for t in topic_menu.active_topics(session.get(Program, program.id))
    ]


def test_topics_get_menu_numbers_and_can_be_reordered_and_retired(client, admin, draft, session):
    for name in ("Work stress", "Grief and loss", "Caregiving"):
        assert add_topic(client, draft, name).status_code == 302
    assert menu(session, draft) == [(1, "Work stress"), (2, "Grief and loss"), (3, "Caregiving")]
    caregiving = session.scalar(select(Topic).where(Topic.name == "Caregiving"))
    client.post_form(f"/admin/programs/{draft.id}/topics/{caregiving.id}/up")
    assert menu(session, draft) == [(1, "Work stress"), (2, "Caregiving"), (3, "Grief and loss")]
    stress = session.scalar(select(Topic).where(Topic.name == "Work stress"))
    client.post_form(f"/admin/programs/{draft.id}/topics/{stress.id}/retire")
    assert menu(session, draft) == [(1, "Caregiving"), (2, "Grief and loss")]
    client.post_form(f"/admin/programs/{draft.id}/topics/{stress.id}/restore")
    assert menu(session, draft)[-1] == (3, "Work stress")


def test_topic_rename_and_keywords(client, admin, draft, session):
    add_topic(client, draft, "Grief", "loss, bereavement")
    topic = session.scalar(select(Topic).where(Topic.program_id == draft.id))
    response = client.post_form(
        f"/admin/programs/{draft.id}/topics/{topic.id}",
        {"name": "Grief and loss", "keywords": "LOSS GRIEF", "description": ""},
    )
    assert response.status_code == 302
    session.refresh(topic)
    assert (topic.name, topic.keywords) == ("Grief and loss", ["LOSS", "GRIEF"])


@pytest.mark.parametrize(
    ("name", "keywords", "message"),
    [
        ("", "", "Give the topic a name."),
        ("   ", "", "Give the topic a name."),
        ("work STRESS", "", "There is already a topic called"),
        ("Burnout", "stop", "STOP is a command texters already use"),
        ("Burnout", "help", "HELP is a command texters already use"),
        ("Burnout", "pressure", "PRESSURE already leads to “Work stress”"),
        ("Burnout", "2", "is not a keyword"),
    ],
)
def test_invalid_topic_gets_inline_error_and_saves_nothing(
    client, admin, draft, session, name, keywords, message
):
    add_topic(client, draft, "Work stress", "pressure")
    response = add_topic(client, draft, name, keywords)
    assert response.status_code == 200
    assert message in page(response)
    assert count(session, Topic, Topic.program_id == draft.id) == 1


# -- escalation contacts ------------------------------------------------------------------


def test_contact_number_is_stored_encrypted_and_never_shown_again(client, admin, draft, session):
    response = client.post_form(
        f"/admin/programs/{draft.id}/contacts",
        {"name": "Dana Lee", "phone": "585 555 0177", "user_id": "0"},
    )
    assert response.status_code == 302
    contact = session.scalar(select(EscalationContact))
    assert contact.phone_last4 == "0177"
    assert b"5550177" not in contact.phone_encrypted
    body = page(client.get(f"/admin/programs/{draft.id}/contacts"))
    assert "••••0177" in body and "555 0177" not in body and "5550177" not in body
    edit = page(client.get(f"/admin/programs/{draft.id}/contacts/{contact.id}"))
    assert "5550177" not in edit


def test_contact_with_a_bad_number_is_refused(client, admin, draft, session):
    response = client.post_form(
        f"/admin/programs/{draft.id}/contacts", {"name": "Dana", "phone": "12", "user_id": "0"}
    )
    assert response.status_code == 200
    assert "phone number" in page(response)
    assert count(session, EscalationContact) == 0


def test_contact_can_be_linked_to_a_supervisor_of_the_same_org_only(
    client, admin, draft, session, make, org
):
    own = make.supervisor(org, name="Sam Supervisor")
    stranger = make.supervisor(make.org(), name="Stranger")
    url = f"/admin/programs/{draft.id}/contacts"
    refused = client.post_form(url, {"name": "X", "phone": "5855550101", "user_id": stranger.id})
    assert refused.status_code == 200 and count(session, EscalationContact) == 0
    client.post_form(url, {"name": "Sam", "phone": "5855550101", "user_id": own.id})
    assert session.scalar(select(EscalationContact.user_id)) == own.id


# -- the launch checklist ------------------------------------------------------------------


def launch(client, program):
    return client.post_form(f"/admin/programs/{program.id}/status/launch")


def test_checklist_blocks_launch_until_satisfied(client, admin, draft, session, make, now):
    overview = page(client.get(f"/admin/programs/{draft.id}"))
    assert "Launch is blocked" in overview
    response = launch(client, draft)
    assert response.status_code == 302
    session.refresh(draft)
    assert draft.status == "draft"
    blocked = page(client.get(response.headers["Location"]))
    assert "Not launched yet: sms number set; at least one topic" in blocked

    client.post_form(
        f"/admin/programs/{draft.id}/settings", settings_form(draft, sms_number="5855550150")
    )
    add_topic(client, draft, "Work stress")
    add_topic(client, draft, "Grief")
    client.post_form(
        f"/admin/programs/{draft.id}/contacts",
        {"name": "Dana", "phone": "5855550151", "user_id": "0"},
    )
    draft.training_published_at = now  # the training editor's "publish" (its own helper)
    session.commit()
    session.expire_all()
    program = session.get(Program, draft.id)
    work = session.scalar(select(Topic).where(Topic.name == "Work stress"))
    make.peer(program, topics=[work])
    checklist = readiness.checklist(session, program, now)
    assert checklist.ready
    assert [w.label for w in checklist.warnings] == [
        "No certified peer takes any topic yet",
        "No certified peer covers “Grief” yet",
    ]
    make.peer(program, topics=[work], any_topic=True)  # takes any topic, Grief included
    checklist = readiness.checklist(session, program, now)
    assert checklist.warnings == []

    assert launch(client, program).status_code == 302
    session.refresh(program)
    assert program.status == "live" and program.launched_at is not None


def test_uncertified_peers_do_not_satisfy_the_checklist(draft, session, make, now):
    topic_menu.add_topic(session, program=draft, name="Stress", keywords=[], description=None,
                       now=now, actor=None)  # fmt: skip
    make.peer(draft, certified=False)
    items = {i.key: i for i in readiness.checklist(session, draft, now).items}
    assert not items["peers"].done


def test_pause_resume_and_close(client, admin, make, org, session, now):
    program = make.program(org, status="live", training_published_at=now)
    install_default_curriculum(session, program_id=program.id, now=now)
    make.peer(program)
    session.add(EscalationContact(program_id=program.id, name="Dana", phone_last4="0100"))
    session.commit()
    for action, status in (("pause", "paused"), ("resume", "live"), ("close", "closed")):
        client.post_form(f"/admin/programs/{program.id}/status/{action}")
        session.refresh(program)
        assert program.status == status
    client.post_form(f"/admin/programs/{program.id}/status/resume")
    session.refresh(program)
    assert program.status == "closed"


@pytest.mark.parametrize("action", ["pause", "close"])
def test_a_paused_or_closed_program_still_answers_with_crisis_lines(
    client, admin, make, org, session, jobs, action
):
    from tests.sms_helpers import Phone

    program = make.program(org, status="live", name="Acme Line")
    session.commit()
    client.post_form(f"/admin/programs/{program.id}/status/{action}")
    session.refresh(program)
    assert program.status in ("paused", "closed")
    replies = Phone(client, program, "+17165550111", jobs).sends("hi, can someone talk?")
    answer = " ".join(replies) + " ".join(
        session.scalars(
            select(Message.body).where(
                Message.program_id == program.id, Message.direction == "outbound"
            )
        )
    )
    assert "paused" in answer and "988" in answer and "741741" in answer


# -- resources -------------------------------------------------------------------------------


def test_resource_is_edited_and_scoped_to_topics(client, admin, draft, session, now):
    grief = topic_menu.add_topic(
        session, program=draft, name="Grief", keywords=[], description=None, now=now, actor=None
    )
    session.commit()
    compeer = Resource(program_id=draft.id, name="Compeer", url="https://example.org", position=9)
    session.add(compeer)
    session.commit()
    response = client.post_form(
        f"/admin/programs/{draft.id}/resources/{compeer.id}",
        {"name": "Compeer Rochester", "description": "Volunteer friends.",
         "url": "https://example.org/compeer", "topic_ids": [grief.id]},
    )  # fmt: skip
    assert response.status_code == 302
    session.refresh(compeer)
    assert (compeer.name, compeer.url, compeer.topic_ids) == (
        "Compeer Rochester",
        "https://example.org/compeer",
        [grief.id],
    )


def test_resource_with_a_bad_web_address_is_refused(client, admin, draft, session):
    response = client.post_form(
        f"/admin/programs/{draft.id}/resources", {"name": "EAP", "url": "eap dot com"}
    )
    assert response.status_code == 200
    assert "Enter a web address like www.example.org" in page(response)
    assert session.scalar(select(Resource).where(Resource.name == "EAP")) is None


def test_bad_quiet_hours_are_refused(client, admin, draft, session):
    response = client.post_form(
        f"/admin/programs/{draft.id}/settings", settings_form(draft, quiet_start="9pm")
    )
    assert response.status_code == 200
    assert "Use a time like 21:00." in page(response)
    session.refresh(draft)
    assert draft.quiet_start == "21:00"


def test_hours_may_close_at_24_00_as_well_as_00_00(client, admin, draft, session):
    response = client.post_form(
        f"/admin/programs/{draft.id}/hours",
        hours_form(fri=("18:00", "24:00"), sat=("00:00", "00:00")),
    )
    assert response.status_code == 302
    session.refresh(draft)
    assert draft.hours == {"fri": [["18:00", "24:00"]], "sat": [["00:00", "24:00"]]}


def test_topic_keywords_cannot_shadow_any_registered_command():
    from peerwork.texter.keywords import OPT_OUT_WORDS, REGISTRY

    commands = {word for word in REGISTRY.words() if " " not in word} | OPT_OUT_WORDS
    assert {"HELP", "DONE", "NEW", "PLAN", "TALK", "CHECKIN", "START", "STOP"} <= commands
    for word in sorted(commands):
        # ESPAÑOL is refused before that: topic keywords are plain letters.
        reason = "command texters already use" if word.isascii() else "not a keyword"
        with pytest.raises(programs.SetupError, match=reason):
            topic_menu.parse_keywords(word.lower())


def test_words_no_command_uses_are_free_for_topics():
    # The old hand copy also reserved YES and NO, which nothing registers.
    assert topic_menu.parse_keywords("yes, no") == ["YES", "NO"]
