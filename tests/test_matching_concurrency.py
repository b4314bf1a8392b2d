"""Many peers press "accept" on the same request at the same moment: one wins."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peerwork.extensions import db
from peerwork.matching import offers
from peerwork.models import Conversation, Offer, PeerProfile, SupportRequest
from tests.helpers import RecordingDispatcher

PEERS = 8


@pytest.mark.committed
def test_simultaneous_accepts_create_exactly_one_conversation(session, make, now):
    program = make.program(wave_size=PEERS)
    peers = [make.peer(program) for _ in range(PEERS)]
    texter = make.texter(program)
    request = offers.open_request(
        session,
        program_id=program.id,
        texter_id=texter.id,
        topic_id=None,
        now=now,
        dispatcher=RecordingDispatcher(),
    )
    offer_of = {
        o.peer_profile_id: o.id
        for o in session.scalars(select(Offer).where(Offer.request_id == request.id))
    }
    assert set(offer_of) == {p.id for p in peers}
    session.commit()

    engine = db.engine
    start = threading.Barrier(PEERS)
    results: dict[int, str] = {}

    def press_accept(peer_id: int) -> None:
        # Each peer is its own web request: its own connection and transaction.
        with Session(engine) as own:
            start.wait()
            try:
                offers.accept_offer(
                    own,
                    offer_id=offer_of[peer_id],
                    peer_profile_id=peer_id,
                    now=now,
                    dispatcher=RecordingDispatcher(),
                )
                own.commit()
                results[peer_id] = "won"
            except offers.OfferUnavailable as refused:
                own.rollback()
                results[peer_id] = refused.message

    threads = [threading.Thread(target=press_accept, args=(p.id,)) for p in peers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(results.values()) == {
        "won": 1,
        "Another peer accepted this request first.": PEERS - 1,
    }
    with Session(db.engine) as check:
        assert check.scalar(select(func.count(Conversation.id))) == 1
        winner = check.scalar(select(Conversation.peer_profile_id))
        assert results[winner] == "won"
        loads = dict(check.execute(select(PeerProfile.id, PeerProfile.active_conversations)).all())
        assert loads == {p.id: (1 if p.id == winner else 0) for p in peers}
        states = dict(check.execute(select(Offer.peer_profile_id, Offer.state)).all())
        assert states == {p.id: ("accepted" if p.id == winner else "withdrawn") for p in peers}
        assert check.get(SupportRequest, request.id).state == "matched"
