"""How an SMS leaves the building: one small interface, two implementations.

`send(*, to, from_, body, status_callback) -> sid` either returns the
provider's message SID or raises `TemporarySendError` (try again later) or
`PermanentSendError` (never retry: opted out, invalid number...).

`lookup(*, to, from_, body, since) -> [sid, ...]` lists the messages the
provider holds from `from_` to `to` with exactly this body, created at or
after `since`, newest first. The sender asks it before any retry: a send
that timed out may have been accepted all the same (see peerwork.sms.sender).
"""

from __future__ import annotations

import itertools
import logging
import threading
import uuid
from datetime import datetime, timedelta
from typing import Protocol

from flask import current_app

from peerwork import clock

# Twilio error codes that no retry will fix.
OPTED_OUT = 21610
PERMANENT_CODES = frozenset(
    {
        21211,  # invalid 'To' number
        21214,  # 'To' number cannot be reached
        21408,  # region not enabled
        21606,  # 'From' is not a valid SMS-capable number of this account
        21610,  # recipient replied STOP
        21612,  # cannot route to this number
        21614,  # 'To' is not a mobile number
        21617,  # body too long
        30003,  # unreachable handset
        30004,  # message blocked
        30005,  # unknown destination
        30006,  # landline or unreachable carrier
        30007,  # carrier filtering
    }
)


class SendError(Exception):
    """An SMS could not be handed to the provider."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.code = code


class TemporarySendError(SendError):
    """Worth retrying: network trouble, rate limits, provider outages."""


class PermanentSendError(SendError):
    """Never worth retrying for this message."""


class Transport(Protocol):
    name: str

    def send(self, *, to: str, from_: str, body: str, status_callback: str | None) -> str: ...

    def lookup(self, *, to: str, from_: str, body: str, since: datetime) -> list[str]: ...


def prepare(transport) -> None:
    """Warm a transport before a worker starts (test doubles need no `prepare`)."""
    getattr(transport, "prepare", lambda: None)()


# The provider's clock and ours may differ a little: look a bit further back.
CLOCK_SLACK = timedelta(minutes=2)
# Newest first, a texter's recent messages fit in one page; an unconfirmed
# send is among the most recent to that number.
LOOKUP_LIMIT = 50


class TwilioTransport:
    """Sends through the official `twilio` client (API base URL configurable)."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        api_base_url: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        # A bounded timeout keeps the "accepted but not yet marked sent" window short.
        # The client's own logger prints request URLs and headers at INFO; keep it
        # at WARNING so nothing about a recipient can reach a log by accident.
        quiet = logging.getLogger("peerwork.sms.twilio_http")
        quiet.setLevel(logging.WARNING)
        self.client = Client(
            account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout, logger=quiet)
        )
        if api_base_url:
            # twilio 9.x reads no setting for this; the domain object holds it.
            self.client.api.base_url = api_base_url.rstrip("/")

    def prepare(self) -> None:
        """Load what the first send would (the REST modules twilio imports lazily).

        A worker calls this once before it forks or works, so no job pays
        for the imports again (in a forked work horse they would be lost with it).
        """
        _ = self.client.messages

    def send(self, *, to: str, from_: str, body: str, status_callback: str | None) -> str:
        from requests import RequestException
        from twilio.base.exceptions import TwilioException, TwilioRestException

        options = {"to": to, "from_": from_, "body": body}
        if status_callback:
            options["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**options)
        except TwilioRestException as exc:
            code = exc.code if isinstance(exc.code, int) else None
            if code in PERMANENT_CODES:
                raise PermanentSendError(f"twilio error {code}", code) from None
            if exc.status == 429 or exc.status >= 500:
                raise TemporarySendError(f"twilio http {exc.status}", code) from None
            raise PermanentSendError(f"twilio http {exc.status}", code) from None
        except (RequestException, TwilioException, OSError) as exc:
            raise TemporarySendError(type(exc).__name__) from None
        return message.sid

    def lookup(self, *, to: str, from_: str, body: str, since: datetime) -> list[str]:
        """SIDs of messages Twilio holds from `from_` to `to` with this body since `since`.

        Filtered by To and From on Twilio's side, newest first. Not by
        DateSent: a message Twilio accepted but still holds in its queue has
        no date_sent yet, and that is exactly the message looked for; so the
        creation date and the body are compared here.
        """
        from requests import RequestException
        from twilio.base.exceptions import TwilioException

        try:
            found = self.client.messages.list(
                to=to, from_=from_, limit=LOOKUP_LIMIT, page_size=LOOKUP_LIMIT
            )
        except (RequestException, TwilioException, OSError) as exc:
            # Not knowing is not "not sent": the caller must not send blind.
            raise TemporarySendError(f"lookup: {type(exc).__name__}") from None
        earliest = since - CLOCK_SLACK
        return [
            message.sid
            for message in found
            if message.body == body
            and (message.date_created is None or message.date_created >= earliest)
        ]


class LocalTransport:
    """Development: nothing leaves the machine; the outbound row is the outbox.

    The dev phone page shows these rows as the texter's received messages.
    """

    name = "local"

    def prepare(self) -> None:
        """Nothing to load ahead of the first send."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self.sent: list[dict] = []

    def send(self, *, to: str, from_: str, body: str, status_callback: str | None) -> str:
        sid = f"SMlocal{uuid.uuid4().hex[:26]}"
        with self._lock:
            self.sent.append(
                {
                    "sid": sid,
                    "to": to,
                    "from_": from_,
                    "body": body,
                    "n": next(self._counter),
                    "at": clock.now(),
                }
            )
        return sid

    def lookup(self, *, to: str, from_: str, body: str, since: datetime) -> list[str]:
        """What this outbox holds from `from_` to `to` with this body since `since`, newest first."""
        with self._lock:
            return [
                entry["sid"]
                for entry in reversed(self.sent)
                if entry["to"] == to
                and entry["from_"] == from_
                and entry["body"] == body
                and entry["at"] >= since - CLOCK_SLACK
            ]


def build_transport(config) -> Transport:
    """The transport the settings ask for: Twilio when an account SID is set, else local."""
    if config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN"):
        return TwilioTransport(
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            api_base_url=config.get("TWILIO_API_BASE_URL"),
        )
    return LocalTransport()


def get_transport(app=None) -> Transport:
    """The app's SMS transport (tests replace it with set_service("sms_transport", ...))."""
    app = app or current_app
    services = app.extensions["peerwork"]
    if "sms_transport" not in services:
        services["sms_transport"] = build_transport(app.config)
    return services["sms_transport"]
