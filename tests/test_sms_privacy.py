"""Anonymity as a property of the data: no phone number in clear in any table or log line."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from peerwork import clock
from peerwork.conversations import peer_reply
from peerwork.db import Base
from peerwork.extensions import db, get_dispatcher, get_vault
from peerwork.matching.offers import accept_offer
from peerwork.models import Conversation, Offer, PeerProfile
from tests.sms_helpers import Phone, post_signed

TEXTER_PHONE = "+17165550123"
PEER_PHONE = "+15855550177"
BODIES = [
    "hi",
    "I can't sleep because of my supervisor",
    "Honestly some days I want to die",
    "Thank you, that helps",
]


def _variants(e164: str) -> list[str]:
    digits = e164.lstrip("+")
    national = digits[1:]
    return [
        e164,
        digits,
        national,
        f"{national[:3]}-{national[3:6]}-{national[6:]}",
        f"({national[:3]}) {national[3:6]}-{national[6:]}",
        f"{national[3:6]}-{national[6:]}",
    ]


def _dump_every_table() -> str:
    lines = []
    with db.session.no_autoflush:
        for table in Base.metadata.sorted_tables:
            for row in db.session.execute(select(table)).all():
                cells = []
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        cells.append(bytes(value).decode("latin-1"))
                    else:
                        cells.append(str(value))
                lines.append(f"{table.name}: " + " | ".join(cells))
    return "\n".join(lines)


def test_no_phone_number_in_clear_in_any_table_or_log(
    app, client, make, jobs, session, transport, caplog
):
    caplog.set_level(logging.DEBUG)
    program = make.program(name="Acme Peer Line", messages_per_second=30)
    peer = make.peer(program, alias="Robin")
    profile = session.get(PeerProfile, peer.id)
    profile.sms_alerts = True
    profile.alert_phone_encrypted = get_vault().encrypt(PEER_PHONE)
    session.commit()

    texter = Phone(client, program, TEXTER_PHONE, jobs)
    texter.sends(BODIES[0])
    texter.sends("1")
    offer = session.scalar(select(Offer).where(Offer.peer_profile_id == peer.id))
    accept_offer(
        session,
        offer_id=offer.id,
        peer_profile_id=peer.id,
        now=clock.now(),
        dispatcher=get_dispatcher(),
    )
    session.commit()
    jobs.run()
    for body in BODIES[1:]:
        texter.sends(body)
    conversation = session.scalar(select(Conversation))
    peer_reply(
        session,
        conversation_id=conversation.id,
        peer_profile_id=peer.id,
        body="I'm here. Tell me more.",
        now=clock.now(),
        dispatcher=get_dispatcher(),
    )
    session.commit()
    jobs.run(until=clock.now() + timedelta(seconds=5))
    sid = transport.sent[-1]["sid"]
    post_signed(client, "/sms/status", {"MessageSid": sid, "MessageStatus": "delivered"})
    texter.sends("DONE")

    # The flow really reached both phones...
    assert transport.bodies_to(TEXTER_PHONE)
    assert transport.bodies_to(PEER_PHONE)  # the content-free alert
    assert all("supervisor" not in b for b in transport.bodies_to(PEER_PHONE))

    # ...yet no table holds either number in clear (the program's own number may appear).
    dump = _dump_every_table()
    assert program.sms_number in dump
    for number in (TEXTER_PHONE, PEER_PHONE):
        for variant in _variants(number):
            assert variant not in dump, f"{variant} found in the database dump"

    # And no log line holds a number or a message body.
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert logged  # the run did log (jobs, webhooks)
    for number in (TEXTER_PHONE, PEER_PHONE):
        for variant in _variants(number):
            assert variant not in logged, f"{variant} found in the logs"
    for body in [*BODIES[1:], "I'm here. Tell me more."]:
        assert body not in logged


def test_texters_appear_by_pseudonym(client, make, jobs):
    program = make.program(messages_per_second=30)
    phone = Phone(client, program, TEXTER_PHONE, jobs)
    phone.sends("hi")
    texter = phone.texter()
    assert texter.pseudonym.startswith("Texter ")
    assert texter.phone_hash != TEXTER_PHONE and len(texter.phone_hash) == 64
    assert get_vault().decrypt(texter.phone_encrypted) == TEXTER_PHONE
