"""A failed quiz teaches without giving the answers away, and a second failure
asks for a break: at desktop and phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from peerwork.models import TrainingModule
from peerwork.training import grading
from peerwork.training.curriculum import Question, install_default_curriculum
from tests import factories

pytestmark = pytest.mark.committed


def wrong_choice(question):
    return question.choices[(question.correct_index + 1) % len(question.choices)]


def answer_everything_wrong(page, questions):
    asked = []
    for question in questions:
        fieldset = page.locator("fieldset.question", has_text=question.prompt)
        if fieldset.count():
            fieldset.get_by_label(wrong_choice(question), exact=True).check()
            asked.append(question)
    assert len(asked) == grading.QUESTIONS_PER_ATTEMPT
    return asked


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_failed_quiz_names_wrong_questions_but_no_right_answer_then_asks_for_a_break(
    request, live_server, make, session, now, shot, width
):
    page = request.getfixturevalue("page" if width == "desktop" else "phone_page")
    org = make.org("Acme Logistics")
    program = make.program(org, name="Acme Peer Line")
    install_default_curriculum(session, program_id=program.id, now=now)
    peer = make.peer(program, alias="River", certified=False, available=False)
    module = session.scalar(
        select(TrainingModule)
        .where(TrainingModule.program_id == program.id)
        .order_by(TrainingModule.position)
    )
    module_id, email = module.id, peer.user.email
    # Plain values, read before the live server starts writing.
    questions = [
        Question(q.prompt, tuple(q.choices), q.correct_index, q.explanation)
        for q in module.questions
    ]
    session.commit()

    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/peer/training")

    page.goto(f"{live_server.url}/peer/training/{module_id}/quiz")
    asked = answer_everything_wrong(page, questions)
    shot(page, f"quiz-{width}")
    page.get_by_role("button", name="Submit answers").click()

    expect(page.get_by_role("heading", name="Not passed yet: 0%")).to_be_visible()
    expect(page.get_by_text("5 of 5 answers need another look")).to_be_visible()
    expect(page.get_by_text("The right options are not shown")).to_be_visible()
    for question in asked:
        item = page.locator("li.feedback-item", has_text=question.prompt)
        expect(item.get_by_text("Not quite")).to_be_visible()
        expect(item.get_by_text(f"You chose “{wrong_choice(question)}”.")).to_be_visible()
        expect(item.get_by_text(question.explanation)).to_be_visible()
    text = page.locator("main").inner_text()
    for question in questions:  # asked or not, no right option is on the page
        assert question.choices[question.correct_index] not in text, question.prompt
    assert page.locator(".feedback-item.right, .badge.ok").count() == 0
    shot(page, f"quiz-failed-{width}")

    page.get_by_role("link", name="Try the quiz again").click()
    answer_everything_wrong(page, questions)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Not passed yet: 0%")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Take a short break before the next try")
    ).to_be_visible()
    expect(page.get_by_text("You can try again at 10:15 (in 15 minutes).")).to_be_visible()
    expect(page.get_by_role("link", name="Try the quiz again")).to_have_count(0)
    shot(page, f"quiz-cooldown-{width}")

    page.goto(f"{live_server.url}/peer/training/{module_id}/quiz")
    expect(
        page.get_by_role("heading", name="Take a short break before the next try")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Submit answers")).to_have_count(0)
    shot(page, f"quiz-wait-{width}")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_training_stays_in_the_program_and_retire_and_revoke_ask_first(
    request, live_server, make, session, now, shot, width
):
    page = request.getfixturevalue("page" if width == "desktop" else "phone_page")
    org = make.org("Acme Logistics")
    program = make.program(org, name="Acme Peer Line")
    install_default_curriculum(session, program_id=program.id, now=now)
    admin = make.admin(org, name="Hana Okafor")
    program_id, email = program.id, admin.email
    session.commit()

    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}/admin/programs/{program_id}/volunteers")
    page.get_by_label("Email addresses").fill("ana@example.com")
    page.get_by_role("button", name="Create invite links").click()
    expect(page.get_by_text("Nothing was emailed:")).to_be_visible()
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_role("button", name="Revoke the invite for ana@example.com").click()
    assert dialogs == ["Revoke the invite for ana@example.com? Their link stops working."]
    expect(page.get_by_role("button", name="Revoke the invite for ana@example.com")).to_be_visible()

    tabs = page.get_by_role("navigation", name="Program setup")
    tabs.get_by_role("link", name="Training").click()
    page.wait_for_url(f"{live_server.url}/admin/training/program/{program_id}")
    expect(tabs.get_by_role("link", name="Training")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="Audit log")).to_be_attached()
    shot(page, f"admin-training-in-program-{width}")
    page.get_by_role("link", name="What a peer supporter is").first.click()
    expect(tabs.get_by_role("link", name="Training")).to_have_attribute("aria-current", "page")
    page.get_by_role("button", name="Retire module").click()
    assert dialogs[-1].startswith("Retire What a peer supporter is?")
    expect(page.get_by_role("button", name="Retire module")).to_be_visible()  # nothing happened
    shot(page, f"admin-training-module-{width}")
