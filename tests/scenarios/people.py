"""The people in a scenario: a texter on a phone (signed webhooks) and a peer at their page.

`connect()` takes a texter from "hi" to talking with a peer the way it happens
in the product: the texter texts in and picks a topic, the peer accepts the offer.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from peerwork import clock
from peerwork.conversations import peer_reply
from peerwork.extensions import db, get_dispatcher
from peerwork.matching.offers import accept_offer
from peerwork.models import Conversation, Message, Offer
from tests.sms_helpers import Phone


class PeerAtPage:
    """A peer working a conversation in their web workspace."""

    def __init__(self, profile, conversation_id: int) -> None:
        self.profile = profile
        self.conversation_id = conversation_id

    def replies(self, body: str) -> Message:
        message = peer_reply(
            db.session,
            conversation_id=self.conversation_id,
            peer_profile_id=self.profile.id,
            body=body,
            now=clock.now(),
            dispatcher=get_dispatcher(),
        )
        db.session.commit()
        return message

    def thread(self) -> list[str]:
        """What the texter wrote, as the peer's thread shows it."""
        return list(
            db.session.scalars(
                select(Message.body)
                .where(
                    Message.conversation_id == self.conversation_id,
                    Message.direction == "inbound",
                    Message.processed_at.is_not(None),
                )
                .order_by(Message.id)
                .execution_options(populate_existing=True)
            )
        )


def let_time_pass(jobs, travel, seconds: int) -> None:
    """Let the clock run second by second, with a worker doing what is due."""
    for _ in range(seconds):
        travel.shift(1)
        jobs.run(until=clock.now())


def connect(client, make, jobs, travel, program, number: str, *, alias: str = "Robin"):
    """A texter texts in, picks topic 1, and the peer accepts: (phone, peer)."""
    profile = make.peer(program, alias=alias)
    db.session.commit()
    phone = Phone(client, program, number, jobs)
    phone.sends("hi")
    phone.sends("1")
    offer = db.session.scalar(
        select(Offer).where(Offer.peer_profile_id == profile.id, Offer.state == "open")
    )
    assert offer is not None, "the peer got no offer"
    conversation = accept_offer(
        db.session,
        offer_id=offer.id,
        peer_profile_id=profile.id,
        now=clock.now(),
        dispatcher=get_dispatcher(),
    )
    db.session.commit()
    assert isinstance(conversation, Conversation)
    return phone, PeerAtPage(profile, conversation.id)


def drain(jobs, travel, *, limit: timedelta = timedelta(minutes=5)) -> None:
    """Let time pass until no job is waiting or due any more (bounded)."""
    end = clock.now() + limit
    while clock.now() < end:
        jobs.run(until=clock.now())
        if not jobs.pending() and not jobs.scheduled():
            return
        travel.shift(1)
