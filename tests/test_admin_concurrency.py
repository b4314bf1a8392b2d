"""Two admins of different employers claim the same SMS number at the same moment."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from peerwork.admin import programs
from peerwork.extensions import db
from peerwork.models import Program

ADMINS = 4


@pytest.mark.committed
def test_one_number_goes_to_exactly_one_program(session, make, now):
    drafts = [make.program(make.org(), status="draft", sms_number=None) for _ in range(ADMINS)]
    draft_ids = [p.id for p in drafts]
    for draft in drafts:
        draft.sms_number = None
    session.commit()
    engine = db.engine
    start = threading.Barrier(ADMINS)
    results: dict[int, str] = {}

    def save_number(program_id: int) -> None:
        # Each admin is its own web request: its own connection and transaction.
        with Session(engine) as own:
            start.wait()
            program = own.get(Program, program_id)
            try:
                programs.update_settings(
                    own, program=program, values={"sms_number": "+15855550100"}, now=now, actor=None
                )
                own.commit()
                results[program_id] = "saved"
            except programs.SetupError as refused:
                own.rollback()
                results[program_id] = refused.message

    threads = [threading.Thread(target=save_number, args=(pid,)) for pid in draft_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results.values()).count("saved") == 1
    assert all("already used by another program" in r for r in results.values() if r != "saved")
    session.expire_all()
    owners = session.scalars(select(Program.id).where(Program.sms_number == "+15855550100")).all()
    assert len(owners) == 1
