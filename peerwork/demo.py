"""Demo data: one organization with a live program a newcomer can try at once.

Everything is made through the same domain functions the admin pages use,
so the demo shows the product as an admin would have set it up. The demo
program is open around the clock so that the dev phone works whenever
someone tries it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork import accounts, clock, demo_history
from peerwork.admin import contacts, programs
from peerwork.admin import topics as topic_menu
from peerwork.checkins import defaults as care_defaults
from peerwork.extensions import get_vault
from peerwork.models import (
    WEEKDAYS,
    Organization,
    PeerProfile,
    Program,
    TrainingAttempt,
    TrainingModule,
    User,
)
from peerwork.phones import pretty

ORG_NAME = "Acme Logistics"
PROGRAM_NAME = "Acme Peer Line"
PROGRAM_NUMBER = "+15855550100"
DEMO_PASSWORD = "listen with care 2026"  # noqa: S105 - printed demo login, development only
ADMIN = ("admin@acme.example", "Dana Admin", DEMO_PASSWORD)
SUPERVISOR = ("supervisor@acme.example", "Morgan Supervisor", DEMO_PASSWORD, "+15855550199")
PEERS = [
    (
        "jordan@acme.example",
        "Jordan Lee",
        "Harbor",
        DEMO_PASSWORD,
        ("Work stress", "Burnout", "Anxiety or worry"),
    ),
    (
        "riley@acme.example",
        "Riley Chen",
        "Willow",
        DEMO_PASSWORD,
        ("Grief and loss", "Family and relationships"),
    ),
    ("sam@acme.example", "Sam Ortiz", "Juniper", DEMO_PASSWORD, ()),  # any topic
]
TOPICS = [
    ("Work stress", ["work", "job", "boss", "deadline", "workload", "stress"]),
    ("Anxiety or worry", ["anxiety", "anxious", "worry", "worried", "panic", "nervous"]),
    ("Grief and loss", ["grief", "loss", "died", "passed", "funeral", "mourning"]),
    (
        "Family and relationships",
        ["family", "partner", "kids", "marriage", "divorce", "relationship"],
    ),
    ("Burnout", ["burnout", "burned out", "exhausted", "tired", "overwhelmed"]),
]


# The demo organization was set up this long ago; its history fills the time since.
HISTORY_SPAN = timedelta(weeks=demo_history.WEEKS, days=3)


class DemoRefused(RuntimeError):
    """Demo data was asked for where it must never be (production)."""


def refuse_in_production(environment: str) -> None:
    """Raise DemoRefused in production: the demo logins' password is in the source code."""
    if environment == "production":
        raise DemoRefused(
            "Refusing to load demo data in production: the demo accounts' password is "
            "published in the source code. Create real accounts with `peerwork create-admin`."
        )


@dataclass
class DemoSummary:
    created: bool
    program_number: str = PROGRAM_NUMBER
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # role, email, password


def _demo_organization(session: Session) -> Organization | None:
    return session.scalar(
        select(Organization).where(Organization.slug == accounts.slugify(ORG_NAME))
    )


def logins() -> list[tuple[str, str, str]]:
    """The demo accounts: (role, email, password)."""
    accounts_ = [("admin", ADMIN[0], ADMIN[2]), ("supervisor", SUPERVISOR[0], SUPERVISOR[2])]
    return accounts_ + [("peer", email, password) for email, _n, _a, password, _t in PEERS]


def logins_if_loaded(session: Session) -> list[tuple[str, str, str]]:
    """The demo logins when this database holds the demo organization, else none."""
    return logins() if _demo_organization(session) is not None else []


def load(session: Session, *, now: datetime, history: bool = True) -> DemoSummary:
    """Create the demo organization unless it exists; return what to print.

    With `history`, the organization was set up `HISTORY_SPAN` ago and has had
    weeks of made-up activity since (`peerwork.demo_history`), so reports and
    histories have something to show. Commits as it goes (as the jobs it replays do).
    """
    summary = DemoSummary(created=False)
    summary.logins = logins()
    if _demo_organization(session) is not None:
        return summary
    summary.created = True
    if not history:
        _set_up(session, now=now)
        return summary
    founded = now - HISTORY_SPAN
    with clock.using(lambda: founded):
        program, supervisor = _set_up(session, now=founded)
        session.commit()
    demo_history.backfill(
        session,
        program=program,
        supervisor=supervisor,
        vault=get_vault(),
        start=founded + timedelta(days=1),
        end=now,
    )
    return summary


def _set_up(session: Session, *, now: datetime) -> tuple[Program, User]:
    """The organization, its live program, its supervisor and certified peers, as of `now`."""

    admin = accounts.create_admin(
        session,
        email=ADMIN[0],
        name=ADMIN[1],
        organization_name=ORG_NAME,
        password=ADMIN[2],
        now=now,
    )
    org = session.get(Organization, admin.organization_id)
    program = programs.create_program(
        session,
        organization_id=org.id,
        name=PROGRAM_NAME,
        timezone="America/New_York",
        now=now,
        actor=admin,
    )
    program.sms_number = PROGRAM_NUMBER
    program.hours = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
    for name, keywords in TOPICS:
        topic_menu.add_topic(
            session,
            program=program,
            name=name,
            keywords=keywords,
            description=None,
            now=now,
            actor=admin,
        )
    program.training_published_at = now

    supervisor = accounts.create_user(
        session,
        organization=org,
        email=SUPERVISOR[0],
        name=SUPERVISOR[1],
        password=SUPERVISOR[2],
        roles=("supervisor",),
        now=now,
    )
    contacts.add_contact(
        session,
        program=program,
        name=SUPERVISOR[1],
        phone_e164=SUPERVISOR[3],
        user_id=supervisor.id,
        is_backup=False,
        vault=get_vault(),
        now=now,
        actor=admin,
    )
    topics_by_name = {t.name: t for t in program.topics}
    modules = session.scalars(
        select(TrainingModule).where(TrainingModule.program_id == program.id)
    ).all()
    for email, name, alias, password, topic_names in PEERS:
        user = accounts.create_user(
            session,
            organization=org,
            email=email,
            name=name,
            password=password,
            roles=("peer",),
            now=now,
        )
        profile = PeerProfile(
            user_id=user.id,
            program_id=program.id,
            alias=alias,
            capacity=2,
            accepts_any_topic=not topic_names,
            available=True,
            availability={day: [["00:00", "24:00"]] for day in WEEKDAYS},
            onboarded_at=now,
            created_at=now,
        )
        profile.topics = [topics_by_name[t] for t in topic_names]
        session.add(profile)
        session.flush()
        for module in modules:
            session.add(
                TrainingAttempt(
                    module_id=module.id,
                    peer_profile_id=profile.id,
                    module_version=module.version,
                    score=100,
                    passed=True,
                    answers=[q.correct_index for q in module.questions],
                    created_at=now,
                )
            )
    _install_optional_defaults(session, program, now)
    blocked = programs.change_status(
        session, program=program, action="launch", now=now, actor=admin
    )
    if blocked is not None:
        raise RuntimeError(
            f"demo program could not launch: {[item.label for item in blocked.blocking]}"
        )
    session.flush()
    return program, supervisor


def _install_optional_defaults(session: Session, program: Program, now: datetime) -> None:
    """Skill cards (from the check-ins area), when that area provides them."""
    care_defaults.install_defaults(session, program_id=program.id, now=now)


def describe(summary: DemoSummary) -> str:
    """The lines printed after loading the demo."""
    head = "Demo data loaded." if summary.created else "Demo data is already there."
    lines = [
        head,
        f"  Program '{PROGRAM_NAME}' (open around the clock) answers texts to {pretty(summary.program_number)}.",
        "  Sign in with:",
    ]
    lines += [f"    {role:<10} {email:<28} {password}" for role, email, password in summary.logins]
    return "\n".join(lines)
