"""Taking a quiz: drawing an attempt, grading it, and the cool-down after failures.

Passing must mean understanding, so a quiz gives nothing away to guessing:

- Each attempt is a *draw*: up to `QUESTIONS_PER_ATTEMPT` questions picked
  from the module's pool, each with its options in a fresh order. Options
  carry opaque ids (a keyed hash of the draw, the question and the choice),
  so neither a position on the page nor a value in the HTML says which one is
  right; grading maps the ids back on the server. A draw is signed and counts
  once: submitting the same page twice is refused.
- Feedback after an attempt names the questions answered wrongly and gives
  the principle behind each (the explanation), never the right option.
- Two failed attempts in a row start a cool-down (`COOLDOWN`) before the next
  one, long enough to re-read the lesson rather than cycle through options.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork.models import PeerProfile, TrainingAttempt, TrainingModule, TrainingQuestion

QUESTIONS_PER_ATTEMPT = 5
COOLDOWN = timedelta(minutes=15)
FAILS_BEFORE_COOLDOWN = 2
_SALT = "peerwork.quiz-draw"


class QuizError(ValueError):
    """A quiz that cannot be taken or submitted; the message is safe to show."""


def attempt_size(pool: int) -> int:
    """How many questions one attempt asks from a pool of `pool` questions."""
    return min(pool, QUESTIONS_PER_ATTEMPT)


# -- drawing an attempt --------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    id: str  # opaque, differs per draw
    text: str
    index: int  # the choice's place in the question as authored; never rendered


@dataclass(frozen=True)
class DrawnQuestion:
    question_id: int
    prompt: str
    options: tuple[Option, ...]

    @property
    def field(self) -> str:
        return f"q{self.question_id}"

    def chosen_index(self, option_id: str | None) -> int | None:
        """The authored index of the option with `option_id`; None if it is not one of these."""
        return next((o.index for o in self.options if option_id and o.id == option_id), None)


@dataclass(frozen=True)
class Draw:
    token: str
    seed: str
    questions: tuple[DrawnQuestion, ...]

    def chosen(self, submitted: Mapping[str, str]) -> dict[int, int | None]:
        """Question id -> authored choice index, read from the submitted option ids."""
        return {q.question_id: q.chosen_index(submitted.get(q.field)) for q in self.questions}


def _option_id(secret: str, seed: str, question_id: int, index: int) -> str:
    message = f"{seed}:{question_id}:{index}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:16]


def _build(module: TrainingModule, question_ids: list[int], seed: str, secret: str, token: str):
    by_id = {q.id: q for q in module.questions}
    if any(qid not in by_id for qid in question_ids):
        raise QuizError("This quiz was updated while you were taking it. Please take it again.")
    drawn = []
    for qid in question_ids:
        question: TrainingQuestion = by_id[qid]
        order = list(range(len(question.choices)))
        random.Random(f"{seed}:{qid}").shuffle(order)
        options = tuple(
            Option(_option_id(secret, seed, qid, i), question.choices[i], i) for i in order
        )
        drawn.append(DrawnQuestion(qid, question.prompt, options))
    return Draw(token=token, seed=seed, questions=tuple(drawn))


def draw_quiz(
    module: TrainingModule, *, peer_profile_id: int, secret: str, seed: str | None = None
) -> Draw:
    """A fresh attempt: a subset of the pool in random order, options shuffled."""
    pool = [q.id for q in module.questions]
    if not pool:
        raise QuizError("This module has no quiz yet.")
    seed = seed or secrets.token_hex(8)
    question_ids = random.Random(seed).sample(pool, attempt_size(len(pool)))
    token = URLSafeSerializer(secret, salt=_SALT).dumps(
        {"m": module.id, "v": module.version, "p": peer_profile_id, "s": seed, "q": question_ids}
    )
    return _build(module, question_ids, seed, secret, token)


def load_draw(module: TrainingModule, *, token: str, peer_profile_id: int, secret: str) -> Draw:
    """The draw a submitted quiz page was made from; QuizError if it is not this peer's."""
    try:
        data = URLSafeSerializer(secret, salt=_SALT).loads(token or "")
    except BadSignature:
        raise QuizError("That quiz page is not valid any more. Please take it again.") from None
    if data.get("m") != module.id or data.get("p") != peer_profile_id:
        raise QuizError("That quiz page is not valid any more. Please take it again.")
    if data.get("v") != module.version:
        raise QuizError("This module was updated while you were taking it. Please take it again.")
    return _build(module, list(data["q"]), str(data["s"]), secret, token)


# -- grading -------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFeedback:
    number: int
    prompt: str
    chosen: str | None
    correct: bool
    explanation: str

    @property
    def why(self) -> str:
        """What a peer reads under a question: the principle, never the right option."""
        if self.correct:
            return self.explanation
        picked = f'You chose "{self.chosen}". ' if self.chosen else "You did not answer. "
        return f"{picked}{self.explanation}".strip()


@dataclass(frozen=True)
class QuizResult:
    score: int  # percent
    passed: bool
    pass_mark: int
    feedback: tuple[QuestionFeedback, ...]

    @property
    def wrong(self) -> tuple[QuestionFeedback, ...]:
        return tuple(f for f in self.feedback if not f.correct)


def grade(module: TrainingModule, chosen: Mapping[int, int | None]) -> QuizResult:
    """Score `chosen` (question id -> authored choice index, None if unanswered)."""
    by_id = {q.id: q for q in module.questions}
    if not by_id:
        raise QuizError("This module has no quiz yet.")
    if any(qid not in by_id for qid in chosen):
        raise QuizError("This quiz was updated while you were taking it. Please take it again.")
    if len(chosen) < attempt_size(len(by_id)):
        raise QuizError("Please take the whole quiz.")
    feedback = []
    right = 0
    for number, (qid, index) in enumerate(chosen.items(), start=1):
        question = by_id[qid]
        valid = index is not None and 0 <= index < len(question.choices)
        correct = valid and index == question.correct_index
        right += int(correct)
        feedback.append(
            QuestionFeedback(
                number=number,
                prompt=question.prompt,
                chosen=question.choices[index] if valid else None,
                correct=correct,
                explanation=question.explanation,
            )
        )
    score = round(100 * right / len(chosen))
    return QuizResult(score, score >= module.pass_mark, module.pass_mark, tuple(feedback))


# -- attempts and the cool-down ------------------------------------------------------


def _recent_attempts(session: Session, *, module: TrainingModule, peer_profile_id: int, limit):
    return session.scalars(
        select(TrainingAttempt)
        .where(
            TrainingAttempt.module_id == module.id,
            TrainingAttempt.peer_profile_id == peer_profile_id,
            TrainingAttempt.module_version == module.version,
        )
        .order_by(TrainingAttempt.created_at.desc(), TrainingAttempt.id.desc())
        .limit(limit)
    ).all()


def cooldown_until(
    session: Session, *, module: TrainingModule, peer_profile_id: int, now: datetime
) -> datetime | None:
    """When the peer may take the quiz again, if the last two attempts failed; else None."""
    recent = _recent_attempts(
        session, module=module, peer_profile_id=peer_profile_id, limit=FAILS_BEFORE_COOLDOWN
    )
    if len(recent) < FAILS_BEFORE_COOLDOWN or any(a.passed for a in recent):
        return None
    until = recent[0].created_at + COOLDOWN
    return until if now < until else None


def _draw_used(session: Session, *, module: TrainingModule, peer_profile_id: int, seed: str):
    attempts = _recent_attempts(session, module=module, peer_profile_id=peer_profile_id, limit=50)
    return any(isinstance(a.answers, dict) and a.answers.get("draw") == seed for a in attempts)


def submit_quiz(
    session: Session,
    *,
    module_id: int,
    peer_profile_id: int,
    answers: Mapping[int, int | None],
    now: datetime,
    draw_seed: str | None = None,
) -> tuple[TrainingAttempt, QuizResult]:
    """Grade and record an attempt at the module's current version.

    `answers` maps each asked question's id to the authored index of the
    chosen option (None: unanswered). Refused during a cool-down, and for a
    draw (`draw_seed`) that was already submitted once.
    """
    profile = session.get(PeerProfile, peer_profile_id)
    module = session.get(TrainingModule, module_id)
    if (
        profile is None
        or module is None
        or module.program_id != profile.program_id
        or module.retired_at is not None
    ):
        raise QuizError("That module is not part of your training.")
    until = cooldown_until(session, module=module, peer_profile_id=profile.id, now=now)
    if until is not None:
        raise QuizError("Please take a short break before trying this quiz again.")
    if draw_seed and _draw_used(session, module=module, peer_profile_id=profile.id, seed=draw_seed):
        raise QuizError("These answers were already submitted. Here is a fresh quiz.")
    result = grade(module, answers)
    attempt = TrainingAttempt(
        module_id=module.id,
        peer_profile_id=profile.id,
        module_version=module.version,
        score=result.score,
        passed=result.passed,
        answers={
            "draw": draw_seed,
            "chosen": [[qid, -1 if index is None else index] for qid, index in answers.items()],
        },
        created_at=now,
    )
    session.add(attempt)
    session.flush()
    return attempt, result
