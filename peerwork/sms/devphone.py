"""The development phone: text a program as a made-up employee.

Only registered when DEV_PHONE_ENABLED (development without Twilio). Texts
typed here go through the same domain code as Twilio's webhook
(`inbound.receive`, then the `process_inbound` job); replies sent by the
local transport appear in the thread. The chosen number lives in the
session cookie, never in a URL, so it reaches no access log.
"""

from __future__ import annotations

import secrets
import uuid
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
from peerwork.models import Message, Program
from peerwork.phones import InvalidPhoneNumber, normalize
from peerwork.sms import inbound
from peerwork.sms.jobs import enqueue_inbound

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
            )
            .order_by(Message.created_at, Message.id)
        )
    )


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
        phone_form=phone_form,
        text_form=TextForm(),
    )


@bp.get("/thread")
def thread():
    _programs_list, program, _phone, messages = _context()
    return render_template("devphone/_thread.html", program=program, thread=messages)


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
