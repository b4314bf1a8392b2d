"""Admin authoring: edit modules and quizzes, add modules, publish the training and
new versions.

Saved edits show to peers at once (typo fixes need no re-training). Publishing
a new version is the deliberate act that asks peers to re-pass a required
module: the previous version keeps counting until the grace period ends.
Publishing the training itself (once, before launch) bumps no version.
Every function writes an audit event and leaves the commit to the caller.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peerwork import audit
from peerwork.models import Program, TrainingModule, TrainingQuestion

MAX_GRACE_DAYS = 90


class AuthoringError(ValueError):
    """An edit that would leave a module unusable; the message is safe to show."""


def module_problems(module: TrainingModule) -> list[str]:
    """What keeps a module from being taken: no lesson, no quiz, a malformed question."""
    problems = []
    if not (module.lesson_md or "").strip():
        problems.append("The lesson is empty.")
    if not module.questions:
        problems.append("The quiz has no questions.")
    for number, question in enumerate(module.questions, start=1):
        problems.extend(
            f"Question {number}: {p}"
            for p in question_problems(question.choices, question.correct_index)
        )
    return problems


def question_problems(choices: list[str], correct_index: int) -> list[str]:
    """A question needs 2+ distinct, non-empty choices and exactly one right answer."""
    problems = []
    if len(choices) < 2:
        problems.append("Give at least two choices.")
    if any(not c.strip() for c in choices):
        problems.append("A choice is empty.")
    if len({c.strip().lower() for c in choices}) != len(choices):
        problems.append("Two choices are the same, so more than one could be right.")
    if not 0 <= correct_index < len(choices):
        problems.append("Pick which choice is the right answer.")
    return problems


def _audit(session, module: TrainingModule, action: str, now: datetime, actor, **details):
    program = session.get(Program, module.program_id)
    audit.record(
        session,
        organization_id=program.organization_id,
        program_id=program.id,
        action=action,
        now=now,
        actor=actor,
        object_type="training_module",
        object_id=module.id,
        details={"slug": module.slug, "version": module.version, **details},
    )


def _slug(session: Session, program_id: int, title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "module"
    taken = set(
        session.scalars(
            select(TrainingModule.slug).where(TrainingModule.program_id == program_id)
        ).all()
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def add_module(
    session: Session, *, program_id: int, title: str, lesson_md: str, now: datetime, actor
) -> TrainingModule:
    """A new, optional module at the end of the curriculum (required once it has a quiz)."""
    title = title.strip()
    if not title:
        raise AuthoringError("Give the module a title.")
    last = session.scalar(
        select(func.max(TrainingModule.position)).where(TrainingModule.program_id == program_id)
    )
    module = TrainingModule(
        program_id=program_id,
        slug=_slug(session, program_id, title),
        title=title,
        lesson_md=lesson_md.strip(),
        position=(last or 0) + 1,
        required=False,
        version=1,
        version_published_at=now,
        created_at=now,
    )
    session.add(module)
    session.flush()
    _audit(session, module, "training.module_added", now, actor)
    return module


def update_module(
    session: Session,
    *,
    module: TrainingModule,
    title: str,
    lesson_md: str,
    pass_mark: int,
    required: bool,
    now: datetime,
    actor,
) -> TrainingModule:
    """Save the lesson and settings; a required module must be takeable."""
    if not title.strip():
        raise AuthoringError("Give the module a title.")
    if not lesson_md.strip():
        raise AuthoringError("The lesson cannot be empty.")
    if not 1 <= pass_mark <= 100:
        raise AuthoringError("The pass mark is a percentage from 1 to 100.")
    if required and not module.questions:
        raise AuthoringError("Add at least one quiz question before making this module required.")
    content_changed = title.strip() != module.title or lesson_md.strip() != module.lesson_md.strip()
    module.title = title.strip()
    module.lesson_md = lesson_md.strip()
    module.pass_mark = pass_mark
    module.required = required
    if content_changed:
        module.has_draft_changes = True
    session.flush()
    _audit(
        session,
        module,
        "training.module_updated",
        now,
        actor,
        required=required,
        pass_mark=pass_mark,
    )
    return module


def save_question(
    session: Session,
    *,
    module: TrainingModule,
    prompt: str,
    choices: list[str],
    correct_index: int,
    explanation: str,
    now: datetime,
    actor,
    question_id: int | None = None,
) -> TrainingQuestion:
    """Add a question, or change one of this module's questions."""
    choices = [c.strip() for c in choices if c.strip()]
    if not prompt.strip():
        raise AuthoringError("Write the question.")
    problems = question_problems(choices, correct_index)
    if problems:
        raise AuthoringError(" ".join(problems))
    if question_id is None:
        question = TrainingQuestion(position=len(module.questions))
        module.questions.append(question)
    else:
        question = next((q for q in module.questions if q.id == question_id), None)
        if question is None:
            raise AuthoringError("That question is not part of this module.")
    question.prompt = prompt.strip()
    question.choices = choices
    question.correct_index = correct_index
    question.explanation = explanation.strip()
    module.has_draft_changes = True
    session.flush()
    _audit(session, module, "training.question_saved", now, actor, question_id=question.id)
    return question


def delete_question(
    session: Session, *, module: TrainingModule, question_id: int, now: datetime, actor
) -> None:
    """Remove a question; a required module keeps at least one."""
    question = next((q for q in module.questions if q.id == question_id), None)
    if question is None:
        raise AuthoringError("That question is not part of this module.")
    if module.required and len(module.questions) == 1:
        raise AuthoringError("A required module needs at least one question.")
    module.questions.remove(question)
    for position, remaining in enumerate(module.questions):
        remaining.position = position
    module.has_draft_changes = True
    session.flush()
    _audit(session, module, "training.question_deleted", now, actor, question_id=question_id)


def publish_version(
    session: Session, *, module: TrainingModule, grace_days: int, now: datetime, actor
) -> TrainingModule:
    """Bump the version: peers re-pass it; the old pass counts for `grace_days` more."""
    if not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise AuthoringError(f"The grace period is 0 to {MAX_GRACE_DAYS} days.")
    problems = module_problems(module)
    if problems:
        raise AuthoringError(" ".join(problems))
    module.version += 1
    module.version_published_at = now
    module.previous_version_valid_until = now + timedelta(days=grace_days)
    module.has_draft_changes = False
    program = session.get(Program, module.program_id)
    program.training_published_at = now
    session.flush()
    _audit(session, module, "training.version_published", now, actor, grace_days=grace_days)
    return module


def publish_training(session: Session, *, program_id: int, now: datetime, actor) -> bool:
    """Publish the curriculum as it stands, without new versions; False if already published.

    Refused while no required module has a quiz, or a required module cannot be
    completed: certification would then be impossible or meaningless.
    """
    # Locked so two admins clicking at once publish (and audit) once.
    program = session.scalar(
        select(Program)
        .where(Program.id == program_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if program.training_published_at is not None:
        return False
    modules = session.scalars(
        select(TrainingModule)
        .where(TrainingModule.program_id == program_id, TrainingModule.retired_at.is_(None))
        .order_by(TrainingModule.position)
    ).all()
    required = [m for m in modules if m.required]
    if not any(m.questions for m in required):
        raise AuthoringError(
            "Make at least one module with a quiz required before publishing the training."
        )
    unfinished = [m.title for m in required if module_problems(m)]
    if unfinished:
        raise AuthoringError(
            "Finish these required modules before publishing: " + ", ".join(unfinished) + "."
        )
    for module in modules:
        # Version 1 of a module is "published" with the curriculum: nobody re-passes.
        if module.version_published_at is None:
            module.version_published_at = now
    program.training_published_at = now
    session.flush()
    audit.record(
        session,
        organization_id=program.organization_id,
        program_id=program.id,
        action="training.published",
        now=now,
        actor=actor,
        object_type="program",
        object_id=program.id,
        details={"required_modules": len(required)},
    )
    return True


def retire_module(session: Session, *, module: TrainingModule, now: datetime, actor) -> None:
    """Take a module out of the curriculum (it no longer counts for certification)."""
    module.retired_at = now
    session.flush()
    _audit(session, module, "training.module_retired", now, actor)


def restore_module(session: Session, *, module: TrainingModule, now: datetime, actor) -> None:
    """Put a retired module back."""
    module.retired_at = None
    session.flush()
    _audit(session, module, "training.module_restored", now, actor)
