"""A volunteer's whole first day, on a phone: invite, onboarding, training
(fail once, then pass), available, an offer arrives, a conversation, a wrap-up."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from peerwork.auth import invites
from peerwork.extensions import db, get_dispatcher
from peerwork.matching import offers
from peerwork.models import (
    CheckIn,
    Conversation,
    Message,
    PeerProfile,
    SkillCard,
    TrainingModule,
)
from peerwork.training.curriculum import Question, install_default_curriculum
from tests import factories
from tests.sms_helpers import Phone

pytestmark = pytest.mark.committed


def snapshot(module) -> list[Question]:
    """The module's questions as plain values: read now, not after the server writes."""
    return [
        Question(q.prompt, tuple(q.choices), q.correct_index, q.explanation)
        for q in module.questions
    ]


def choose(page, questions, *, wrong: bool):
    """Tick the right (or a wrong) option of each question the page asks, by its text."""
    asked = []
    for question in questions:
        fieldset = page.locator("fieldset.question", has_text=question.prompt)
        if fieldset.count():
            index = question.correct_index
            if wrong:
                index = (index + 1) % len(question.choices)
            fieldset.get_by_label(question.choices[index], exact=True).check()
            asked.append(question)
    return asked


def test_a_volunteer_goes_from_invite_to_first_conversation(
    app, phone_page, live_server, make, session, shot
):
    page = phone_page
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    now = datetime.now(UTC)
    org = make.org("Acme Logistics")
    program = make.program(org, name="Acme Peer Line")
    install_default_curriculum(session, program_id=program.id, now=now)
    session.add(
        SkillCard(
            program_id=program.id,
            title="Box breathing",
            body="Try this: breathe in for 4, hold 4, out for 4, hold 4. Repeat 4 times.",
        )
    )
    issued = invites.issue(
        session,
        secret_key=app.config["SECRET_KEY"],
        organization_id=org.id,
        email="robin.baker@example.com",
        role="peer",
        now=now,
        max_age_seconds=3600,
        program_id=program.id,
    )
    session.commit()
    modules = session.scalars(
        select(TrainingModule)
        .where(TrainingModule.program_id == program.id)
        .order_by(TrainingModule.position)
    ).all()
    quizzes = {m.id: snapshot(m) for m in modules}
    session.commit()  # end the read transaction: the server thread writes next

    # 1. Accept the invite: name and password.
    page.goto(f"{live_server.url}/invite/{issued.token}")
    page.get_by_label("Your name").fill("Robin Baker")
    page.get_by_label("Choose a password").fill(factories.PASSWORD)
    page.get_by_label("Type it again").fill(factories.PASSWORD)
    page.get_by_role("button", name="Create account").click()

    # 2. Onboarding: a real name is refused with a hint; then a proper alias.
    page.wait_for_url(re.compile(r"/peer/onboarding$"))
    expect(page.get_by_role("heading", name="Set up your peer profile")).to_be_visible()
    page.get_by_label("Alias (the name texters see)").fill("Robin")
    page.get_by_label("Work stress").check()
    page.get_by_label("Anxiety").check()
    page.get_by_label("How many conversations").fill("2")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(day, exact=True).check()
        page.get_by_label(f"{day} from").fill("00:00")
        page.get_by_label(f"{day} until").fill("00:00")
    page.get_by_role("button", name="Save and start training").click()
    expect(page.get_by_text("That looks like your real name")).to_be_visible()
    shot(page, "peer-onboarding-real-name-refused")
    page.get_by_label("Alias (the name texters see)").fill("River")
    page.get_by_role("button", name="Save and start training").click()

    # 3. Training: progress bar, a lesson, a failed quiz that says why.
    page.wait_for_url(re.compile(r"/peer/training$"))
    expect(page.get_by_text(f"0 of {len(modules)}")).to_be_visible()
    shot(page, "peer-training-list")
    page.get_by_role("link", name=re.compile("What a peer supporter is")).click()
    expect(page.get_by_role("heading", name="What peer support is not")).to_be_visible()
    shot(page, "peer-lesson")
    page.get_by_role("link", name=re.compile("Take the quiz")).click()
    first = modules[0]
    asked = choose(page, quizzes[first.id], wrong=True)
    shot(page, "peer-quiz")
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Not passed yet: 0%")).to_be_visible()
    expect(page.get_by_text(asked[0].explanation)).to_be_visible()
    assert asked[0].choices[asked[0].correct_index] not in page.locator("main").inner_text()
    shot(page, "peer-quiz-failed")

    for module in modules:
        page.goto(f"{live_server.url}/peer/training/{module.id}/quiz")
        choose(page, quizzes[module.id], wrong=False)
        page.get_by_role("button", name="Submit answers").click()
        expect(page.get_by_role("heading", name="Passed: 100%")).to_be_visible()
    expect(page.get_by_text("You have finished your required training")).to_be_visible()
    shot(page, "peer-training-complete")

    # 4. The workspace: switch on.
    page.get_by_role("link", name="Go to your workspace").click()
    page.wait_for_url(re.compile(r"/peer/$"))
    switch = page.get_by_role("switch", name="Available now")
    assert switch.get_attribute("aria-checked") == "false"
    switch.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("switch", name="Available now").get_attribute("aria-checked") == "true"
    shot(page, "peer-available-no-offers")

    # 5. A texter asks for support; the offer appears without a reload.
    texter = make.texter(program, pseudonym="Texter Blue Heron")
    offers.open_request(
        session,
        program_id=program.id,
        texter_id=texter.id,
        topic_id=program.topics[0].id,
        now=datetime.now(UTC),
        dispatcher=get_dispatcher(app),
    )
    session.commit()
    accept = page.get_by_role("button", name="Accept")
    accept.wait_for(timeout=15_000)
    expect(page.get_by_text("Work stress").first).to_be_visible()
    assert re.match(r"^[0-2]:\d\d$", page.locator(".countdown").first.inner_text())
    shot(page, "peer-offer")
    accept.click()

    # 6. The conversation: the texter's message arrives live; reply; insert a skill card.
    page.wait_for_url(re.compile(r"/peer/conversations/\d+$"))
    conversation = session.scalar(select(Conversation).where(Conversation.texter_id == texter.id))
    session.add(
        Message(
            program_id=program.id,
            direction="inbound",
            author="texter",
            texter_id=texter.id,
            conversation_id=conversation.id,
            body="Hi. Deadlines keep moving and I can't sleep.",
            status="received",
            created_at=datetime.now(UTC),
        )
    )
    session.commit()
    page.get_by_text("Deadlines keep moving and I can't sleep.").wait_for(timeout=15_000)
    expect(page.get_by_role("heading", name="Texter Blue Heron")).to_be_visible()
    reply = page.get_by_label("Your reply")
    reply.fill("That sounds exhausting. How long has sleep been hard?")
    assert "1 SMS segment" in page.locator("#reply-counter").inner_text()
    page.get_by_role("button", name="Send").click()
    page.get_by_text("How long has sleep been hard?").wait_for()
    page.get_by_text("Insert a resource or coping skill").click()
    page.get_by_role("link", name="Box breathing").click()
    assert "breathe in for 4" in page.get_by_label("Your reply").input_value()
    shot(page, "peer-conversation")
    page.get_by_role("button", name="Send").click()

    # 7. End with a wrap-up.
    page.get_by_role("link", name="End conversation").click()
    page.get_by_label("We worked on a coping skill").check()
    page.get_by_label("In 3 days").check()
    shot(page, "peer-wrap-up")
    page.get_by_role("button", name="End conversation").click()
    expect(page.get_by_text("Conversation ended. Thank you for being there.")).to_be_visible()
    shot(page, "peer-after-wrap-up")

    session.expire_all()
    ended = session.get(Conversation, conversation.id)
    assert (ended.state, ended.outcome, ended.checkin_choice) == ("ended", "skills", "3d")
    replies = session.scalars(select(Message).where(Message.author == "peer")).all()
    assert len(replies) == 2
    profile = session.scalar(select(PeerProfile).where(PeerProfile.alias == "River"))
    assert profile.active_conversations == 0
    assert outside == []


def test_the_peer_reads_the_texters_first_words_and_wraps_up_after_done(
    app, client, phone_page, live_server, make, session, jobs, shot
):
    """On a phone: the offer quotes the texter, the thread starts with their first
    words, and when the texter texts DONE the peer is asked for the wrap-up."""
    page = phone_page
    program = make.program(name="Acme Peer Line", messages_per_second=30, checkin_default="1d")
    river = make.peer(program, alias="River", any_topic=True)
    email = river.user.email
    texter = Phone(client, program, "+17165550188", jobs)
    session.commit()

    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/peer/$"))

    # The texter's first text, then the topic in their own words.
    texter.sends("hi")
    texter.sends("my dad is in the hospital and I'm scared")
    accept = page.get_by_role("button", name="Accept")
    accept.wait_for(timeout=15_000)
    expect(page.locator(".offer-preview")).to_contain_text(
        "my dad is in the hospital and I'm scared"
    )
    shot(page, "peer-offer-preview")
    accept.click()

    page.wait_for_url(re.compile(r"/peer/conversations/\d+$"))
    thread = page.get_by_role("list", name="Messages")
    expect(thread).to_contain_text("my dad is in the hospital and I'm scared")
    expect(thread).to_contain_text("before the match")
    expect(thread).to_contain_text("You were matched")
    before = page.locator(".bubble.before-match")
    expect(before).to_have_count(2)
    expect(before.first).to_contain_text("hi")
    texter.sends("it's his heart")
    expect(thread).to_contain_text("it's his heart", timeout=15_000)
    shot(page, "peer-thread-first-words")

    # The texter ends it; the page turns to the wrap-up on its own.
    texter.sends("DONE")
    wrap_up = page.get_by_role("link", name="Wrap up")
    wrap_up.wait_for(timeout=15_000)
    expect(page.get_by_text("ended the conversation").first).to_be_visible()
    shot(page, "peer-texter-ended")
    page.get_by_role("link", name="Workspace", exact=True).click()
    page.wait_for_url(re.compile(r"/peer/$"))
    expect(page.get_by_role("heading", name=re.compile("Wrap up"))).to_be_visible()
    shot(page, "peer-workspace-wrap-up-due")
    page.get_by_role("link", name=re.compile("Wrap up the conversation")).click()
    expect(
        page.get_by_role("heading", name=re.compile("Wrap up your conversation"))
    ).to_be_visible()
    page.get_by_label("They felt heard").check()
    page.get_by_label("In 1 week").check()
    shot(page, "peer-wrap-up-after-done")
    page.get_by_role("button", name="Save wrap-up").click()
    expect(page.get_by_text("Wrap-up saved. Thank you for being there.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Wrap up"))).to_have_count(0)
    shot(page, "peer-after-wrap-up-after-done")

    session.expire_all()
    ended = session.scalar(select(Conversation))
    assert (ended.ended_by, ended.outcome, ended.checkin_choice) == ("texter", "listened", "1w")
    (checkin,) = session.scalars(select(CheckIn).where(CheckIn.conversation_id == ended.id))
    assert checkin.state == "scheduled"
    assert (checkin.due_at - ended.ended_at).days == 7


def test_an_offer_that_arrives_before_the_first_poll_still_shows(
    app, phone_page, live_server, make, session
):
    """The dashboard is built, then an offer arrives, then the page's first poll
    runs: the page must not take that first answer as the state it shows."""
    page = phone_page
    program = make.program(name="Acme Peer Line")
    river = make.peer(program, alias="River")
    email = river.user.email
    texter = make.texter(program)
    program_id, texter_id, topic_id = program.id, texter.id, program.topics[0].id
    session.commit()
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)

    polls: list[str] = []

    def offer_first(route):
        if not polls:
            with app.app_context():  # Playwright calls this from its own thread
                offers.open_request(
                    db.session,
                    program_id=program_id,
                    texter_id=texter_id,
                    topic_id=topic_id,
                    now=datetime.now(UTC),
                    dispatcher=get_dispatcher(app),
                )
                db.session.commit()
        polls.append(route.request.url)
        route.continue_()

    page.route("**/peer/poll.json", offer_first)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/peer/$"))
    page.get_by_role("button", name="Accept").wait_for(timeout=15_000)
    assert len(polls) == 1, "shown after the first poll, not a later one"
