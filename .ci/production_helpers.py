"""Helpers for .ci/production.sh: what a person (or Twilio) does around the README's commands.

    python .ci/production_helpers.py free-port
    python .ci/production_helpers.py secret | data-key
    python .ci/production_helpers.py twilio URL_FILE    # a Twilio stand-in until killed
    python .ci/production_helpers.py program EMAIL NUMBER  # the admin's first steps (app env)
    python .ci/production_helpers.py text BASE FROM TO BODY   # a signed webhook; prints TwiML
    python .ci/production_helpers.py wait-sent TWILIO_URL TO SECONDS
    python .ci/production_helpers.py ready BASE SECONDS [workers]

`program` is what the admin does on the setup pages after `peerwork create-admin`
(create a program, give it its Twilio number), through the same domain functions
those pages call, in the environment the README exports.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        print(probe.getsockname()[1])


def twilio(url_file: str) -> None:
    from tests.fake_twilio import FakeTwilio

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with FakeTwilio(
        account_sid=os.environ["TWILIO_ACCOUNT_SID"], auth_token=os.environ["TWILIO_AUTH_TOKEN"]
    ) as fake:
        Path(url_file).write_text(fake.base_url)
        while not stop:
            time.sleep(0.2)


def program(email: str, number: str) -> None:
    from sqlalchemy import select

    from peerwork import clock, create_app
    from peerwork.admin import programs
    from peerwork.config import serving_instance_path
    from peerwork.extensions import db
    from peerwork.models import User

    app = create_app(instance_path=serving_instance_path())
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == email.lower()))
        now = clock.now()
        created = programs.create_program(
            db.session,
            organization_id=admin.organization_id,
            name="Peer line",
            timezone="America/New_York",
            now=now,
            actor=admin,
        )
        programs.update_settings(
            db.session, program=created, values={"sms_number": number}, now=now, actor=admin
        )
        db.session.commit()
        print(f"program {created.id} created with its number")


def text(base: str, sender: str, to: str, body: str) -> None:
    from twilio.request_validator import RequestValidator

    public = os.environ["PUBLIC_BASE_URL"].rstrip("/") + "/sms/inbound"
    params = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": os.environ["TWILIO_ACCOUNT_SID"],
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"]).compute_signature(public, params)
    host = urllib.parse.urlsplit(public).netloc
    request = urllib.request.Request(  # noqa: S310 - local
        base + "/sms/inbound",
        data=urllib.parse.urlencode(params).encode(),
        # As the TLS proxy forwards it (PEERWORK_PROXY_HOPS=1).
        headers={
            "X-Twilio-Signature": signature,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": host,
            "X-Forwarded-For": "203.0.113.7",
        },
    )
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        replies = [m.text for m in ElementTree.fromstring(response.read()).iter("Message")]
        print(f"HTTP {response.status}: {len(replies)} reply(ies) in the TwiML")
        if response.status != 200:
            sys.exit(1)


def _sent_to(twilio_url: str, to: str) -> list[dict]:
    sid, token = os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"]
    url = f"{twilio_url}/2010-04-01/Accounts/{sid}/Messages.json?" + urllib.parse.urlencode(
        {"To": to}
    )
    request = urllib.request.Request(url)  # noqa: S310 - local
    request.add_header(
        "Authorization", "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())["messages"]


def wait_sent(twilio_url: str, to: str, seconds: str) -> None:
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        sent = _sent_to(twilio_url, to)
        if sent:
            print(f"{len(sent)} message(s) sent to the texter through the Twilio stand-in")
            return
        time.sleep(0.5)
    sys.exit(f"no message sent to the texter within {seconds}s")


def ready(base: str, seconds: str, workers: str = "") -> None:
    """Wait for /readyz 200 (and, with `workers`, a worker serving the queues)."""
    deadline = time.monotonic() + float(seconds)
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=5) as response:  # noqa: S310
                report = json.loads(response.read())
                if not workers or (report.get("workers") or {}).get("count"):
                    seen = (report.get("workers") or {}).get("count", 0)
                    print(
                        f"/readyz {response.status}: {json.dumps(report['checks'])}, {seen} worker(s)"
                    )
                    return
                last = report
        except (urllib.error.URLError, OSError) as error:
            last = error
        time.sleep(0.5)
    sys.exit(f"/readyz not 200 within {seconds}s: {last}")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "secret":
        print(secrets.token_urlsafe(48))
    elif command == "data-key":
        print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    else:
        {
            "free-port": free_port,
            "twilio": twilio,
            "program": program,
            "text": text,
            "wait-sent": wait_sent,
            "ready": ready,
        }[command](*args)
