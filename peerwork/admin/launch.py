"""The launch checklist: what a program needs before it can take texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peerwork.admin.topics import active_topics
from peerwork.matching.eligibility import is_certified
from peerwork.models import EscalationContact, PeerProfile, Program, TrainingModule, User

# -- the launch checklist ---------------------------------------------------------------


@dataclass
class CheckItem:
    key: str
    label: str
    done: bool
    blocking: bool = True
    detail: str = ""
    fix_endpoint: str | None = None

    @property
    def css(self) -> str:
        return "done" if self.done else ("todo" if self.blocking else "warn")


@dataclass
class Checklist:
    items: list[CheckItem] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(item.done for item in self.items if item.blocking)

    @property
    def blocking(self) -> list[CheckItem]:
        return [item for item in self.items if item.blocking and not item.done]

    @property
    def warnings(self) -> list[CheckItem]:
        return [item for item in self.items if not item.blocking and not item.done]


def certified_peers(session: Session, program: Program, now: datetime) -> list[PeerProfile]:
    """Active volunteers of the program who are certified right now."""
    profiles = session.scalars(
        select(PeerProfile)
        .join(User, User.id == PeerProfile.user_id)
        .where(PeerProfile.program_id == program.id, User.active.is_(True))
    ).all()
    return [p for p in profiles if is_certified(session, p.id, now)]


def checklist(session: Session, program: Program, now: datetime) -> Checklist:
    """What must be true before `program` can go live, and what is only advised."""
    topics = active_topics(program)
    required_modules = session.scalar(
        select(func.count(TrainingModule.id)).where(
            TrainingModule.program_id == program.id,
            TrainingModule.required.is_(True),
            TrainingModule.retired_at.is_(None),
        )
    )
    contacts = session.scalar(
        select(func.count(EscalationContact.id)).where(EscalationContact.program_id == program.id)
    )
    peers = certified_peers(session, program, now)
    items = [
        CheckItem(
            "sms_number",
            "SMS number set",
            bool(program.sms_number),
            detail="The number employees text.",
            fix_endpoint="admin.settings",
        ),
        CheckItem(
            "topics",
            "At least one topic",
            bool(topics),
            detail=f"{len(topics)} active topic{'s' if len(topics) != 1 else ''}.",
            fix_endpoint="admin.topics",
        ),
        CheckItem(
            "training",
            "Training published",
            bool(program.training_published_at and required_modules),
            detail=f"{required_modules} required module{'s' if required_modules != 1 else ''}.",
            fix_endpoint="training.program",
        ),
        CheckItem(
            "peers",
            "At least one certified peer",
            bool(peers),
            detail=f"{len(peers)} certified peer{'s' if len(peers) != 1 else ''}.",
            fix_endpoint="admin.volunteers_page",
        ),
        CheckItem(
            "contacts",
            "An escalation contact for crisis alerts",
            bool(contacts),
            detail=f"{contacts} contact{'s' if contacts != 1 else ''}.",
            fix_endpoint="admin.contacts_page",
        ),
    ]
    if peers and not any(p.accepts_any_topic for p in peers):
        items.append(
            CheckItem(
                "any_topic",
                "No certified peer takes any topic yet",
                False,
                blocking=False,
                detail=(
                    "Texters who choose no topic, or whose words match none, are offered only "
                    "to peers who take any topic: they would wait for a supervisor."
                ),
                fix_endpoint="admin.volunteers_page",
            )
        )
    for topic in topics:
        covered = any(p.accepts_any_topic or topic in p.topics for p in peers)
        if not covered:
            items.append(
                CheckItem(
                    f"topic:{topic.id}",
                    f"No certified peer covers “{topic.name}” yet",
                    False,
                    blocking=False,
                    detail="Texters who pick it will wait until a peer who takes it is free.",
                    fix_endpoint="admin.volunteers_page",
                )
            )
    return Checklist(items)
