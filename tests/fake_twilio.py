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
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeTwilio:
    """Run with `with FakeTwilio() as twilio:`; `twilio.base_url` for the client."""

    def __init__(self, account_sid: str = "AC" + "1" * 32, auth_token: str = "fake-token") -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.accepted: list[dict] = []
        self.requests = 0  # POSTs (sends) only
        self.lookups = 0  # GETs of the Messages list
        self.lock = threading.Lock()
        # Scripted answers for the next requests: (http status, twilio code).
        self.errors: list[tuple[int, int]] = []
        # hold: every request waits on `gate`; arrived is set when one is waiting.
        self.hold = False
        self.accept_before_hold = False
        self.gate = threading.Event()
        self.arrived = threading.Event()
        self.drop_held = False
        # Seconds to wait after accepting a message before answering (a slow provider).
        self.answer_delay = 0.0
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

            def do_GET(self) -> None:  # noqa: N802
                fake._list(self)

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
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            handler.close_connection = True  # the client gave up waiting

    def received_by(self, number: str) -> list[str]:
        """The bodies a phone got, in the order Twilio accepted them."""
        with self.lock:
            return [r["form"].get("Body") for r in self.accepted if r["form"].get("To") == number]

    @property
    def _messages_path(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def _refused(self, handler, path: str) -> bool:
        """Answer 401/404 like Twilio when the credentials or the path are wrong."""
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if handler.headers.get("Authorization") != f"Basic {credentials}":
            self._reply(handler, 401, {"code": 20003, "message": "Authenticate", "status": 401})
            return True
        if path != self._messages_path:
            self._reply(handler, 404, {"code": 20404, "message": "Not found", "status": 404})
            return True
        return False

    def _list(self, handler) -> None:
        """Twilio's Messages list: filters To and From, newest first, one page."""
        url = urlsplit(handler.path)
        if self._refused(handler, url.path):
            return
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        page_size = int(query.get("PageSize", 50))
        with self.lock:
            self.lookups += 1
            found = [
                r["payload"]
                for r in reversed(self.accepted)
                if query.get("To", r["form"].get("To")) == r["form"].get("To")
                and query.get("From", r["form"].get("From")) == r["form"].get("From")
            ][:page_size]
        self._reply(
            handler,
            200,
            {
                "messages": found,
                "uri": url.path,
                "first_page_uri": url.path,
                "next_page_uri": None,
                "previous_page_uri": None,
                "page": 0,
                "page_size": page_size,
                "start": 0,
                "end": len(found),
            },
        )

    def _handle(self, handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
        if self._refused(handler, handler.path):
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
        if self.answer_delay:
            time.sleep(self.answer_delay)  # accepted; the answer comes late
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
