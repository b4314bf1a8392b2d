"""Twilio webhooks: inbound texts and delivery status callbacks (/sms/...).

Both check X-Twilio-Signature against the public URL first (403 otherwise),
commit what they received, and answer within milliseconds. They live with
the texter because both may act for one: an inbound text starts the dialog,
and a callback saying a texter opted out at the carrier opts them out here.
The blueprint keeps the name "sms" (endpoints `sms.inbound_sms`,
`sms.status_callback`).
"""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.exc import OperationalError

from peerwork import clock
from peerwork.db import begin_at_first_write
from peerwork.extensions import csrf, db, get_dispatcher, get_redis, get_vault
from peerwork.phones import sender
from peerwork.sms import status
from peerwork.sms.security import signature_is_valid
from peerwork.texter import inbound, outage, spoolfile
from peerwork.texter.inbound import enqueue_inbound
from peerwork.texter.optout import opt_out

log = logging.getLogger(__name__)

bp = Blueprint("sms", __name__)


TWIML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def twiml(replies: list[str] | None = None) -> Response:
    """A TwiML answer carrying zero or more immediate replies."""
    # Written out (what twilio's MessagingResponse prints, a tenth of its cost):
    # each body XML-escaped, so a program's own wording cannot break the answer.
    if not replies:
        return Response(TWIML_DECLARATION + "<Response />", mimetype="text/xml")
    messages = "".join(f"<Message>{escape(body)}</Message>" for body in replies)
    return Response(f"{TWIML_DECLARATION}<Response>{messages}</Response>", mimetype="text/xml")


def _require_signature() -> None:
    config = current_app.config
    if not signature_is_valid(
        request,
        auth_token=config.get("TWILIO_AUTH_TOKEN"),
        public_base_url=config.get("PUBLIC_BASE_URL"),
    ):
        log.warning("rejected a webhook with a missing or invalid Twilio signature")
        abort(403)


@bp.post("/inbound")
@csrf.exempt
def inbound_sms():
    """Twilio's incoming-message webhook."""
    _require_signature()
    form = request.form
    message_sid = form.get("MessageSid") or form.get("SmsSid")
    to, from_ = form.get("To", ""), form.get("From", "")
    if not message_sid or not to or not from_:
        log.warning("inbound webhook without MessageSid/To/From; ignored")
        return twiml(), 400
    from_ = sender(from_)
    try:
        # Reads need no BEGIN: a returning texter's text is one SELECT and one
        # INSERT, with no BEGIN or COMMIT round trip (PostgreSQL).
        begin_at_first_write(db.session)
        result = inbound.receive(
            db.session,
            to=to,
            from_=from_,
            body=form.get("Body", ""),
            message_sid=message_sid,
            now=clock.now(),
            vault=get_vault(),
            dispatcher=get_dispatcher(),
        )
        db.session.commit()
    except OperationalError:
        # The database is unreachable: answer a crisis anyway and keep the text aside.
        db.session.rollback()
        replies, kept = outage.answer_without_database(
            to=to,
            from_=from_,
            body=form.get("Body", ""),
            message_sid=message_sid,
            now=clock.now(),
            vault=get_vault(),
            connection=get_redis(),
            prefix=current_app.config["RQ_QUEUE_PREFIX"],
            spool_dir=spoolfile.directory(current_app.instance_path),
        )
        if kept == "file":  # stored by this process once the database is back
            outage.ingest_in_background(current_app._get_current_object())
        if not kept and not replies:
            return twiml(), 503  # Twilio tries the Fallback URL, or again later
        return twiml(replies)
    if result.needs_processing:
        enqueue_inbound(get_dispatcher(), result.message_id, crisis=result.is_crisis, fresh=True)
    return twiml(result.replies)


@bp.post("/status")
@csrf.exempt
def status_callback():
    """Twilio's delivery status callback for messages we sent."""
    _require_signature()
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid")
    new_status = form.get("MessageStatus") or form.get("SmsStatus")
    if not sid or not new_status:
        return "", 400
    error_code = status.parse_error_code(form.get("ErrorCode"))
    now = clock.now()
    result = status.apply_status(
        db.session, sid=sid, status=new_status, error_code=error_code, now=now
    )
    if result.opted_out_texter_id is not None:
        opt_out(
            db.session,
            texter_id=result.opted_out_texter_id,
            now=now,
            dispatcher=get_dispatcher(),
        )
    db.session.commit()
    return "", 204
