"""Volunteers: invite links, the roster, deactivation and promotion."""

from __future__ import annotations

import logging
import re
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peerwork import audit
from peerwork.admin.mail import invite_body
from peerwork.admin.setup_common import SetupError
from peerwork.auth import invites
from peerwork.conversations import hand_back
from peerwork.matching.eligibility import is_certified, training_status
from peerwork.matching.offers import withdraw_peer_offers
from peerwork.models import Conversation, Invite, Membership, PeerProfile, Program, User

logger = logging.getLogger(__name__)
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")
MAX_INVITES_AT_ONCE = 200


def parse_emails(raw: str) -> list[str]:
    """Addresses from a pasted list (commas, semicolons, new lines; "Name <a@b>" too)."""
    found: list[str] = []
    bad: list[str] = []
    for chunk in re.split(r"[,;\n\r\t]+", raw or ""):
        chunk = chunk.strip()
        if not chunk:
            continue
        match = re.search(r"<([^>]+)>", chunk)
        address = (match.group(1) if match else chunk).strip().lower()
        if _EMAIL.match(address):
            if address not in found:
                found.append(address)
        else:
            bad.append(chunk[:60])
    if bad:
        raise SetupError("emails", f"Not an email address: {', '.join(bad[:5])}.")
    if not found:
        raise SetupError("emails", "Enter at least one email address.")
    if len(found) > MAX_INVITES_AT_ONCE:
        raise SetupError("emails", f"Invite at most {MAX_INVITES_AT_ONCE} people at once.")
    return found


@dataclass
class InviteOutcome:
    email: str
    token: str | None = None
    invite: Invite | None = None
    skipped: str | None = None  # why no invite was made


def invite_volunteers(
    session: Session,
    *,
    program: Program,
    emails: list[str],
    secret_key: str,
    max_age_seconds: int,
    now: datetime,
    actor,
) -> list[InviteOutcome]:
    """One peer invite per address; people with an account or a live invite are skipped."""
    existing = set(session.scalars(select(User.email).where(User.email.in_(emails))))
    pending = set(
        session.scalars(
            select(Invite.email).where(
                Invite.program_id == program.id,
                Invite.email.in_(emails),
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
                Invite.expires_at > now,
            )
        )
    )
    outcomes = []
    for email in emails:
        if email in existing:
            outcomes.append(InviteOutcome(email, skipped="already has an account"))
            continue
        if email in pending:
            outcomes.append(InviteOutcome(email, skipped="already invited: use “New link” below"))
            continue
        issued = invites.issue(
            session,
            secret_key=secret_key,
            organization_id=program.organization_id,
            email=email,
            role="peer",
            now=now,
            max_age_seconds=max_age_seconds,
            program_id=program.id,
            created_by_id=getattr(actor, "id", None),
        )
        audit.record_for_program(
            session,
            program,
            action="invite.create",
            now=now,
            actor=actor,
            object_type="invite",
            object_id=issued.invite.id,
        )
        outcomes.append(InviteOutcome(email, token=issued.token, invite=issued.invite))
    session.flush()
    return outcomes


def email_invites(
    mailer, *, program: Program, organization_name: str, links: dict[str, str], days: int
) -> dict[str, bool]:
    """Email each address its link; returns which sends worked (never raises)."""
    sent = {}
    for email, link in links.items():
        body = invite_body(
            program_name=program.name, organization_name=organization_name, link=link, days=days
        )
        try:
            mailer.send(to=email, subject=f"Your invitation to {program.name}", body=body)
        except (OSError, smtplib.SMTPException):
            # The link is on the admin's screen; a failed send only loses the convenience.
            logger.warning("invite email failed", extra={"program_id": program.id})
            sent[email] = False
        else:
            sent[email] = True
    return sent


def pending_invites(session: Session, program: Program) -> list[Invite]:
    """Invites of the program not used or revoked yet (expired ones included)."""
    return list(
        session.scalars(
            select(Invite)
            .where(
                Invite.program_id == program.id,
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
            )
            .order_by(Invite.created_at.desc(), Invite.id.desc())
        )
    )


def revoke_invite(
    session: Session, *, program: Program, invite: Invite, now: datetime, actor
) -> None:
    """Withdraw an unused invite: its link stops working."""
    if invite.used_at is not None or invite.revoked_at is not None:
        return
    invite.revoked_at = now
    session.flush()
    audit.record_for_program(
        session,
        program,
        action="invite.revoke",
        now=now,
        actor=actor,
        object_type="invite",
        object_id=invite.id,
    )


def renew_invite(
    session: Session,
    *,
    program: Program,
    invite: Invite,
    secret_key: str,
    max_age_seconds: int,
    now: datetime,
    actor,
) -> str:
    """A new link for an unused invite, valid from now; the old link stops working."""
    if invite.used_at is not None or invite.revoked_at is not None:
        raise SetupError("invite", "This invite was already used or withdrawn.")
    token = invites.reissue_token(secret_key, invite, session)
    invite.expires_at = now + timedelta(seconds=max_age_seconds)
    session.flush()
    audit.record_for_program(
        session,
        program,
        action="invite.renew",
        now=now,
        actor=actor,
        object_type="invite",
        object_id=invite.id,
    )
    return token


@dataclass
class RosterRow:
    profile: PeerProfile
    user: User
    training: object
    certified: bool
    supervisor: bool
    admin: bool
    open_days: list[str]
    last_active: datetime | None = None


def last_active(session: Session, program: Program) -> dict[int, datetime | None]:
    """Per peer profile: the latest of their last sign-in, reply and availability change.

    The availability switch stamps `User.last_seen_at` (peers/profile.py); a
    reply is the conversation's `last_peer_message_at`, so history made before
    the peer ever signed in on this device still counts.
    """
    replied = dict(
        session.execute(
            select(Conversation.peer_profile_id, func.max(Conversation.last_peer_message_at))
            .where(Conversation.program_id == program.id)
            .group_by(Conversation.peer_profile_id)
        ).all()
    )
    rows = session.execute(
        select(PeerProfile.id, User.last_login_at, User.last_seen_at)
        .join(User, User.id == PeerProfile.user_id)
        .where(PeerProfile.program_id == program.id)
    ).all()
    return {
        profile_id: max(
            (t for t in (login, seen, replied.get(profile_id)) if t is not None), default=None
        )
        for profile_id, login, seen in rows
    }


def roster(session: Session, program: Program, now: datetime) -> list[RosterRow]:
    """Every volunteer of the program with training status, topics, availability and load."""
    profiles = session.scalars(
        select(PeerProfile)
        .join(User, User.id == PeerProfile.user_id)
        .where(PeerProfile.program_id == program.id)
        .order_by(User.active.desc(), User.name)
    ).all()
    active_at = last_active(session, program)
    rows = []
    for profile in profiles:
        roles = profile.user.roles
        rows.append(
            RosterRow(
                profile=profile,
                user=profile.user,
                training=training_status(session, profile.id, now),
                certified=is_certified(session, profile.id, now),
                supervisor="supervisor" in roles,
                admin="admin" in roles,
                open_days=[d for d, spans in (profile.availability or {}).items() if spans],
                last_active=active_at.get(profile.id),
            )
        )
    return rows


def deactivate_peer(
    session: Session, *, program: Program, profile: PeerProfile, now: datetime, actor, dispatcher
) -> int:
    """Turn a volunteer's account off, withdraw their open offers, hand conversations back.

    Returns how many conversations were handed back.
    """
    user = profile.user
    if "admin" in user.roles:
        raise SetupError("peer", "Admins cannot be deactivated from the roster.")
    if not user.active:
        return 0
    user.active = False
    # A new session token signs the volunteer out everywhere at once.
    user.session_token = uuid.uuid4().hex
    profile_ids = [p.id for p in user.peer_profiles]
    for own in user.peer_profiles:
        own.available = False
    session.flush()
    # Texters offered to this peer should not wait out the timeout for an answer
    # that cannot come; switching "available" off keeps offers, this does not.
    withdrawn = sum(
        withdraw_peer_offers(session, peer_profile_id=own_id, now=now, dispatcher=dispatcher)
        for own_id in profile_ids
    )
    conversation_ids = session.scalars(
        select(Conversation.id).where(
            Conversation.peer_profile_id.in_(profile_ids), Conversation.state == "active"
        )
    ).all()
    for conversation_id in conversation_ids:
        hand_back(session, conversation_id=conversation_id, now=now, dispatcher=dispatcher)
    audit.record_for_program(
        session,
        program,
        action="peer.deactivate",
        now=now,
        actor=actor,
        object_type="peer_profile",
        object_id=profile.id,
        details={"handed_back": len(conversation_ids), "offers_withdrawn": withdrawn},
    )
    session.flush()
    return len(conversation_ids)


def reactivate_peer(
    session: Session, *, program: Program, profile: PeerProfile, now: datetime, actor
) -> None:
    """Let a deactivated volunteer sign in again (they switch themselves available)."""
    if profile.user.active:
        return
    profile.user.active = True
    session.flush()
    audit.record_for_program(
        session,
        program,
        action="peer.reactivate",
        now=now,
        actor=actor,
        object_type="peer_profile",
        object_id=profile.id,
    )


def promote_to_supervisor(
    session: Session, *, program: Program, profile: PeerProfile, now: datetime, actor
) -> bool:
    """Give a volunteer the supervisor role (crisis alerts, flagged conversations)."""
    user = profile.user
    if not user.active:
        raise SetupError("peer", "Reactivate this volunteer before promoting them.")
    if "supervisor" in user.roles:
        return False
    session.add(
        Membership(
            user_id=user.id,
            organization_id=program.organization_id,
            role="supervisor",
            created_at=now,
        )
    )
    session.flush()
    session.refresh(user)
    audit.record_for_program(
        session,
        program,
        action="peer.promote",
        now=now,
        actor=actor,
        object_type="user",
        object_id=user.id,
        details={"role": "supervisor"},
    )
    return True
