"""Invite links: signed, expiring, single use.

The link carries a signed token holding the invite id and a random nonce;
the database keeps only a hash of the nonce, and `used_at` is set by a
conditional UPDATE so two clicks cannot both create an account.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peerwork.auth.passwords import check_strength, hash_password
from peerwork.models import Invite, Membership, PeerProfile, Program, User

SALT = "peerwork-invite-v1"


class InviteError(ValueError):
    """An invite link that cannot be used; the message is safe to show."""


@dataclass
class IssuedInvite:
    invite: Invite
    token: str


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def issue(
    session: Session,
    *,
    secret_key: str,
    organization_id: int,
    email: str,
    role: str,
    now: datetime,
    max_age_seconds: int,
    program_id: int | None = None,
    created_by_id: int | None = None,
) -> IssuedInvite:
    """Create an invite row and return it with its token (shown once)."""
    nonce = secrets.token_urlsafe(24)
    invite = Invite(
        organization_id=organization_id,
        program_id=program_id,
        email=email.strip().lower(),
        role=role,
        nonce_hash=_nonce_hash(nonce),
        created_by_id=created_by_id,
        created_at=now,
        expires_at=now + timedelta(seconds=max_age_seconds),
    )
    session.add(invite)
    session.flush()
    token = _serializer(secret_key).dumps({"i": invite.id, "n": nonce})
    return IssuedInvite(invite, token)


def reissue_token(secret_key: str, invite: Invite, session: Session) -> str:
    """A fresh token for an unused invite (the old link stops working)."""
    nonce = secrets.token_urlsafe(24)
    invite.nonce_hash = _nonce_hash(nonce)
    session.flush()
    return _serializer(secret_key).dumps({"i": invite.id, "n": nonce})


def load(session: Session, *, secret_key: str, token: str, now: datetime) -> Invite:
    """Return the usable invite behind `token`, or raise InviteError."""
    try:
        payload = _serializer(secret_key).loads(token)
        invite_id, nonce = int(payload["i"]), str(payload["n"])
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InviteError(
            "This invite link is not valid. Ask your program admin for a new one."
        ) from exc
    invite = session.get(Invite, invite_id)
    if invite is None or not secrets.compare_digest(invite.nonce_hash, _nonce_hash(nonce)):
        raise InviteError("This invite link is not valid. Ask your program admin for a new one.")
    if invite.revoked_at is not None:
        raise InviteError("This invite was withdrawn. Ask your program admin for a new one.")
    if invite.used_at is not None:
        raise InviteError("This invite link has already been used. Sign in instead.")
    if invite.expires_at <= now:
        raise InviteError("This invite link has expired. Ask your program admin for a new one.")
    return invite


def accept(
    session: Session,
    *,
    secret_key: str,
    token: str,
    name: str,
    password: str,
    now: datetime,
) -> User:
    """Create the account an invite is for; single use even under races."""
    invite = load(session, secret_key=secret_key, token=token, now=now)
    check_strength(password, email=invite.email, name=name)
    if session.scalar(select(User.id).where(User.email == invite.email)) is not None:
        raise InviteError("An account with this email address already exists. Sign in instead.")
    claimed = session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise InviteError("This invite link has already been used. Sign in instead.")
    user = User(
        organization_id=invite.organization_id,
        email=invite.email,
        name=name.strip(),
        password_hash=hash_password(password),
        session_token=uuid.uuid4().hex,
        created_at=now,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise InviteError(
            "An account with this email address already exists. Sign in instead."
        ) from exc
    session.add(
        Membership(
            user_id=user.id,
            organization_id=invite.organization_id,
            role=invite.role,
            created_at=now,
        )
    )
    if invite.role == "peer" and invite.program_id is not None:
        program = session.get(Program, invite.program_id)
        session.add(
            PeerProfile(
                user_id=user.id,
                program_id=invite.program_id,
                capacity=program.default_capacity if program else 2,
                created_at=now,
            )
        )
    invite.used_at = now
    invite.used_by_id = user.id
    session.flush()
    return user
