"""The development phone: text a program as a made-up employee.

Only registered when DEV_PHONE_ENABLED (development without Twilio). Texts
typed here go through the same domain code as Twilio's webhook
(`inbound.receive`, then the `process_inbound` job); replies sent by the
local transport appear in the thread. The chosen number lives in the
session cookie, never in a URL, so it reaches no access log.

The page also shows the program's whole outbox: every outbound SMS, to
texters, peers' phones and escalation contacts alike (named, never by
number), so staff texts are visible in development too. Twilio itself
answers STOP and START on a real number; the thread shows where that
reply would arrive, since peerwork sends none.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from peerwork import clock
from peerwork.extensions import db, get_dispatcher, get_vault
from peerwork.models import EscalationContact, Message, PeerProfile, Program, Texter
from peerwork.phones import InvalidPhoneNumber, normalize
from peerwork.texter import inbound
from peerwork.texter.inbound import enqueue_inbound
from peerwork.texter.keywords import OPT_IN_WORDS, OPT_OUT_WORDS
from peerwork.texter.keywords import normalize as keyword_of

bp = Blueprint("devphone", __name__)

_SESSION_KEY = "devphone"


class PhoneForm(FlaskForm):
    program = SelectField("Program to text", coerce=int, validators=[DataRequired()])
    phone = StringField("Your made-up phone number", validators=[DataRequired(), Length(max=30)])
    submit = SubmitField("Use this phone")

    def validate_phone(self, field) -> None:
        try:
            field.data = normalize(field.data)
        except InvalidPhoneNumber as exc:
            raise ValidationError(str(exc)) from None


class TextForm(FlaskForm):
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=1600)])
    submit = SubmitField("Send")


def made_up_number() -> str:
    """A fictional North American number (555-01xx is reserved for fiction)."""
    return f"+1716555{secrets.randbelow(100):04d}"


def text_in(
    db_session: Session,
    *,
    program: Program,
    phone: str,
    body: str,
    now: datetime,
    vault,
    dispatcher=None,
) -> inbound.InboundResult:
    """Deliver a dev-phone text exactly as Twilio's webhook would."""
    return inbound.receive(
        db_session,
        to=program.sms_number,
        from_=phone,
        body=body,
        message_sid=f"SMdev{uuid.uuid4().hex}",
        now=now,
        vault=vault,
        dispatcher=dispatcher,
    )


# What Twilio itself answers on a real number (Advanced Opt-Out defaults);
# peerwork sends nothing for these words.
TWILIO_REPLIES = {
    "opt_out": "You have successfully been unsubscribed. You will not receive any more messages "
    "from this number. Reply START to resubscribe.",
    "opt_in": "You have successfully been re-subscribed to messages from this number.",
}


def twilio_reply_to(message: Message) -> str | None:
    """The reply Twilio itself would send to this inbound text, if any."""
    if message.direction != "inbound":
        return None
    word = keyword_of(message.body)
    if word in OPT_OUT_WORDS:
        return TWILIO_REPLIES["opt_out"]
    if word in OPT_IN_WORDS:
        return TWILIO_REPLIES["opt_in"]
    return None


def thread_for(db_session: Session, *, program: Program, phone: str, vault) -> list[Message]:
    """What this phone sent to and received from the program, oldest first."""
    texter = inbound.find_texter(db_session, program_id=program.id, phone=phone, vault=vault)
    if texter is None:
        return []
    return list(
        db_session.scalars(
            select(Message)
            .where(
                Message.texter_id == texter.id,
                or_(Message.direction == "inbound", Message.recipient == "texter"),
                # Notes in a peer's thread are never texted.
                Message.kind != "note",
            )
            .order_by(Message.created_at, Message.id)
        )
    )


@dataclass(frozen=True)
class OutboxEntry:
    message: Message
    to: str  # who it is for, by name or pseudonym, never by number


def outbox_for(db_session: Session, *, program: Program, limit: int = 50) -> list[OutboxEntry]:
    """Every outbound SMS of the program, newest first, to texters and staff alike."""
    rows = db_session.scalars(
        select(Message)
        .where(
            Message.program_id == program.id,
            Message.direction == "outbound",
            Message.kind != "note",
        )
        .order_by(Message.id.desc())
        .limit(limit)
    ).all()

    def names(model, ids, label):
        ids = {i for i in ids if i is not None}
        if not ids:
            return {}
        return {
            row.id: label(row) for row in db_session.scalars(select(model).where(model.id.in_(ids)))
        }

    texters = names(Texter, (m.texter_id for m in rows), lambda t: f"texter {t.pseudonym}")
    peers = names(
        PeerProfile, (m.peer_profile_id for m in rows), lambda p: f"peer {p.alias}'s phone"
    )
    contacts = names(
        EscalationContact,
        (m.contact_id for m in rows),
        lambda c: f"{c.name} ({'backup, ' if c.is_backup else ''}number ending {c.phone_last4})",
    )
    entries = []
    for m in rows:
        if m.recipient == "contact":
            to = contacts.get(m.contact_id, "an escalation contact")
        elif m.recipient == "peer":
            to = peers.get(m.peer_profile_id, "a peer's phone")
        else:
            to = texters.get(m.texter_id, "a texter")
        entries.append(OutboxEntry(m, to))
    return entries


@bp.before_request
def development_only():
    if current_app.config["ENV"] == "production" or not current_app.config["DEV_PHONE_ENABLED"]:
        abort(404)


def _programs() -> list[Program]:
    return list(
        db.session.scalars(
            select(Program).where(Program.sms_number.is_not(None)).order_by(Program.name)
        )
    )


def _chosen(programs: list[Program]) -> tuple[Program | None, str]:
    state = session.get(_SESSION_KEY) or {}
    program = next((p for p in programs if p.id == state.get("program_id")), None)
    if program is None and programs:
        program = programs[0]
    return program, state.get("phone") or ""


def _context():
    programs = _programs()
    program, phone = _chosen(programs)
    if not phone:
        phone = made_up_number()
        session[_SESSION_KEY] = {"program_id": program.id if program else None, "phone": phone}
    thread = (
        thread_for(db.session, program=program, phone=phone, vault=get_vault()) if program else []
    )
    return programs, program, phone, thread


@bp.get("/")
def index():
    programs, program, phone, thread = _context()
    phone_form = PhoneForm(program=program.id if program else None, phone=phone)
    phone_form.program.choices = [(p.id, f"{p.name} ({p.sms_number})") for p in programs]
    return render_template(
        "devphone/index.html",
        programs=programs,
        program=program,
        phone=phone,
        thread=thread,
        outbox=outbox_for(db.session, program=program) if program else [],
        twilio_reply_to=twilio_reply_to,
        phone_form=phone_form,
        text_form=TextForm(),
    )


@bp.get("/thread")
def thread():
    _programs_list, program, _phone, messages = _context()
    return render_template(
        "devphone/_thread.html", program=program, thread=messages, twilio_reply_to=twilio_reply_to
    )


@bp.get("/outbox")
def outbox():
    _programs_list, program, _phone, _messages = _context()
    entries = outbox_for(db.session, program=program) if program else []
    return render_template("devphone/_outbox.html", program=program, outbox=entries)


@bp.post("/phone")
def choose_phone():
    programs = _programs()
    form = PhoneForm()
    form.program.choices = [(p.id, p.name) for p in programs]
    if not form.validate_on_submit():
        program, phone = _chosen(programs)
        return render_template(
            "devphone/index.html",
            programs=programs,
            program=program,
            phone=phone,
            thread=[],
            outbox=[],
            twilio_reply_to=twilio_reply_to,
            phone_form=form,
            text_form=TextForm(),
        ), 400
    session[_SESSION_KEY] = {"program_id": form.program.data, "phone": form.phone.data}
    return redirect(url_for("devphone.index"))


@bp.post("/send")
def send():
    programs, program, phone, _thread = _context()
    form = TextForm()
    if program is None or not form.validate_on_submit():
        return redirect(url_for("devphone.index"))
    result = text_in(
        db.session,
        program=program,
        phone=phone,
        body=form.body.data,
        now=clock.now(),
        vault=get_vault(),
        dispatcher=get_dispatcher(),
    )
    db.session.commit()
    if result.needs_processing:
        enqueue_inbound(get_dispatcher(), result.message_id, crisis=result.is_crisis)
    return redirect(url_for("devphone.index") + "#compose")
