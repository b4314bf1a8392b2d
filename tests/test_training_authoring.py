"""Admins shape their program's curriculum: edit, add, require, publish."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from peerwork.models import AuditEvent, Organization, TrainingModule
from peerwork.training.curriculum import install_default_curriculum


@pytest.fixture
def program(make, session, now):
    program = make.program()
    install_default_curriculum(session, program_id=program.id, now=now)
    return program


@pytest.fixture
def admin(make, session, program, client):
    admin = make.admin(session.get(Organization, program.organization_id))
    client.login(admin)
    return admin


def first_module(session, program):
    return session.scalar(
        select(TrainingModule)
        .where(TrainingModule.program_id == program.id)
        .order_by(TrainingModule.position)
    )


def test_the_curriculum_page_lists_every_module(client, admin, program, session):
    page = html.unescape(client.get(f"/admin/training/program/{program.id}").get_data(as_text=True))
    assert "What a peer supporter is" in page and "Anonymity and confidentiality" in page
    assert page.count("required</span>") == 9
    assert client.get("/admin/training/").status_code == 302  # one program: straight to it


def test_editing_a_lesson_shows_a_safe_preview_and_marks_it_edited(client, admin, program, session):
    module = first_module(session, program)
    response = client.post_form(
        f"/admin/training/module/{module.id}",
        {
            "title": "Who we are",
            "lesson_md": "## Hello\n\n<script>x()</script> **kind**",
            "pass_mark": "70",
            "required": "y",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/admin/training/module/{module.id}").get_data(as_text=True)
    assert "<h2>Hello</h2>" in page and "<strong>kind</strong>" in page
    assert "<script>x()" not in page
    session.expire_all()
    module = session.get(TrainingModule, module.id)
    assert (module.title, module.pass_mark, module.has_draft_changes, module.version) == (
        "Who we are",
        70,
        True,
        1,
    )


def test_a_question_needs_exactly_one_right_answer(client, admin, program, session):
    module = first_module(session, program)
    duplicate = client.post_form(
        f"/admin/training/module/{module.id}/questions",
        {
            "new-prompt": "Pick one",
            "new-choices": "Yes\nyes\nNo",
            "new-correct": "1",
            "new-explanation": "",
        },
    )
    assert duplicate.status_code == 400 and "more than one could be right" in duplicate.get_data(
        as_text=True
    )
    out_of_range = client.post_form(
        f"/admin/training/module/{module.id}/questions",
        {
            "new-prompt": "Pick one",
            "new-choices": "Yes\nNo",
            "new-correct": "3",
            "new-explanation": "",
        },
    )
    assert (
        out_of_range.status_code == 400
        and "Pick which choice is the right answer" in out_of_range.get_data(as_text=True)
    )
    ok = client.post_form(
        f"/admin/training/module/{module.id}/questions",
        {
            "new-prompt": "Is peer support a replacement for therapy?",
            "new-choices": "Yes\nNo",
            "new-correct": "2",
            "new-explanation": "It complements care.",
        },
    )
    assert ok.status_code == 302
    session.expire_all()
    question = session.get(TrainingModule, module.id).questions[-1]
    assert (question.choices, question.correct_index) == (["Yes", "No"], 1)


def test_a_new_module_is_optional_until_it_has_a_quiz(client, admin, program, session):
    response = client.post_form(
        f"/admin/training/program/{program.id}", {"title": "Our EAP", "lesson_md": "Call the EAP."}
    )
    module = session.scalar(select(TrainingModule).where(TrainingModule.slug == "our-eap"))
    assert response.headers["Location"].endswith(f"/admin/training/module/{module.id}")
    assert module.required is False and module.position == 10
    refused = client.post_form(
        f"/admin/training/module/{module.id}",
        {"title": "Our EAP", "lesson_md": "Call the EAP.", "pass_mark": "80", "required": "y"},
    )
    assert refused.status_code == 400
    assert "Add at least one quiz question" in refused.get_data(as_text=True)


def test_publishing_a_version_sets_the_grace_period(client, admin, program, session, now):
    module = first_module(session, program)
    bad = client.post_form(f"/admin/training/module/{module.id}/publish", {"grace_days": "400"})
    assert bad.status_code == 400
    response = client.post_form(f"/admin/training/module/{module.id}/publish", {"grace_days": "5"})
    assert response.status_code == 302
    session.expire_all()
    module = session.get(TrainingModule, module.id)
    assert module.version == 2 and module.has_draft_changes is False
    assert (module.previous_version_valid_until - module.version_published_at).days == 5
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "training.version_published")
    )
    assert event.details["grace_days"] == 5 and event.actor_user_id == admin.id


def test_another_organizations_curriculum_is_404(client, admin, make, session, now):
    other = make.program()
    install_default_curriculum(session, program_id=other.id, now=now)
    foreign = first_module(session, other)
    assert client.get(f"/admin/training/program/{other.id}").status_code == 404
    assert client.get(f"/admin/training/module/{foreign.id}").status_code == 404
    assert (
        client.post_form(
            f"/admin/training/module/{foreign.id}/publish", {"grace_days": "1"}
        ).status_code
        == 404
    )
    assert client.post_form(f"/admin/training/module/{foreign.id}/retire").status_code == 404
    session.expire_all()
    assert session.get(TrainingModule, foreign.id).version == 1


def test_peers_cannot_author(client, make, program, session):
    peer = make.peer(program)
    client.post_form("/logout")
    client.login(peer.user)
    assert client.get(f"/admin/training/program/{program.id}").status_code == 403


def test_retiring_a_module_takes_it_out_of_training(client, admin, program, session):
    module = first_module(session, program)
    client.post_form(f"/admin/training/module/{module.id}/retire")
    session.expire_all()
    assert session.get(TrainingModule, module.id).retired_at is not None
    client.post_form(f"/admin/training/module/{module.id}/retire")
    session.expire_all()
    assert session.get(TrainingModule, module.id).retired_at is None


def test_training_pages_stay_inside_the_program(client, admin, program, session):
    module = first_module(session, program)
    for url in (f"/admin/training/program/{program.id}", f"/admin/training/module/{module.id}"):
        page = html.unescape(client.get(url).get_data(as_text=True))
        assert 'aria-label="Program setup"' in page, url  # the program's tab bar
        assert ">Audit log</a>" in page and ">Volunteers</a>" in page
        assert f'href="/admin/training/program/{program.id}" aria-current="page">Training' in page


def test_the_admin_sees_the_answers_and_the_pool_and_retiring_asks_first(
    client, admin, program, session
):
    module = first_module(session, program)
    page = html.unescape(client.get(f"/admin/training/module/{module.id}").get_data(as_text=True))
    assert f"Each try asks 5 of these {len(module.questions)} questions." in page
    question = module.questions[0]
    assert question.choices[question.correct_index] in page
    assert f'value="{question.correct_index + 1}"' in page  # the right choice, in authoring
    assert f'data-confirm="Retire {module.title}?' in page
    client.post_form(f"/admin/training/module/{module.id}/retire")
    restored = client.get(f"/admin/training/module/{module.id}").get_data(as_text=True)
    assert "Restore module" in restored and 'data-confirm="Retire' not in restored
