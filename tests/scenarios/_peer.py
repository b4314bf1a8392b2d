"""What a peer does and sees, for scenarios told from the peer's side."""

from __future__ import annotations

import html
import re

from sqlalchemy import select, update

from peerwork.models import Conversation, Offer, PeerProfile


class PeerAtWork:
    """A signed-in peer using the web workspace."""

    def __init__(self, client, profile) -> None:
        self.client = client
        self.profile = profile

    def workspace(self) -> str:
        return html.unescape(self.client.get("/peer/").get_data(as_text=True))

    def open_offer(self, session) -> Offer:
        return session.scalar(
            select(Offer)
            .where(Offer.peer_profile_id == self.profile.id, Offer.state == "open")
            .order_by(Offer.id.desc())
            .execution_options(populate_existing=True)
        )

    def accepts(self, offer: Offer) -> int:
        response = self.client.post_form(f"/peer/offers/{offer.id}/accept")
        assert response.status_code == 302, response.status_code
        return int(re.search(r"/conversations/(\d+)", response.headers["Location"]).group(1))

    def reads(self, conversation_id: int) -> str:
        response = self.client.get(f"/peer/conversations/{conversation_id}")
        assert response.status_code == 200
        return html.unescape(response.get_data(as_text=True))

    def thread(self, conversation_id: int) -> str:
        return thread_of(self.reads(conversation_id))

    def wrap_up_page(self, conversation_id: int):
        return self.client.get(f"/peer/conversations/{conversation_id}/end")

    def wraps_up(self, conversation_id: int, *, outcome: str, checkin: str, topic_id: int = 0):
        return self.client.post_form(
            f"/peer/conversations/{conversation_id}/end",
            {"outcome": outcome, "checkin_choice": checkin, "topic_id": str(topic_id)},
        )


def thread_of(page: str) -> str:
    """The message list of a conversation page."""
    start = page.index('<ol class="thread"')
    return page[start : page.index("</ol>", start)]


def sign_in_as(client, user) -> None:
    """Whoever was signed in signs out; `user` signs in."""
    client.post_form("/logout")
    client.login(user)


def set_available(session, profile_id: int, available: bool) -> None:
    """A peer's switch, flipped from outside the page (another device, an admin)."""
    session.execute(
        update(PeerProfile).where(PeerProfile.id == profile_id).values(available=available)
    )
    session.commit()


def conversation(session, conversation_id: int) -> Conversation:
    return session.get(Conversation, conversation_id, populate_existing=True)
