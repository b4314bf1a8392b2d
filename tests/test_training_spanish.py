"""The default curriculum's Spanish version: every module, every question, grading alike."""

from __future__ import annotations

import pytest
from markupsafe import escape

from peerwork.training.curriculum import DEFAULT_MODULES
from peerwork.training.spanish import SPANISH_MODULES, spanish_version

ENGLISH_ONLY = (" the ", " you ", " and ", " with ", " what ")


def test_every_default_module_has_a_spanish_version():
    assert set(SPANISH_MODULES) == {spec.slug for spec in DEFAULT_MODULES}


@pytest.mark.parametrize("spec", DEFAULT_MODULES, ids=lambda s: s.slug)
def test_spanish_quiz_grades_like_the_english_one(spec):
    title, lesson, questions = spanish_version(spec)
    assert title and title != spec.title
    assert len(questions) == len(spec.questions)
    for english, spanish in zip(spec.questions, questions, strict=True):
        assert len(spanish.choices) == len(english.choices), spanish.prompt
        assert spanish.correct_index == english.correct_index, spanish.prompt
        assert spanish.explanation and spanish.prompt != english.prompt
    # A lesson of its own, written in Spanish (headings, and no English left in it).
    assert lesson.startswith("## ") and len(lesson.split()) > 80
    lowered = f" {lesson.lower()} "
    assert not [w for w in ENGLISH_ONLY if w in lowered], spec.slug


def test_the_spanish_crisis_lesson_gives_the_spanish_lines():
    (crisis,) = [s for s in DEFAULT_MODULES if s.slug == "crisis-protocol"]
    lesson = spanish_version(crisis)[1]
    assert "988" in lesson and "oprimir 2" in lesson and "AYUDA" in lesson and "911" in lesson


def test_a_peer_reading_in_spanish_gets_the_spanish_lesson_and_quiz(client, make, session, now):
    from peerwork.models import TrainingModule
    from peerwork.training.curriculum import install_default_curriculum

    program = make.program(name="Acme Peer Line")
    install_default_curriculum(session, program_id=program.id, now=now)
    peer = make.peer(program, alias="Rosa", certified=False)
    peer.user.locale = "es"
    modules = {
        m.slug: m for m in session.query(TrainingModule).filter_by(program_id=program.id).all()
    }
    edited = modules["active-listening"]
    edited.lesson_md = "## Our own lesson\n\nWritten by the admin."
    crisis_id, edited_id = modules["crisis-protocol"].id, edited.id
    session.commit()
    client.login(peer.user)

    lesson = client.get(f"/peer/training/{crisis_id}").get_data(as_text=True)
    assert "Reconocer una crisis y el protocolo de crisis" in lesson
    assert "oprimir 2" in lesson
    # A draw of five from the pool, every prompt and option in Spanish, none in English.
    quiz = client.get(f"/peer/training/{crisis_id}/quiz").get_data(as_text=True)
    (spec,) = [s for s in DEFAULT_MODULES if s.slug == "crisis-protocol"]
    spanish = spanish_version(spec)[2]
    shown = [q for q in spanish if escape(q.prompt) in quiz]
    assert len(shown) == 5
    assert all(escape(choice) in quiz for q in shown for choice in q.choices)
    assert not [q for q in spec.questions if escape(q.prompt) in quiz]
    assert not [c for q in spec.questions for c in q.choices if f"<span>{escape(c)}</span>" in quiz]
    # An admin's own wording is shown as written.
    own = client.get(f"/peer/training/{edited_id}").get_data(as_text=True)
    assert "Written by the admin." in own and "Escucha activa" not in own
