"""Refuse input no honest client sends, before any view or the database sees it.

Every request goes through :func:`refuse_hostile_input` (a ``before_request``):

- Web forms, query strings and URL parts may not carry C0 control characters
  other than tab, CR and LF. No keyboard types them, PostgreSQL cannot store a
  NUL in text, and they hide things from the people who read them later.
- The Twilio webhooks (``/sms/...``) may not carry a NUL anywhere, and their
  SIDs must look like Twilio SIDs (two letters, then letters/digits, at most 64
  characters: the column's width). This is decided *before* the signature is
  checked, on purpose: no genuine Twilio request can contain either, so refusing
  needs no proof of origin, and the answer (400, empty TwiML) says nothing an
  attacker could use. Other control characters are allowed in a text's Body: a
  phone may send a form feed or an escape, and a real texter's words must never
  be refused for it.
- A few query parameters a view turns into numbers or dates are bounded where a
  value would overflow the database column or Python's date range (the audit log
  filters): refused with a 400 that names the filter.

As a last line of defence, a value the database refuses (``DataError``) or the
driver cannot bind (an int too large, say) rolls the session back and answers
400 instead of 500. It is logged with the endpoint and the error's class only,
never the value.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from flask import Flask, Response, render_template, request
from sqlalchemy.exc import DataError, DBAPIError, StatementError

from peerwork.extensions import db

log = logging.getLogger(__name__)

# C0 controls except tab (\x09), LF (\x0a) and CR (\x0d).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
WEBHOOK_PREFIX = "/sms/"
TWILIO_SID = re.compile(r"[A-Za-z]{2}[0-9A-Za-z]{1,62}")
SID_FIELDS = ("MessageSid", "SmsSid", "SmsMessageSid", "AccountSid", "MessagingServiceSid")
INT32_MAX = 2**31 - 1
EARLIEST_YEAR, LATEST_YEAR = 1900, 9998

# Query parameters a view reads as a database id or a day, by path.
QUERY_RULES: dict[str, dict[str, str]] = {
    "/admin/audit": {"actor": "id", "program": "id", "since": "day", "until": "day"},
}


class HostileInput(Exception):
    """A request carries a value no honest client sends; the message is safe to show."""


def init_app(app: Flask) -> None:
    """Register the input guard and the database-refused-a-value handlers."""
    app.before_request(refuse_hostile_input)
    app.register_error_handler(HostileInput, _refused)
    app.register_error_handler(DataError, _database_refused_value)
    app.register_error_handler(StatementError, _database_refused_value)


def _values(multidict) -> list[str]:
    out = []
    for key, values in multidict.lists():
        out.append(key)
        out.extend(v for v in values if isinstance(v, str))
    return out


def refuse_hostile_input() -> None:
    """Raise HostileInput for a request carrying a value no honest client sends."""
    if request.path.startswith(WEBHOOK_PREFIX):
        _check_webhook()
        return
    parts = [request.path, *_values(request.args)]
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        parts += _values(request.form)
    if any(CONTROL_CHARACTERS.search(part) for part in parts):
        raise HostileInput(
            "What you sent contains control characters (such as a NUL byte) that a form "
            "cannot hold. Remove them and try again."
        )
    rules = QUERY_RULES.get(request.path.rstrip("/") or "/")
    if rules:
        _check_query(rules)


def _check_webhook() -> None:
    form = request.form
    if any("\x00" in part for part in (request.path, *_values(request.args), *_values(form))):
        raise HostileInput("A webhook value contains a NUL byte.")
    for name in SID_FIELDS:
        value = form.get(name)
        if value is not None and not TWILIO_SID.fullmatch(value):
            raise HostileInput(f"{name} is not a Twilio SID.")


def _check_query(rules: dict[str, str]) -> None:
    for name, kind in rules.items():
        value = request.args.get(name)
        if not value:
            continue
        if kind == "id":
            try:
                number = int(value)
            except ValueError:
                continue  # unreadable: the view ignores it
            if not -INT32_MAX - 1 <= number <= INT32_MAX:
                raise HostileInput(f"The {name!r} filter is out of range.")
        elif kind == "day":
            try:
                day = datetime.strptime(value, "%Y-%m-%d")
            except ValueError:
                continue
            if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
                raise HostileInput(
                    f"The {name!r} date must be between {EARLIEST_YEAR} and {LATEST_YEAR}."
                )


def _is_webhook() -> bool:
    return request.path.startswith(WEBHOOK_PREFIX)


def _bad_request(text: str):
    if _is_webhook():
        # Twilio reads TwiML; an empty answer sends nothing back to the phone.
        return Response(
            '<?xml version="1.0" encoding="UTF-8"?><Response />', 400, mimetype="text/xml"
        )
    return render_template(
        "error.html", code=400, title="That request could not be read", text=text
    ), 400


def _refused(error: HostileInput):
    log.warning("refused hostile input on %s: %s", request.endpoint, error)
    return _bad_request(str(error))


def _database_refused_value(error: StatementError):
    """DataError, or a value the driver could not bind: the client's fault, so 400."""
    is_value_error = isinstance(error, DataError) or (
        not isinstance(error, DBAPIError)
        and isinstance(error.orig, ValueError | OverflowError | TypeError)
    )
    if not is_value_error:
        raise error
    db.session.rollback()
    # The class name only: the message would quote the value (a phone number, a body).
    log.warning("database refused a value on %s (%s)", request.endpoint, type(error.orig).__name__)
    return _bad_request("Something you sent cannot be stored. Please check it and try again.")
