"""What every program-setup change shares: the error an admin must correct,
and the audit event that names what changed (never values such as phone
numbers or texter-facing wording)."""

from __future__ import annotations

from peerwork import audit
from peerwork.models import Program


class SetupError(ValueError):
    """Input the admin must correct; `field` names the form field it belongs to."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def record_change(session, program: Program, action: str, now, actor, **kw) -> None:
    """Audit a setup change to `program` by `actor`."""
    audit.record(
        session,
        organization_id=program.organization_id,
        program_id=program.id,
        action=action,
        now=now,
        actor=actor,
        **kw,
    )
