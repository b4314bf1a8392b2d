"""Test data builders that read like the product: make.program(), make.peer(...)."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork.auth.passwords import hash_password
from peerwork.models import (
    WEEKDAYS,
    Membership,
    Organization,
    PeerProfile,
    Program,
    Texter,
    Topic,
    TrainingAttempt,
    TrainingModule,
    User,
)

PASSWORD = "correct horse battery staple 42"
_HASH: str | None = None
_seq = itertools.count(1)


def password_hash() -> str:
    # Argon2 at OWASP cost takes ~50 ms: hash the shared test password once.
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


ALL_WEEK = {day: [["00:00", "24:00"]] for day in WEEKDAYS}


class Factory:
    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now

    def _n(self) -> int:
        return next(_seq)

    def vault(self):
        from peerwork.extensions import get_vault

        return get_vault()

    def org(self, name: str | None = None) -> Organization:
        n = self._n()
        org = Organization(
            name=name or f"Org {n}", slug=f"org-{n}-{uuid.uuid4().hex[:6]}", created_at=self.now
        )
        self.session.add(org)
        self.session.flush()
        return org

    def program(
        self,
        org: Organization | None = None,
        *,
        status: str = "live",
        sms_number: str | None = None,
        topics: tuple[str, ...] = ("Work stress", "Anxiety", "Grief and loss"),
        hours: dict | None = None,
        **settings,
    ) -> Program:
        org = org or self.org()
        n = self._n()
        program = Program(
            organization_id=org.id,
            name=settings.pop("name", f"Peer Line {n}"),
            status=status,
            sms_number=sms_number or f"+1585555{n % 10000:04d}",
            timezone=settings.pop("timezone", "America/New_York"),
            hours=hours if hours is not None else dict(ALL_WEEK),
            created_at=self.now,
            **settings,
        )
        self.session.add(program)
        self.session.flush()
        for i, name in enumerate(topics, start=1):
            self.topic(program, name, menu_number=i)
        return program

    def topic(
        self, program: Program, name: str, *, menu_number: int | None = None, keywords=()
    ) -> Topic:
        if menu_number is None:
            menu_number = len(program.topics) + 1
        topic = Topic(
            program_id=program.id,
            name=name,
            menu_number=menu_number,
            position=menu_number,
            keywords=list(keywords),
        )
        self.session.add(topic)
        self.session.flush()
        self.session.refresh(program)
        return topic

    def user(
        self, org: Organization, *roles: str, name: str | None = None, email: str | None = None
    ) -> User:
        n = self._n()
        user = User(
            organization_id=org.id,
            email=email or f"user{n}-{uuid.uuid4().hex[:6]}@example.com",
            name=name or f"User {n}",
            password_hash=password_hash(),
            session_token=uuid.uuid4().hex,
            created_at=self.now,
        )
        self.session.add(user)
        self.session.flush()
        for role in roles:
            self.session.add(
                Membership(user_id=user.id, organization_id=org.id, role=role, created_at=self.now)
            )
        self.session.flush()
        self.session.refresh(user)
        return user

    def admin(self, org: Organization | None = None, **kw) -> User:
        return self.user(org or self.org(), "admin", **kw)

    def supervisor(self, org: Organization, **kw) -> User:
        return self.user(org, "supervisor", **kw)

    def peer(
        self,
        program: Program,
        *,
        alias: str | None = None,
        topics: list[Topic] | None = None,
        any_topic: bool | None = None,
        capacity: int = 2,
        available: bool = True,
        availability: dict | None = None,
        certified: bool = True,
        user: User | None = None,
    ) -> PeerProfile:
        org = self.session.get(Organization, program.organization_id)
        user = user or self.user(org, "peer")
        n = self._n()
        listed = topics if topics is not None else ([] if any_topic else list(program.topics))
        if any_topic is None:
            # A peer made without saying lists every topic and takes untopiced requests too.
            any_topic = topics is None
        profile = PeerProfile(
            user_id=user.id,
            program_id=program.id,
            alias=alias or f"Sam{n}",
            capacity=capacity,
            accepts_any_topic=any_topic,
            available=available,
            availability=availability if availability is not None else dict(ALL_WEEK),
            onboarded_at=self.now,
            created_at=self.now,
        )
        profile.topics = list(listed)
        self.session.add(profile)
        self.session.flush()
        if certified:
            self.certify(profile)
        return profile

    def certify(self, profile: PeerProfile) -> None:
        modules = self.session.scalars(
            select(TrainingModule).where(
                TrainingModule.program_id == profile.program_id, TrainingModule.required.is_(True)
            )
        ).all()
        for module in modules:
            self.session.add(
                TrainingAttempt(
                    module_id=module.id,
                    peer_profile_id=profile.id,
                    module_version=module.version,
                    score=100,
                    passed=True,
                    answers=[],
                    created_at=self.now,
                )
            )
        self.session.flush()

    def texter(
        self,
        program: Program,
        phone: str | None = None,
        *,
        pseudonym: str | None = None,
        state: str = "idle",
    ) -> Texter:
        n = self._n()
        phone = phone or f"+1716555{n % 10000:04d}"
        vault = self.vault()
        texter = Texter(
            program_id=program.id,
            phone_encrypted=vault.encrypt(phone),
            phone_hash=vault.lookup_hash(phone),
            pseudonym=pseudonym or f"Texter {1000 + n}",
            dialog_state=state,
            created_at=self.now,
        )
        self.session.add(texter)
        self.session.flush()
        return texter
