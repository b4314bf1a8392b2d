"""Escalation contacts: the supervisors who receive crisis alerts by SMS.

Their numbers are stored encrypted with a keyed hash for lookups and the
last four digits for display; after saving, nobody sees the full number.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peerwork import audit
from peerwork.admin.setup_common import SetupError
from peerwork.models import EscalationContact, Membership, Program, User


def staff_choices(session: Session, organization_id: int) -> list[User]:
    """Supervisors and admins of the organization a contact may be linked to."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                User.organization_id == organization_id,
                User.active.is_(True),
                Membership.organization_id == organization_id,
                Membership.role.in_(("supervisor", "admin")),
            )
            .distinct()
            .order_by(User.name)
        )
    )


def _linked_user(session, program: Program, user_id: int | None) -> int | None:
    if not user_id:
        return None
    if user_id not in {u.id for u in staff_choices(session, program.organization_id)}:
        raise SetupError("user_id", "Pick a supervisor or admin of your organization.")
    return user_id


def _set_phone(contact: EscalationContact, phone_e164: str, vault) -> None:
    contact.phone_encrypted = vault.encrypt(phone_e164)
    contact.phone_hash = vault.lookup_hash(phone_e164)
    contact.phone_last4 = phone_e164[-4:]


def _check_duplicate(session, program: Program, phone_hash: str, contact_id=None) -> None:
    query = select(EscalationContact.id).where(
        EscalationContact.program_id == program.id, EscalationContact.phone_hash == phone_hash
    )
    if contact_id is not None:
        query = query.where(EscalationContact.id != contact_id)
    if session.scalar(query) is not None:
        raise SetupError("phone", "This number is already an escalation contact of this program.")


def add_contact(
    session: Session,
    *,
    program: Program,
    name: str,
    phone_e164: str,
    user_id: int | None,
    is_backup: bool,
    vault,
    now: datetime,
    actor,
) -> EscalationContact:
    """Add an escalation contact; `phone_e164` must already be normalized."""
    name = (name or "").strip()
    if not name:
        raise SetupError("name", "Enter the contact's name.")
    _check_duplicate(session, program, vault.lookup_hash(phone_e164))
    position = session.scalar(
        select(func.coalesce(func.max(EscalationContact.position), 0)).where(
            EscalationContact.program_id == program.id
        )
    )
    contact = EscalationContact(
        program_id=program.id,
        name=name,
        user_id=_linked_user(session, program, user_id),
        is_backup=is_backup,
        position=position + 1,
        created_at=now,
    )
    _set_phone(contact, phone_e164, vault)
    session.add(contact)
    session.flush()
    audit.record_for_program(
        session,
        program,
        action="contact.create",
        now=now,
        actor=actor,
        object_type="escalation_contact",
        object_id=contact.id,
        details={"backup": is_backup},
    )
    return contact


def update_contact(
    session: Session,
    *,
    program: Program,
    contact: EscalationContact,
    name: str,
    phone_e164: str | None,
    user_id: int | None,
    is_backup: bool,
    vault,
    now: datetime,
    actor,
) -> None:
    """Edit a contact; a blank `phone_e164` keeps the stored number."""
    name = (name or "").strip()
    if not name:
        raise SetupError("name", "Enter the contact's name.")
    changed = []
    if phone_e164:
        _check_duplicate(session, program, vault.lookup_hash(phone_e164), contact.id)
        if vault.lookup_hash(phone_e164) != contact.phone_hash:
            _set_phone(contact, phone_e164, vault)
            changed.append("phone")
    user_id = _linked_user(session, program, user_id)
    for key, value in (("name", name), ("user_id", user_id), ("is_backup", is_backup)):
        if getattr(contact, key) != value:
            setattr(contact, key, value)
            changed.append(key)
    session.flush()
    if changed:
        audit.record_for_program(
            session,
            program,
            action="contact.update",
            now=now,
            actor=actor,
            object_type="escalation_contact",
            object_id=contact.id,
            # "changed" lists field names only; the number itself never enters the log.
            details={"changed": sorted(changed)},
        )


def remove_contact(
    session: Session, *, program: Program, contact: EscalationContact, now: datetime, actor
) -> None:
    """Delete a contact (its past alert messages keep their rows)."""
    contact_id = contact.id
    session.delete(contact)
    session.flush()
    audit.record_for_program(
        session,
        program,
        action="contact.remove",
        now=now,
        actor=actor,
        object_type="escalation_contact",
        object_id=contact_id,
    )
