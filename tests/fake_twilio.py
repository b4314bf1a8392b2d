"""A small local HTTP server standing in for Twilio's Messages API.

The real `twilio` client talks to it over HTTP (TwilioTransport with
TWILIO_API_BASE_URL pointed here). It records every message it accepts, can
answer with Twilio-style errors, and can hold requests on a gate so a test
can kill a worker in the middle of a send.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeTwilio:
    """Run with `with FakeTwilio() as twilio:`; `twilio.base_url` for the client."""

    def __init__(self, account_sid: str = "AC" + "1" * 32, auth_token: str = "fake-token") -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.accepted: list[dict] = []
        self.requests = 0
        self.lock = threading.Lock()
        # Scripted answers for the next requests: (http status, twilio code).
        self.errors: list[tuple[int, int]] = []
        # hold: every request waits on `gate`; arrived is set when one is waiting.
        self.hold = False
        self.accept_before_hold = False
        self.gate = threading.Event()
        self.arrived = threading.Event()
        self.drop_held = False
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:  # keep test output quiet
                return

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self.gate.set()
        self._server.shutdown()
        self._server.server_close()

    # -- the API -------------------------------------------------------------

    def _reply(self, handler, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _handle(self, handler) -> None:
        expected_path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        length = int(handler.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if handler.headers.get("Authorization") != f"Basic {credentials}":
            self._reply(handler, 401, {"code": 20003, "message": "Authenticate", "status": 401})
            return
        if handler.path != expected_path:
            self._reply(handler, 404, {"code": 20404, "message": "Not found", "status": 404})
            return
        with self.lock:
            self.requests += 1
            error = self.errors.pop(0) if self.errors else None
        if error is not None:
            status, code = error
            self._reply(handler, status, {"code": code, "message": "Error", "status": status})
            return
        record = self._record(form) if self.accept_before_hold else None
        if self.hold:
            self.arrived.set()
            self.gate.wait(timeout=60)
            if self.drop_held:
                # Never accepted, never answered: as if the request was lost in transit.
                handler.close_connection = True
                return
        if record is None:
            record = self._record(form)
        self._reply(handler, 201, record["payload"])

    def _record(self, form: dict) -> dict:
        sid = "SM" + uuid.uuid4().hex
        now = formatdate(usegmt=True)
        payload = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        record = {"sid": sid, "form": form, "payload": payload}
        with self.lock:
            self.accepted.append(record)
        return record
