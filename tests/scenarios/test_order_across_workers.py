"""Two real `peerwork worker` processes share the outbox: the texter still reads in order.

The texter texts in through the signed webhook, the workers run the dialog and
matching, the peer accepts and answers with a burst of replies; both workers
(each with RQ's scheduler, for the throttle's scheduled sends) send through
the real `twilio` client to the local Twilio stand-in.
"""

from __future__ import annotations

import subprocess
import time

import pytest
from sqlalchemy import select

from peerwork import clock
from peerwork.extensions import db, get_dispatcher
from peerwork.matching.offers import accept_offer
from peerwork.models import Offer
from tests.fake_twilio import FakeTwilio
from tests.processes import kill, start_peerwork
from tests.scenarios.people import PeerAtPage
from tests.sms_helpers import Phone

pytestmark = [pytest.mark.committed, pytest.mark.slow, pytest.mark.real_clock]

NUMBER = "+17165550331"


def _start_worker(app, twilio: FakeTwilio, tmp_path, n: int) -> subprocess.Popen:
    return start_peerwork(
        app,
        twilio,
        tmp_path,
        "worker",
        log=f"worker{n}",
        PEERWORK_INSTANCE=str(tmp_path / f"instance{n}"),
    )


def _wait_for(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        db.session.rollback()  # end the read: SQLite's writers must not wait on it
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def test_a_reply_burst_keeps_its_order_across_two_workers(app, client, make, tmp_path):
    program = make.program(messages_per_second=5)
    profile = make.peer(program, alias="Robin")
    db.session.commit()
    profile_id = profile.id
    with FakeTwilio() as twilio:
        workers = [_start_worker(app, twilio, tmp_path, n) for n in range(2)]
        try:
            phone = Phone(client, program, NUMBER)
            phone.sends("hi")
            phone.sends("1")
            offer_id = _wait_for(
                lambda: db.session.scalar(
                    select(Offer.id).where(
                        Offer.peer_profile_id == profile_id, Offer.state == "open"
                    )
                )
            )
            conversation = accept_offer(
                db.session,
                offer_id=offer_id,
                peer_profile_id=profile_id,
                now=clock.now(),
                dispatcher=get_dispatcher(),
            )
            db.session.commit()
            peer = PeerAtPage(profile, conversation.id)
            replies = [f"reply {n}" for n in range(1, 21)]
            for body in replies:
                peer.replies(body)

            got = _wait_for(
                lambda: (
                    twilio.received_by(NUMBER) if "reply 20" in twilio.received_by(NUMBER) else None
                )
            )
        finally:
            for worker in workers:
                kill(worker)
    connected = next(i for i, body in enumerate(got) if body.startswith("You're now connected"))
    assert got[connected + 1 :] == replies
