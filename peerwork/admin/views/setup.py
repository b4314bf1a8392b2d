"""Program setup: the dashboard, a new program, its status, settings, hours, texts and Twilio."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from peerwork import clock, languages
from peerwork import hours as sms_hours
from peerwork.admin import launch, programs, test_sms, timezones
from peerwork.admin.forms import (
    ActionForm,
    NewProgramForm,
    SettingsForm,
    TestSmsForm,
    choices,
    hours_form_class,
    texts_form_class,
)
from peerwork.admin.views.common import bp, load_child, load_program, save_form, saved, show_error
from peerwork.extensions import db, get_dispatcher
from peerwork.models import WEEKDAYS, EscalationContact, Message, Program
from peerwork.models.states import IllegalTransition
from peerwork.sms import texts as sms_texts
from peerwork.sms import wording as sms_wording

# -- programs -------------------------------------------------------------------------


@bp.get("/")
def dashboard():
    now = clock.now()
    rows = db.session.scalars(
        select(Program)
        .where(Program.organization_id == current_user.organization_id)
        .order_by(Program.status == "closed", Program.name)
    ).all()
    overview = [(p, launch.checklist(db.session, p, now)) for p in rows]
    return render_template("admin/dashboard.html", overview=overview)


@bp.route("/programs/new", methods=["GET", "POST"])
def new_program():
    form = NewProgramForm()
    form.timezone.choices = timezones.choices_for()
    if request.method == "GET":
        form.timezone.data = "America/New_York"

    def act():
        program = programs.create_program(
            db.session,
            organization_id=current_user.organization_id,
            name=form.name.data,
            timezone=form.timezone.data,
            now=clock.now(),
            actor=current_user,
        )
        return program

    response = save_form(
        form,
        act,
        lambda program: (
            "Program created. Next: its SMS number and settings.",
            "admin.settings",
            {"program_id": program.id},
        ),
    )
    if response is not None:
        return response
    return render_template("admin/new_program.html", form=form)


@bp.get("/programs/<int:program_id>")
def program(program_id: int):
    program = load_program(program_id)
    return render_template(
        "admin/program.html",
        program=program,
        checklist=launch.checklist(db.session, program, clock.now()),
        action_form=ActionForm(),
        step="overview",
    )


@bp.post("/programs/<int:program_id>/status/<any(launch,pause,resume,close):action>")
def program_status(program_id: int, action: str):
    program = load_program(program_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        blocked = programs.change_status(
            db.session, program=program, action=action, now=clock.now(), actor=current_user
        )
    except IllegalTransition:
        db.session.rollback()
        flash(f"The program is {program.status}; it cannot {action} now.", "error")
        return redirect(url_for("admin.program", program_id=program.id))
    if blocked is not None:
        db.session.rollback()
        flash(
            "Not launched yet: " + "; ".join(item.label.lower() for item in blocked.blocking) + ".",
            "error",
        )
        return redirect(url_for("admin.program", program_id=program.id))
    done = {
        "launch": "The program is live.",
        "resume": "The program is live again.",
        "pause": "The program is paused. Texters get the paused text and crisis lines.",
        "close": "The program is closed. Texters still get the crisis lines.",
    }
    return saved(done[action], "admin.program", program_id=program.id)


@bp.route("/programs/<int:program_id>/settings", methods=["GET", "POST"])
def settings(program_id: int):
    program = load_program(program_id)
    form = SettingsForm(obj=program)
    form.timezone.choices = timezones.choices_for(program.timezone)
    if request.method == "GET":
        form.offered_languages.data = languages.parse_list(program.languages)

    def act():
        values = {key: form[key].data for key in programs.SETTINGS_FIELDS if key in form}
        values["languages"] = form.offered_languages.data or []
        programs.update_settings(
            db.session, program=program, values=values, now=clock.now(), actor=current_user
        )

    response = save_form(
        form, act, lambda _: ("Settings saved.", "admin.settings", {"program_id": program.id})
    )
    if response is not None:
        return response
    return render_template("admin/settings.html", program=program, form=form, step="settings")


@bp.route("/programs/<int:program_id>/hours", methods=["GET", "POST"])
def hours(program_id: int):
    program = load_program(program_id)
    form = hours_form_class()()
    if request.method == "GET":
        for day in WEEKDAYS:
            spans = (program.hours or {}).get(day) or []
            form[f"open_{day}"].data = bool(spans)
            start, end = spans[0] if spans else ("09:00", "17:00")
            form[f"start_{day}"].data = start
            form[f"end_{day}"].data = sms_hours.form_end(end)
        form.closed_dates.data = "\n".join(program.closed_dates or [])

    def act():
        rows = {
            day: (form[f"open_{day}"].data, form[f"start_{day}"].data, form[f"end_{day}"].data)
            for day in WEEKDAYS
        }
        weekly = programs.parse_hours(rows)
        closed = programs.parse_closed_dates(form.closed_dates.data)
        programs.set_hours(
            db.session,
            program=program,
            hours=weekly,
            closed_dates=closed,
            now=clock.now(),
            actor=current_user,
        )

    def on_error(error):
        if error.field in WEEKDAYS:
            error.field = f"end_{error.field}"

    response = save_form(
        form,
        act,
        lambda _: ("Hours saved.", "admin.hours", {"program_id": program.id}),
        on_error=on_error,
    )
    if response is not None:
        return response
    return render_template(
        "admin/hours.html", program=program, form=form, weekdays=WEEKDAYS, step="hours"
    )


@bp.route("/programs/<int:program_id>/texts", methods=["GET", "POST"])
def texts(program_id: int):
    program = load_program(program_id)
    form = texts_form_class()()
    if request.method == "GET":
        for key in sms_texts.EDITABLE:
            form[key].data = sms_texts.template_for(key, program.texts)
    if form.validate_on_submit():
        wordings = {key: form[key].data for key in sms_texts.EDITABLE}
        # Check every text first so all problems show at once, and nothing is saved.
        samples = programs.placeholder_samples(program)
        problems = {
            key: sms_wording.text_errors(key, wording.replace("\r\n", "\n").strip(), samples)
            for key, wording in wordings.items()
            if wording.strip()
        }
        for key, errors in problems.items():
            form[key].errors = [*form[key].errors, *errors]
        if not any(problems.values()):
            try:
                programs.set_texts(
                    db.session,
                    program=program,
                    wordings=wordings,
                    now=clock.now(),
                    actor=current_user,
                )
            except programs.SetupError as error:
                db.session.rollback()
                show_error(form, error)
            else:
                return saved("Texts saved.", "admin.texts", program_id=program.id)
    return render_template(
        "admin/texts.html",
        program=program,
        form=form,
        specs=sms_texts.EDITABLE,
        samples=programs.placeholder_samples(program),
        step="texts",
    )


# -- Twilio --------------------------------------------------------------------------------


def _webhook_url(endpoint_path: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url.rstrip("/")
    return base + endpoint_path


@bp.route("/programs/<int:program_id>/twilio", methods=["GET", "POST"])
def twilio(program_id: int):
    program = load_program(program_id)
    form = TestSmsForm()
    rows = db.session.scalars(
        select(EscalationContact)
        .where(EscalationContact.program_id == program.id)
        .order_by(EscalationContact.position)
    ).all()
    form.contact_id.choices = choices((c.id, f"{c.name} (••••{c.phone_last4})") for c in rows)

    def act():
        contact = load_child(EscalationContact, form.contact_id.data, program)
        test_sms.send_test_sms(
            db.session,
            program=program,
            contact=contact,
            now=clock.now(),
            actor=current_user,
            dispatcher=get_dispatcher(),
        )
        return contact

    response = save_form(
        form,
        act,
        lambda contact: (
            f"Test SMS queued to {contact.name}. Its status appears below.",
            "admin.twilio",
            {"program_id": program.id},
        ),
    )
    if response is not None:
        return response
    config = current_app.config
    recent = db.session.scalars(
        select(Message)
        .where(Message.program_id == program.id, Message.kind == "test")
        .order_by(Message.id.desc())
        .limit(5)
    ).all()
    return render_template(
        "admin/twilio.html",
        program=program,
        form=form,
        contacts={c.id: c for c in rows},
        recent=recent,
        inbound_url=_webhook_url("/sms/inbound"),
        status_url=_webhook_url("/sms/status"),
        has_base_url=bool(config.get("PUBLIC_BASE_URL")),
        has_sid=bool(config.get("TWILIO_ACCOUNT_SID")),
        has_token=bool(config.get("TWILIO_AUTH_TOKEN")),
        step="twilio",
    )
