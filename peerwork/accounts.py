"""Account operations that are not tied to an invite."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork.auth.passwords import check_strength, hash_password
from peerwork.models import Membership, Organization, User


class AccountError(ValueError):
    """An account operation that cannot be done; the message is safe to show."""


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "org"


def get_or_create_organization(session: Session, name: str, now: datetime) -> Organization:
    slug = slugify(name)
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        org = Organization(name=name.strip(), slug=slug, created_at=now)
        session.add(org)
        session.flush()
    return org


def create_user(
    session: Session,
    *,
    organization: Organization,
    email: str,
    name: str,
    password: str,
    roles: tuple[str, ...],
    now: datetime,
    check_password: bool = True,
) -> User:
    """Create a user with `roles` in `organization`."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError("Enter a valid email address.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"An account with the email {email} already exists.")
    if check_password:
        check_strength(password, email=email, name=name)
    user = User(
        organization_id=organization.id,
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        session_token=uuid.uuid4().hex,
        created_at=now,
    )
    session.add(user)
    session.flush()
    for role in roles:
        session.add(
            Membership(user_id=user.id, organization_id=organization.id, role=role, created_at=now)
        )
    session.flush()
    return user


def end_sessions(session: Session, *, user: User) -> None:
    """Sign the user out on the server: every session cookie issued so far stops working.

    The session token is part of the id Flask-Login keeps in the cookie, so a new
    token makes copies of old cookies (and remember-me cookies) worthless.
    """
    user.session_token = uuid.uuid4().hex
    session.flush()


def create_admin(
    session: Session, *, email: str, name: str, organization_name: str, password: str, now: datetime
) -> User:
    """Create an admin (and the organization if it is new)."""
    org = get_or_create_organization(session, organization_name, now)
    return create_user(
        session,
        organization=org,
        email=email,
        name=name,
        password=password,
        roles=("admin",),
        now=now,
    )
