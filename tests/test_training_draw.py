"""A quiz that gates: each attempt draws questions from a pool, shuffles the
options behind opaque ids, grades by id, and two failures in a row cost a pause."""

from __future__ import annotations

from datetime import timedelta

import pytest

from peerwork.training import grading
from peerwork.training.curriculum import DEFAULT_MODULES
from tests.helpers import (
    curriculum_program,
    program_modules,
    quiz_page,
    right_choice,
    take_quiz,
    wrong_choice,
)

SECRET = "test-secret"


@pytest.fixture
def program(make, session, now):
    return curriculum_program(make, session, now)


@pytest.fixture
def modules(session, program):
    return program_modules(session, program)


@pytest.fixture
def trainee(make, program):
    return make.peer(program, certified=False, available=False)


def positions_of_right_option(draw, module):
    by_id = {q.id: q for q in module.questions}
    return {
        q.question_id: [o.index for o in q.options].index(by_id[q.question_id].correct_index)
        for q in draw.questions
    }


def test_options_come_in_a_different_order_on_each_attempt(modules, trainee):
    module = modules[1]
    draws = [
        grading.draw_quiz(module, peer_profile_id=trainee.id, secret=SECRET, seed=f"s{i}")
        for i in range(6)
    ]
    orders = {tuple(tuple(o.index for o in q.options) for q in d.questions) for d in draws}
    assert len(orders) == len(draws)
    # Where the right option sits says nothing: across attempts it moves about.
    spots = [p for d in draws for p in positions_of_right_option(d, module).values()]
    assert len(set(spots)) >= 3
    # Option ids differ per attempt and do not reveal the authored position.
    ids = [o.id for d in draws for q in d.questions for o in q.options]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 16 and not i.isdigit() for i in ids)


def test_grading_goes_by_option_id_whatever_the_order(modules, trainee):
    module = modules[1]
    by_id = {q.id: q for q in module.questions}
    for seed in ("a", "b", "c"):
        draw = grading.draw_quiz(module, peer_profile_id=trainee.id, secret=SECRET, seed=seed)
        submitted = {
            q.field: next(o.id for o in q.options if o.index == by_id[q.question_id].correct_index)
            for q in draw.questions
        }
        result = grading.grade(module, draw.chosen(submitted))
        assert (result.score, result.passed) == (100, True)
        # The first option on the page is not the answer, however often it is picked.
        first_shown = {q.field: q.options[0].id for q in draw.questions}
        expected = sum(
            q.options[0].index == by_id[q.question_id].correct_index for q in draw.questions
        )
        assert grading.grade(module, draw.chosen(first_shown)).score == round(
            100 * expected / len(draw.questions)
        )


def test_an_option_id_from_another_attempt_counts_as_no_answer(modules, trainee):
    module = modules[1]
    one = grading.draw_quiz(module, peer_profile_id=trainee.id, secret=SECRET, seed="one")
    two = grading.draw_quiz(module, peer_profile_id=trainee.id, secret=SECRET, seed="two")
    foreign = {q.field: q.options[0].id for q in two.questions}
    assert set(one.chosen(foreign).values()) == {None}


def test_the_default_curriculum_has_a_pool_bigger_than_one_attempt():
    for spec in DEFAULT_MODULES:
        assert len(spec.questions) > grading.QUESTIONS_PER_ATTEMPT, spec.slug


def test_each_attempt_draws_a_subset_of_the_pool(modules, trainee):
    module = modules[0]
    pool = {q.id for q in module.questions}
    drawn = [
        {
            q.question_id
            for q in grading.draw_quiz(
                module, peer_profile_id=trainee.id, secret=SECRET, seed=str(i)
            ).questions
        }
        for i in range(12)
    ]
    assert all(len(d) == grading.QUESTIONS_PER_ATTEMPT and d < pool for d in drawn)
    assert len({frozenset(d) for d in drawn}) > 1, "attempts differ"
    assert set().union(*drawn) == pool, "over a few attempts every question comes up"


def test_a_small_pool_is_asked_whole(session, make, program, modules, trainee):
    module = modules[0]
    for question in module.questions[3:]:
        session.delete(question)
    session.flush()
    session.refresh(module)
    draw = grading.draw_quiz(module, peer_profile_id=trainee.id, secret=SECRET)
    assert {q.question_id for q in draw.questions} == {q.id for q in module.questions}
    with pytest.raises(grading.QuizError, match="whole quiz"):
        grading.grade(module, {module.questions[0].id: 0})


def test_a_draw_is_signed_for_one_peer_and_module(make, program, modules, trainee):
    draw = grading.draw_quiz(modules[0], peer_profile_id=trainee.id, secret=SECRET)
    assert grading.load_draw(
        modules[0], token=draw.token, peer_profile_id=trainee.id, secret=SECRET
    ).questions == (draw.questions)
    other = make.peer(program, certified=False)
    for module, peer_id, secret in (
        (modules[0], other.id, SECRET),
        (modules[1], trainee.id, SECRET),
        (modules[0], trainee.id, "another-secret"),
    ):
        with pytest.raises(grading.QuizError):
            grading.load_draw(module, token=draw.token, peer_profile_id=peer_id, secret=secret)


def submit(session, module, peer, now, pick, seed=None):
    answers = {
        q.id: pick(q) for q in module.questions[: grading.attempt_size(len(module.questions))]
    }
    return grading.submit_quiz(
        session,
        module_id=module.id,
        peer_profile_id=peer.id,
        answers=answers,
        now=now,
        draw_seed=seed,
    )


def test_two_failures_in_a_row_start_a_cooldown_that_ends_on_time(session, modules, trainee, now):
    module = modules[0]
    submit(session, module, trainee, now, wrong_choice)
    assert (
        grading.cooldown_until(session, module=module, peer_profile_id=trainee.id, now=now) is None
    )
    second = now + timedelta(minutes=1)
    submit(session, module, trainee, second, wrong_choice)
    ends = second + grading.COOLDOWN
    just_before = ends - timedelta(seconds=1)
    assert (
        grading.cooldown_until(session, module=module, peer_profile_id=trainee.id, now=just_before)
        == ends
    )
    with pytest.raises(grading.QuizError, match="short break"):
        submit(session, module, trainee, just_before, right_choice)
    assert (
        grading.cooldown_until(session, module=module, peer_profile_id=trainee.id, now=ends) is None
    )
    _, result = submit(session, module, trainee, ends, right_choice)
    assert result.passed


def test_a_pass_between_failures_resets_the_count(session, modules, trainee, now):
    module = modules[0]
    submit(session, module, trainee, now, wrong_choice)
    submit(session, module, trainee, now + timedelta(minutes=1), right_choice)
    submit(session, module, trainee, now + timedelta(minutes=2), wrong_choice)
    assert (
        grading.cooldown_until(
            session, module=module, peer_profile_id=trainee.id, now=now + timedelta(minutes=2)
        )
        is None
    )


def test_the_same_quiz_page_counts_once(session, modules, trainee, now):
    module = modules[0]
    submit(session, module, trainee, now, wrong_choice, seed="page-1")
    with pytest.raises(grading.QuizError, match="already submitted"):
        submit(session, module, trainee, now, right_choice, seed="page-1")


def test_the_quiz_page_waits_out_the_cooldown(client, session, modules, trainee, travel):
    client.login(trainee.user)
    module = modules[0]
    take_quiz(client, module, wrong_choice)
    second = take_quiz(client, module, wrong_choice).get_data(as_text=True)
    assert "Take a short break before the next try" in second
    assert "Try the quiz again" not in second
    assert "try again at <strong>10:15</strong> (in 15 minutes)" in second  # New York time
    waiting = client.get(f"/peer/training/{module.id}/quiz").get_data(as_text=True)
    assert "Take a short break" in waiting and 'name="draw"' not in waiting
    travel.shift(grading.COOLDOWN - timedelta(seconds=1))
    assert "in 1 minute)" in client.get(f"/peer/training/{module.id}/quiz").get_data(as_text=True)
    travel.shift(timedelta(seconds=1))
    draw, shown = quiz_page(client, module)
    assert draw and len(shown) == grading.QUESTIONS_PER_ATTEMPT
    passed = take_quiz(client, module, right_choice).get_data(as_text=True)
    assert "Passed: 100%" in passed


def test_resubmitting_a_page_is_refused_kindly(client, modules, trainee):
    client.login(trainee.user)
    module = modules[0]
    draw, shown = quiz_page(client, module)
    form = {"draw": draw, **{f"q{qid}": next(iter(opts)) for qid, opts in shown.items()}}
    client.post_form(f"/peer/training/{module.id}/quiz", form)
    again = client.post_form(f"/peer/training/{module.id}/quiz", form, follow_redirects=True)
    assert "These answers were already submitted. Here is a fresh quiz." in again.get_data(
        as_text=True
    )
