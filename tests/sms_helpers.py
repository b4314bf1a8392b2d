"""Test helpers that text like a person: Phone(client, program, "+1716...").sends("hi")."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from urllib.parse import urlencode
from xml.etree import ElementTree

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from peerwork import clock
from peerwork.extensions import db, get_vault
from peerwork.models import Message, Texter

AUTH_TOKEN = "test-auth-token"
BASE = "https://peerwork.test"
_sids = itertools.count(1)


def sign(path: str, params: dict, token: str = AUTH_TOKEN, query: str = "") -> str:
    """The X-Twilio-Signature Twilio would send for this POST."""
    url = BASE + path + (f"?{query}" if query else "")
    return RequestValidator(token).compute_signature(url, params)


def post_signed(client, path: str, params: dict, *, signature: str | None = None):
    """POST form fields to a webhook with a valid (or the given) signature."""
    headers = {"X-Twilio-Signature": signature if signature is not None else sign(path, params)}
    return client.post(
        path,
        data=urlencode(params),
        headers=headers,
        content_type="application/x-www-form-urlencoded",
        base_url=BASE,
    )


def twiml_bodies(response) -> list[str]:
    """The <Message> bodies of a TwiML answer."""
    root = ElementTree.fromstring(response.get_data(as_text=True))
    return [element.text or "" for element in root.iter("Message")]


def new_sid() -> str:
    return f"SM{uuid.uuid4().hex}"


class Phone:
    """An employee's phone texting a program through the signed webhook."""

    def __init__(self, client, program, number: str, jobs=None) -> None:
        self.client = client
        self.program_number = program.sms_number
        self.program_id = program.id
        self.number = number
        self.jobs = jobs
        self.last_response = None

    def sends(self, body: str, *, sid: str | None = None, run_jobs: bool = True) -> list[str]:
        """Text the program; returns the immediate (TwiML) replies."""
        params = {
            "MessageSid": sid or new_sid(),
            "AccountSid": "AC" + "0" * 32,
            "From": self.number,
            "To": self.program_number,
            "Body": body,
            "NumMedia": "0",
        }
        response = post_signed(self.client, "/sms/inbound", params)
        assert response.status_code == 200, response.status_code
        self.last_response = response
        if run_jobs and self.jobs is not None:
            self.jobs.run(until=clock.now() + timedelta(seconds=5))
        return twiml_bodies(response)

    def texter(self) -> Texter | None:
        vault = get_vault()
        return db.session.scalar(
            select(Texter)
            .where(
                Texter.program_id == self.program_id,
                Texter.phone_hash == vault.lookup_hash(self.number),
            )
            .execution_options(populate_existing=True)
        )

    def messages(self, **filters) -> list[Message]:
        texter = self.texter()
        if texter is None:
            return []
        query = select(Message).where(Message.texter_id == texter.id, Message.recipient == "texter")
        for name, value in filters.items():
            query = query.where(getattr(Message, name) == value)
        return list(
            db.session.scalars(query.order_by(Message.id).execution_options(populate_existing=True))
        )

    def received(self) -> list[str]:
        """Everything sent to this phone: TwiML replies and delivered outbox rows."""
        return [m.body for m in self.messages() if m.status in ("sent", "delivered")]

    def last(self) -> str:
        got = self.received()
        return got[-1] if got else ""


class FakeTransport:
    """A transport double at the seam: records sends, can fail on demand."""

    name = "fake"

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.failures: list[Exception] = []

    def send(self, *, to: str, from_: str, body: str, status_callback: str | None) -> str:
        if self.failures:
            raise self.failures.pop(0)
        sid = f"SMfake{uuid.uuid4().hex[:24]}"
        self.sent.append(
            {"to": to, "from_": from_, "body": body, "status_callback": status_callback, "sid": sid}
        )
        return sid

    def lookup(self, *, to: str, from_: str, body: str, since) -> list[str]:
        """What this double accepted from `from_` to `to` with this body, newest first."""
        return [
            s["sid"]
            for s in reversed(self.sent)
            if s["to"] == to and s["from_"] == from_ and s["body"] == body
        ]

    def bodies_to(self, number: str) -> list[str]:
        return [s["body"] for s in self.sent if s["to"] == number]


def unique_sid(prefix: str = "SM") -> str:
    return f"{prefix}{next(_sids):06d}{uuid.uuid4().hex[:26]}"
