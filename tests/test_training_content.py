"""The shipped curriculum: complete, answerable, and copied into a program intact."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from peerwork.models import TrainingModule
from peerwork.training.curriculum import DEFAULT_MODULES, install_default_curriculum
from peerwork.training.grading import QUESTIONS_PER_ATTEMPT
from peerwork.training.lessons import render_lesson

ISSUE_TOPICS = {
    "what-a-peer-supporter-is",
    "active-listening",
    "sharing-your-story",
    "coping-skills",
    "connecting-with-resources",
    "crisis-protocol",
    "crisis-plans-and-roadmaps",
    "boundaries-and-self-care",
    "anonymity-and-confidentiality",
}


def test_the_curriculum_covers_every_topic_the_program_promises():
    assert {m.slug for m in DEFAULT_MODULES} >= ISSUE_TOPICS
    assert len({m.slug for m in DEFAULT_MODULES}) == len(DEFAULT_MODULES)


@pytest.mark.parametrize("spec", DEFAULT_MODULES, ids=lambda m: m.slug)
def test_every_module_has_a_real_lesson_and_a_quiz(spec):
    lesson = spec.lesson_md
    assert len(lesson.split()) >= 150, "a lesson is several paragraphs"
    assert lesson.count("\n\n") >= 4
    assert len(spec.questions) > QUESTIONS_PER_ATTEMPT, "a pool bigger than one attempt"
    assert 1 <= spec.pass_mark <= 100


@pytest.mark.parametrize("spec", DEFAULT_MODULES, ids=lambda m: m.slug)
def test_every_question_has_exactly_one_right_answer(spec):
    for question in spec.questions:
        assert len(question.choices) >= 3, question.prompt
        assert len(set(question.choices)) == len(question.choices), "choices are unique"
        assert 0 <= question.correct_index < len(question.choices)
        assert question.explanation.strip(), "each answer is explained"
        assert question.prompt.strip().endswith(("?", ":", ".")), question.prompt
        right = question.choices[question.correct_index].lower().rstrip(".")
        assert right not in question.explanation.lower(), "the explanation gives the principle"
    prompts = [q.prompt for q in spec.questions]
    assert len(set(prompts)) == len(prompts)


def test_the_crisis_module_teaches_the_protocol():
    crisis = next(m for m in DEFAULT_MODULES if m.slug == "crisis-protocol")
    for must in ("988", "HOME", "741741", "911", "supervisor"):
        assert must in crisis.lesson_md
    first = next(m for m in DEFAULT_MODULES if m.slug == "what-a-peer-supporter-is")
    assert "never replaces it" in first.lesson_md
    assert "1 in 4" in first.lesson_md
    resources = next(m for m in DEFAULT_MODULES if m.slug == "connecting-with-resources")
    for org in ("Finger Lakes Community Action", "AspireHope", "Venture Forthe", "Compeer"):
        assert org in resources.lesson_md
    assert "Mental Health America" in resources.lesson_md


def test_installing_copies_every_module_once(session, make, now):
    program = make.program()
    created = install_default_curriculum(session, program_id=program.id, now=now)
    again = install_default_curriculum(session, program_id=program.id, now=now)
    modules = session.scalars(
        select(TrainingModule)
        .where(TrainingModule.program_id == program.id)
        .order_by(TrainingModule.position)
    ).all()
    assert len(created) == len(DEFAULT_MODULES) and again == []
    assert [m.slug for m in modules] == [m.slug for m in DEFAULT_MODULES]
    assert all(m.required and m.version == 1 and m.version_published_at == now for m in modules)
    assert [len(m.questions) for m in modules] == [len(s.questions) for s in DEFAULT_MODULES]


def test_lessons_render_without_raw_html_or_script_links():
    html = render_lesson("# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) *ok*")
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "<h2>Title</h2>" in html and "<em>ok</em>" in html
    for spec in DEFAULT_MODULES:
        assert "<h2>" in render_lesson(spec.lesson_md)
