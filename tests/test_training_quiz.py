"""Taking the training: failing shows why, passing every module certifies, and a
new version of a required module must be re-passed within its grace period."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from peerwork.matching.eligibility import is_certified
from peerwork.models import TrainingAttempt, TrainingModule
from peerwork.training import authoring, grading
from peerwork.training.curriculum import install_default_curriculum
from tests.helpers import (
    curriculum_program,
    program_modules,
    quiz_page,
    right_choice,
    take_quiz,
    wrong_choice,
)


@pytest.fixture
def program(make, session, now):
    return curriculum_program(make, session, now)


@pytest.fixture
def modules(session, program):
    return program_modules(session, program)


@pytest.fixture
def trainee(make, program, client):
    peer = make.peer(program, certified=False, available=False)
    client.login(peer.user)
    return peer


def all_right(module):
    return {q.id: q.correct_index for q in module.questions}


def test_an_uncertified_peer_lands_on_training_with_a_progress_bar(client, trainee, modules):
    response = client.get("/peer/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Your training" in page
    assert f"0 of {len(modules)}" in page and 'aria-valuenow="0"' in page
    assert all(m.title in page for m in modules)


def test_the_lesson_is_rendered_and_leads_to_the_quiz(client, trainee, modules):
    page = client.get(f"/peer/training/{modules[5].id}").get_data(as_text=True)
    assert (
        "crisis protocol</h2>" in page
        and "<script" not in page.split("<article")[1].split("</article>")[0]
    )
    assert "741741" in page
    quiz = html.unescape(client.get(f"/peer/training/{modules[5].id}/quiz").get_data(as_text=True))
    assert sum(q.prompt in quiz for q in modules[5].questions) == 5  # a draw from the pool


def test_a_failed_quiz_names_the_wrong_questions_and_never_the_right_option(
    client, session, trainee, modules
):
    module = modules[0]
    draw, shown = quiz_page(client, module)
    by_id = {q.id: q for q in module.questions}
    asked = [by_id[question_id] for question_id in shown]  # in the page's order
    first, skipped = asked[0], asked[1]

    def pick(question):
        if question.id == first.id:
            return wrong_choice(question)
        return None if question.id == skipped.id else question.correct_index

    form = {"draw": draw}
    for question in asked:
        index = pick(question)
        if index is not None:
            text = question.choices[index]
            form[f"q{question.id}"] = next(o for o, t in shown[question.id].items() if t == text)
    response = client.post_form(f"/peer/training/{module.id}/quiz", form)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Not passed yet: 60%" in page and "You need 80% to pass" in page
    assert "2 of 5 answers need another look: question 1, question 2." in page
    assert f"You chose “{first.choices[wrong_choice(first)]}”" in page
    assert "You did not answer." in page
    for question in (first, skipped):
        assert question.explanation in page
        assert question.choices[question.correct_index] not in page
    assert "right answer is" not in page.lower()
    assert "Try the quiz again" in page
    attempt = session.scalar(
        select(TrainingAttempt).where(TrainingAttempt.peer_profile_id == trainee.id)
    )
    assert (attempt.score, attempt.passed, attempt.module_version) == (60, False, 1)


def test_passing_every_module_certifies_the_peer(client, session, trainee, modules, now):
    for module in modules[:-1]:
        page = take_quiz(client, module, right_choice).get_data(as_text=True)
        assert "Passed: 100%" in page
    assert not is_certified(session, trainee.id, now)
    last = take_quiz(client, modules[-1], right_choice)
    assert "You have finished your required training" in last.get_data(as_text=True)
    assert is_certified(session, trainee.id, now)
    dashboard = client.get("/peer/")
    assert dashboard.status_code == 200 and "Not available" in dashboard.get_data(as_text=True)


def test_a_peer_cannot_take_another_programs_quiz(client, make, session, trainee, now):
    other = make.program()
    install_default_curriculum(session, program_id=other.id, now=now)
    foreign = session.scalar(select(TrainingModule).where(TrainingModule.program_id == other.id))
    assert client.get(f"/peer/training/{foreign.id}").status_code == 404
    assert client.get(f"/peer/training/{foreign.id}/quiz").status_code == 404
    assert client.post_form(f"/peer/training/{foreign.id}/quiz", {"draw": "x"}).status_code == 404
    with pytest.raises(grading.QuizError):
        grading.submit_quiz(
            session, module_id=foreign.id, peer_profile_id=trainee.id, answers={}, now=now
        )


def test_a_new_version_must_be_repassed_after_the_grace_period(
    session, make, program, modules, now, later
):
    peer = make.peer(program)  # passed everything at version 1
    admin = make.admin(session.get(type(program.organization), program.organization_id))
    assert is_certified(session, peer.id, now)
    module = modules[5]
    authoring.publish_version(session, module=module, grace_days=7, now=now, actor=admin)
    assert module.version == 2
    assert is_certified(session, peer.id, later(days=6)), "the old pass counts during the grace"
    assert not is_certified(session, peer.id, later(days=7, minutes=1)), "and not after it"
    grading.submit_quiz(
        session,
        module_id=module.id,
        peer_profile_id=peer.id,
        answers=all_right(module),
        now=later(days=8),
    )
    assert is_certified(session, peer.id, later(days=8))


def test_publishing_with_no_grace_stops_matching_at_once(session, make, program, modules, now):
    peer = make.peer(program)
    admin = make.admin(session.get(type(program.organization), program.organization_id))
    authoring.publish_version(session, module=modules[0], grace_days=0, now=now, actor=admin)
    assert not is_certified(session, peer.id, now)


def test_an_optional_module_does_not_gate(session, make, program, modules, now):
    peer = make.peer(program)
    admin = make.admin(session.get(type(program.organization), program.organization_id))
    module = authoring.add_module(
        session,
        program_id=program.id,
        title="Extra reading",
        lesson_md="Read this.",
        now=now,
        actor=admin,
    )
    assert module.required is False
    assert is_certified(session, peer.id, now)


def test_the_training_page_shows_a_module_to_repass(client, session, make, program, modules, now):
    peer = make.peer(program)
    admin = make.admin(session.get(type(program.organization), program.organization_id))
    authoring.publish_version(session, module=modules[2], grace_days=10, now=now, actor=admin)
    client.login(peer.user)
    page = client.get("/peer/training").get_data(as_text=True)
    assert "Updated · re-pass by 05 Dec" in page
    dashboard = client.get("/peer/").get_data(as_text=True)
    assert "A training module was updated" in dashboard and modules[2].title in dashboard
    assert timedelta(days=10) == modules[2].previous_version_valid_until - now
