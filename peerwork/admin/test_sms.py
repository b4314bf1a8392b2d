"""The test SMS an admin sends to an escalation contact to check the Twilio setup."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from peerwork.admin.setup_common import SetupError, record_change
from peerwork.models import EscalationContact, Program
from peerwork.sms import texts as sms_texts
from peerwork.sms.outbox import queue_sms


def send_test_sms(
    session: Session,
    *,
    program: Program,
    contact: EscalationContact,
    now: datetime,
    actor,
    dispatcher,
):
    """Queue the test text to an escalation contact through the real outbox."""
    if contact.program_id != program.id or not contact.phone_encrypted:
        raise SetupError("contact_id", "Pick an escalation contact with a phone number.")
    message = queue_sms(
        session,
        program=program,
        body=sms_texts.for_program("test_sms", program),
        now=now,
        dispatcher=dispatcher,
        recipient="contact",
        contact_id=contact.id,
        kind="test",
    )
    record_change(
        session,
        program,
        "sms.test",
        now,
        actor,
        object_type="escalation_contact",
        object_id=contact.id,
        details={"message_id": message.id},
    )
    return message
