"""Grading a quiz attempt, with feedback that explains every wrong answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from peerwork.models import PeerProfile, TrainingAttempt, TrainingModule


class QuizError(ValueError):
    """A quiz that cannot be taken or submitted; the message is safe to show."""


@dataclass(frozen=True)
class QuestionFeedback:
    number: int
    prompt: str
    chosen: str | None
    right_answer: str
    correct: bool
    explanation: str

    @property
    def why(self) -> str:
        """A sentence a peer reads after a wrong answer."""
        if self.correct:
            return self.explanation
        picked = f'You chose "{self.chosen}". ' if self.chosen else "You did not answer. "
        return f'{picked}The right answer is "{self.right_answer}". {self.explanation}'.strip()


@dataclass(frozen=True)
class QuizResult:
    score: int  # percent
    passed: bool
    pass_mark: int
    feedback: tuple[QuestionFeedback, ...]

    @property
    def wrong(self) -> tuple[QuestionFeedback, ...]:
        return tuple(f for f in self.feedback if not f.correct)


def grade(module: TrainingModule, answers: list[int | None]) -> QuizResult:
    """Score `answers` (a choice index per question, None if unanswered) against `module`."""
    questions = list(module.questions)
    if not questions:
        raise QuizError("This module has no quiz yet.")
    feedback = []
    right = 0
    for number, question in enumerate(questions, start=1):
        chosen = answers[number - 1] if number - 1 < len(answers) else None
        valid = chosen is not None and 0 <= chosen < len(question.choices)
        correct = valid and chosen == question.correct_index
        right += int(correct)
        feedback.append(
            QuestionFeedback(
                number=number,
                prompt=question.prompt,
                chosen=question.choices[chosen] if valid else None,
                right_answer=question.choices[question.correct_index],
                correct=correct,
                explanation=question.explanation,
            )
        )
    score = round(100 * right / len(questions))
    return QuizResult(score, score >= module.pass_mark, module.pass_mark, tuple(feedback))


def submit_quiz(
    session: Session,
    *,
    module_id: int,
    peer_profile_id: int,
    answers: list[int | None],
    now: datetime,
) -> tuple[TrainingAttempt, QuizResult]:
    """Grade and record an attempt at the module's current version."""
    profile = session.get(PeerProfile, peer_profile_id)
    module = session.get(TrainingModule, module_id)
    if (
        profile is None
        or module is None
        or module.program_id != profile.program_id
        or module.retired_at is not None
    ):
        raise QuizError("That module is not part of your training.")
    result = grade(module, answers)
    attempt = TrainingAttempt(
        module_id=module.id,
        peer_profile_id=profile.id,
        module_version=module.version,
        score=result.score,
        passed=result.passed,
        answers=[a if a is not None else -1 for a in answers],
        created_at=now,
    )
    session.add(attempt)
    session.flush()
    return attempt, result
