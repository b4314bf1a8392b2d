"""Set-up steps several test modules share: a curriculum program, a live conversation."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from peerwork.extensions import db, get_vault
from peerwork.matching import offers
from peerwork.models import (
    Conversation,
    EscalationContact,
    Message,
    Offer,
    SupportRequest,
    TrainingModule,
)
from peerwork.training.curriculum import install_default_curriculum


def curriculum_program(make, session, now):
    """A program with the default training curriculum installed."""
    program = make.program()
    install_default_curriculum(session, program_id=program.id, now=now)
    return program


def program_modules(session, program) -> list[TrainingModule]:
    """The program's training modules, in course order."""
    return session.scalars(
        select(TrainingModule)
        .where(TrainingModule.program_id == program.id)
        .order_by(TrainingModule.position)
    ).all()


def start_conversation(session, make, program, peer, now, *, phone=None, pseudonym=None):
    """A connected texter in an active conversation with `peer` on the program's first topic."""
    texter = make.texter(program, phone, pseudonym=pseudonym, state="connected")
    request = SupportRequest(
        program_id=program.id, texter_id=texter.id, state="matched", created_at=now, matched_at=now
    )
    session.add(request)
    session.flush()
    conversation = Conversation(
        program_id=program.id,
        request_id=request.id,
        texter_id=texter.id,
        peer_profile_id=peer.id,
        topic_id=program.topics[0].id,
        state="active",
        started_at=now,
    )
    session.add(conversation)
    peer.active_conversations += 1
    session.flush()
    return conversation


def texter_says(session, conversation, body, now, *, crisis=False) -> Message:
    """A message the texter sent into the conversation, already received."""
    message = Message(
        program_id=conversation.program_id,
        direction="inbound",
        author="texter",
        texter_id=conversation.texter_id,
        conversation_id=conversation.id,
        body=body,
        status="received",
        is_crisis=crisis,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def ask_for_peer(session, program, texter, now, dispatcher, *, topic=None, crisis=False):
    """The texter's support request on `topic` (the program's first by default), first wave sent."""
    return offers.open_request(
        session,
        program_id=program.id,
        texter_id=texter.id,
        topic_id=(topic or program.topics[0]).id,
        now=now,
        dispatcher=dispatcher,
        is_crisis=crisis,
    )


def accepted_conversation(session, program, texter, peer, now, dispatcher) -> Conversation:
    """The conversation `peer` holds once they accept the texter's request on the first topic."""
    request = ask_for_peer(session, program, texter, now, dispatcher)
    offer = session.scalar(
        select(Offer).where(Offer.request_id == request.id, Offer.peer_profile_id == peer.id)
    )
    return offers.accept_offer(
        session, offer_id=offer.id, peer_profile_id=peer.id, now=now, dispatcher=dispatcher
    )


class RecordingDispatcher:
    """A test double for peerwork.queue.Dispatcher: records what would be enqueued, runs nothing."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def enqueue(self, job, *args, **kwargs):
        self.calls.append({"job": job, "args": args, **kwargs})
        return None

    def jobs(self, job) -> list[tuple]:
        """The arguments of every enqueue of `job` (a domain function or entry point)."""
        return [c["args"] for c in self.calls if c["job"] is job]


def matching_sweep(session, *, now, dispatcher) -> None:
    """What the `matching_sweep` job does, on the test's session: the queue, then long waits."""
    from peerwork.matching import upkeep
    from peerwork.safety import escalation

    upkeep.run_sweep(session, now=now, dispatcher=dispatcher)
    escalation.raise_wait_alerts(session, now=now, dispatcher=dispatcher)


def add_escalation_contact(program, name: str, phone: str, *, backup: bool = False):
    """An escalation contact (a human on call) of `program`, phone stored as the app stores it."""
    vault = get_vault()
    row = EscalationContact(
        program_id=program.id,
        name=name,
        phone_encrypted=vault.encrypt(phone),
        phone_hash=vault.lookup_hash(phone),
        phone_last4=phone[-4:],
        is_backup=backup,
    )
    db.session.add(row)
    db.session.flush()
    return row


_QUIZ_OPTION = re.compile(
    r'<input type="radio" name="q(?P<question>\d+)" value="(?P<option>[0-9a-f]+)"> '
    r"<span>(?P<text>.*?)</span>"
)


def quiz_page(client, module) -> tuple[str, dict[int, dict[str, str]]]:
    """Open the quiz as the peer would: its signed draw and, per question id, option id -> text."""
    page = client.get(f"/peer/training/{module.id}/quiz").get_data(as_text=True)
    draw = re.search(r'name="draw" value="([^"]+)"', page)
    assert draw, page[:2000]
    options: dict[int, dict[str, str]] = {}
    for found in _QUIZ_OPTION.finditer(page):
        options.setdefault(int(found["question"]), {})[found["option"]] = html.unescape(
            found["text"]
        )
    return draw.group(1), options


def take_quiz(client, module, pick):
    """Take `module`'s quiz through its page; `pick(question)` gives a choice index or None."""
    draw, options = quiz_page(client, module)
    questions = {q.id: q for q in module.questions}
    form = {"draw": draw}
    for question_id, shown in options.items():
        index = pick(questions[question_id])
        if index is not None:
            wanted = questions[question_id].choices[index]
            form[f"q{question_id}"] = next(o for o, text in shown.items() if text == wanted)
    return client.post_form(f"/peer/training/{module.id}/quiz", form)


def right_choice(question):
    return question.correct_index


def wrong_choice(question):
    return (question.correct_index + 1) % len(question.choices)
