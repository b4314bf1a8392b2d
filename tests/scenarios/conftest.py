"""Shared set-up for the texter scenarios: a fake SMS transport and escalation contacts."""

from __future__ import annotations

import pytest

from peerwork.extensions import db, get_vault, set_service
from peerwork.models import EscalationContact
from tests.sms_helpers import FakeTransport


@pytest.fixture
def transport(app):
    fake = FakeTransport()
    set_service("sms_transport", fake, app)
    yield fake
    app.extensions["peerwork"].pop("sms_transport", None)


@pytest.fixture
def add_contact():
    """Add an escalation contact (a human on call) to a program."""

    def _add(program, name: str, phone: str, *, backup: bool = False) -> EscalationContact:
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

    return _add
