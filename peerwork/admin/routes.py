"""HR admin pages: thin views over the domain functions of `peerwork.admin.*`.

Every object loaded by id is checked against the caller's organization (404
otherwise); every change is audited by the domain function it calls.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from peerwork import clock
from peerwork import hours as sms_hours
from peerwork.access import in_program_or_404, program_or_404, roles_required
from peerwork.admin import audit_view, contacts, programs, reports, resources, volunteers
from peerwork.admin.forms import (
    ActionForm,
    AuditFilterForm,
    ContactForm,
    InviteForm,
    NewProgramForm,
    ResourceForm,
    SettingsForm,
    TestSmsForm,
    TopicForm,
    choices,
    hours_form_class,
    texts_form_class,
)
from peerwork.admin.mail import Mailer
from peerwork.extensions import db, get_dispatcher, get_vault
from peerwork.models import (
    WEEKDAYS,
    EscalationContact,
    Invite,
    Message,
    PeerProfile,
    Program,
    Resource,
    Topic,
    User,
)
from peerwork.models.states import IllegalTransition
from peerwork.sms import texts as sms_texts
from peerwork.sms import wording as sms_wording

bp = Blueprint("admin", __name__)


@bp.before_request
@roles_required("admin")
def _admins_only():
    """Every page of this blueprint is for admins (login redirect / 403 otherwise)."""


# -- helpers ---------------------------------------------------------------------------


def _program(program_id: int) -> Program:
    return program_or_404(program_id)


def _child(model, object_id: int, program: Program):
    return in_program_or_404(model, object_id, program.id)


def _peer(program: Program, peer_id: int) -> PeerProfile:
    return _child(PeerProfile, peer_id, program)


def _show_error(form, error: programs.SetupError) -> None:
    """Attach a domain error to its form field, inline; else show it at the top."""
    target = getattr(form, error.field, None)
    if target is None or not hasattr(target, "errors"):
        flash(error.message, "error")
        return
    target.errors = [*target.errors, error.message]


def _saved(message: str, endpoint: str, **values):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def _invite_link(token: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base + url_for("auth.accept_invite", token=token)
    return url_for("auth.accept_invite", token=token, _external=True)


def _training_url(program: Program | None = None) -> str | None:
    """The training helper's authoring page for `program` (mounted at /admin/training)."""
    views = current_app.view_functions
    if program is not None and "training.program" in views:
        return url_for("training.program", program_id=program.id)
    return url_for("training.index") if "training.index" in views else None


@bp.app_context_processor
def _admin_helpers():
    return {"training_url": _training_url, "day_names": sms_hours.DAY_NAMES}


# -- programs -------------------------------------------------------------------------


@bp.get("/")
def dashboard():
    now = clock.now()
    rows = db.session.scalars(
        select(Program)
        .where(Program.organization_id == current_user.organization_id)
        .order_by(Program.status == "closed", Program.name)
    ).all()
    overview = [(p, programs.checklist(db.session, p, now)) for p in rows]
    return render_template("admin/dashboard.html", overview=overview)


@bp.route("/programs/new", methods=["GET", "POST"])
def new_program():
    form = NewProgramForm()
    form.timezone.choices = choices((z, z) for z in programs.timezone_choices())
    if request.method == "GET":
        form.timezone.data = "America/New_York"
    if form.validate_on_submit():
        try:
            program = programs.create_program(
                db.session,
                organization_id=current_user.organization_id,
                name=form.name.data,
                timezone=form.timezone.data,
                now=clock.now(),
                actor=current_user,
            )
        except programs.SetupError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            return _saved(
                "Program created. Next: its SMS number and settings.",
                "admin.settings",
                program_id=program.id,
            )
    return render_template("admin/new_program.html", form=form)


@bp.get("/programs/<int:program_id>")
def program(program_id: int):
    program = _program(program_id)
    return render_template(
        "admin/program.html",
        program=program,
        checklist=programs.checklist(db.session, program, clock.now()),
        action_form=ActionForm(),
        step="overview",
    )


@bp.post("/programs/<int:program_id>/status/<any(launch,pause,resume,close):action>")
def program_status(program_id: int, action: str):
    program = _program(program_id)
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
    return _saved(done[action], "admin.program", program_id=program.id)


@bp.route("/programs/<int:program_id>/settings", methods=["GET", "POST"])
def settings(program_id: int):
    program = _program(program_id)
    form = SettingsForm(obj=program)
    form.timezone.choices = choices((z, z) for z in programs.timezone_choices())
    if form.validate_on_submit():
        values = {key: form[key].data for key in programs.SETTINGS_FIELDS}
        try:
            programs.update_settings(
                db.session, program=program, values=values, now=clock.now(), actor=current_user
            )
        except programs.SetupError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            return _saved("Settings saved.", "admin.settings", program_id=program.id)
    return render_template("admin/settings.html", program=program, form=form, step="settings")


@bp.route("/programs/<int:program_id>/hours", methods=["GET", "POST"])
def hours(program_id: int):
    program = _program(program_id)
    form = hours_form_class()()
    if request.method == "GET":
        for day in WEEKDAYS:
            spans = (program.hours or {}).get(day) or []
            form[f"open_{day}"].data = bool(spans)
            start, end = spans[0] if spans else ("09:00", "17:00")
            form[f"start_{day}"].data = start
            form[f"end_{day}"].data = sms_hours.form_end(end)
        form.closed_dates.data = "\n".join(program.closed_dates or [])
    if form.validate_on_submit():
        rows = {
            day: (form[f"open_{day}"].data, form[f"start_{day}"].data, form[f"end_{day}"].data)
            for day in WEEKDAYS
        }
        try:
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
        except programs.SetupError as error:
            db.session.rollback()
            if error.field in WEEKDAYS:
                error.field = f"end_{error.field}"
            _show_error(form, error)
        else:
            return _saved("Hours saved.", "admin.hours", program_id=program.id)
    return render_template(
        "admin/hours.html", program=program, form=form, weekdays=WEEKDAYS, step="hours"
    )


@bp.route("/programs/<int:program_id>/texts", methods=["GET", "POST"])
def texts(program_id: int):
    program = _program(program_id)
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
                _show_error(form, error)
            else:
                return _saved("Texts saved.", "admin.texts", program_id=program.id)
    return render_template(
        "admin/texts.html",
        program=program,
        form=form,
        specs=sms_texts.EDITABLE,
        samples=programs.placeholder_samples(program),
        step="texts",
    )


# -- topics ---------------------------------------------------------------------------


@bp.route("/programs/<int:program_id>/topics", methods=["GET", "POST"])
def topics(program_id: int):
    program = _program(program_id)
    form = TopicForm()
    if form.validate_on_submit():
        try:
            programs.add_topic(
                db.session,
                program=program,
                name=form.name.data,
                keywords=programs.parse_keywords(form.keywords.data),
                description=form.description.data,
                now=clock.now(),
                actor=current_user,
            )
        except programs.SetupError as error:
            db.session.rollback()
            db.session.refresh(program)
            _show_error(form, error)
        else:
            return _saved(f"Topic “{form.name.data.strip()}” added.", "admin.topics",
                          program_id=program.id)  # fmt: skip
    return render_template(
        "admin/topics.html", program=program, form=form, action_form=ActionForm(), step="topics"
    )


@bp.route("/programs/<int:program_id>/topics/<int:topic_id>", methods=["GET", "POST"])
def topic_edit(program_id: int, topic_id: int):
    program = _program(program_id)
    topic = _child(Topic, topic_id, program)
    form = TopicForm(obj=topic)
    if request.method == "GET":
        form.keywords.data = ", ".join(topic.keywords or [])
    if form.validate_on_submit():
        try:
            programs.update_topic(
                db.session,
                topic=topic,
                name=form.name.data,
                keywords=programs.parse_keywords(form.keywords.data),
                description=form.description.data,
                now=clock.now(),
                actor=current_user,
            )
        except programs.SetupError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            return _saved("Topic saved.", "admin.topics", program_id=program.id)
    return render_template(
        "admin/topic_edit.html", program=program, topic=topic, form=form, step="topics"
    )


@bp.post("/programs/<int:program_id>/topics/<int:topic_id>/<any(up,down,retire,restore):move>")
def topic_action(program_id: int, topic_id: int, move: str):
    program = _program(program_id)
    topic = _child(Topic, topic_id, program)
    if not ActionForm().validate_on_submit():
        abort(400)
    now = clock.now()
    try:
        if move in ("up", "down"):
            programs.move_topic(
                db.session, topic=topic, offset=-1 if move == "up" else 1, now=now,
                actor=current_user,
            )  # fmt: skip
            message = "Menu order saved."
        elif move == "retire":
            programs.retire_topic(db.session, topic=topic, now=now, actor=current_user)
            message = f"“{topic.name}” is off the menu."
        else:
            programs.restore_topic(db.session, topic=topic, now=now, actor=current_user)
            message = f"“{topic.name}” is back on the menu."
    except programs.SetupError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.topics", program_id=program.id))
    return _saved(message, "admin.topics", program_id=program.id)


# -- escalation contacts -------------------------------------------------------------------


def _contact_form(program: Program, obj=None) -> ContactForm:
    form = ContactForm(obj=obj)
    staff = contacts.staff_choices(db.session, program.organization_id)
    form.user_id.choices = choices([(0, "No account (SMS only)")] + [(u.id, u.name) for u in staff])
    if request.method == "GET":
        form.phone.data = ""
        form.user_id.data = (obj.user_id if obj else None) or 0
    return form


@bp.route("/programs/<int:program_id>/contacts", methods=["GET", "POST"])
def contacts_page(program_id: int):
    program = _program(program_id)
    form = _contact_form(program)
    if form.validate_on_submit():
        if not form.phone.data:
            form.phone.errors = [*form.phone.errors, "Enter a mobile number for crisis alerts."]
        else:
            try:
                contacts.add_contact(
                    db.session,
                    program=program,
                    name=form.name.data,
                    phone_e164=form.phone.data,
                    user_id=form.user_id.data or None,
                    is_backup=form.is_backup.data,
                    vault=get_vault(),
                    now=clock.now(),
                    actor=current_user,
                )
            except programs.SetupError as error:
                db.session.rollback()
                _show_error(form, error)
            else:
                return _saved("Escalation contact added.", "admin.contacts_page",
                              program_id=program.id)  # fmt: skip
    # Never echo a number back into the page, whichever field was refused.
    form.phone.data = ""
    rows = db.session.scalars(
        select(EscalationContact)
        .where(EscalationContact.program_id == program.id)
        .order_by(EscalationContact.is_backup, EscalationContact.position)
    ).all()
    users = {u.id: u for u in contacts.staff_choices(db.session, program.organization_id)}
    return render_template(
        "admin/contacts.html",
        program=program,
        form=form,
        contacts=rows,
        users=users,
        action_form=ActionForm(),
        step="contacts",
    )


@bp.route("/programs/<int:program_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
def contact_edit(program_id: int, contact_id: int):
    program = _program(program_id)
    contact = _child(EscalationContact, contact_id, program)
    form = _contact_form(program, contact)
    if form.validate_on_submit():
        try:
            contacts.update_contact(
                db.session,
                program=program,
                contact=contact,
                name=form.name.data,
                phone_e164=form.phone.data,
                user_id=form.user_id.data or None,
                is_backup=form.is_backup.data,
                vault=get_vault(),
                now=clock.now(),
                actor=current_user,
            )
        except programs.SetupError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            return _saved("Contact saved.", "admin.contacts_page", program_id=program.id)
    form.phone.data = ""
    return render_template(
        "admin/contact_edit.html", program=program, contact=contact, form=form, step="contacts"
    )


@bp.post("/programs/<int:program_id>/contacts/<int:contact_id>/remove")
def contact_remove(program_id: int, contact_id: int):
    program = _program(program_id)
    contact = _child(EscalationContact, contact_id, program)
    if not ActionForm().validate_on_submit():
        abort(400)
    contacts.remove_contact(
        db.session, program=program, contact=contact, now=clock.now(), actor=current_user
    )
    return _saved("Contact removed.", "admin.contacts_page", program_id=program.id)


# -- resources --------------------------------------------------------------------------


def _resource_form(program: Program, obj=None) -> ResourceForm:
    form = ResourceForm(obj=obj)
    form.topic_ids.choices = choices((t.id, t.name) for t in programs.active_topics(program))
    return form


def _resource_values(form: ResourceForm) -> dict:
    return {key: form[key].data for key in resources.FIELDS}


@bp.route("/programs/<int:program_id>/resources", methods=["GET", "POST"])
def resources_page(program_id: int):
    program = _program(program_id)
    form = _resource_form(program)
    if form.validate_on_submit():
        try:
            resources.add_resource(
                db.session,
                program=program,
                values=_resource_values(form),
                now=clock.now(),
                actor=current_user,
            )
        except programs.SetupError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            return _saved("Resource added.", "admin.resources_page", program_id=program.id)
    topic_names = {t.id: t.name for t in program.topics}
    return render_template(
        "admin/resources.html",
        program=program,
        form=form,
        resources=resources.list_resources(db.session, program),
        topic_names=topic_names,
        action_form=ActionForm(),
        step="resources",
    )


@bp.route("/programs/<int:program_id>/resources/<int:resource_id>", methods=["GET", "POST"])
def resource_edit(program_id: int, resource_id: int):
    program = _program(program_id)
    resource = _child(Resource, resource_id, program)
    form = _resource_form(program, resource)
    if form.validate_on_submit():
        try:
            resources.update_resource(
                db.session,
                program=program,
                resource=resource,
                values=_resource_values(form),
                now=clock.now(),
                actor=current_user,
            )
        except programs.SetupError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            return _saved("Resource saved.", "admin.resources_page", program_id=program.id)
    return render_template(
        "admin/resource_edit.html", program=program, resource=resource, form=form,
        step="resources",
    )  # fmt: skip


@bp.post("/programs/<int:program_id>/resources/<int:resource_id>/<any(retire,restore):move>")
def resource_action(program_id: int, resource_id: int, move: str):
    program = _program(program_id)
    resource = _child(Resource, resource_id, program)
    if not ActionForm().validate_on_submit():
        abort(400)
    resources.set_retired(
        db.session,
        program=program,
        resource=resource,
        retired=move == "retire",
        now=clock.now(),
        actor=current_user,
    )
    message = "Hidden from texters." if move == "retire" else "Shown to texters again."
    return _saved(message, "admin.resources_page", program_id=program.id)


# -- volunteers ---------------------------------------------------------------------------


def _volunteers_page(program: Program, form: InviteForm, new_links=None, status: int = 200):
    now = clock.now()
    return render_template(
        "admin/volunteers.html",
        program=program,
        form=form,
        roster=volunteers.roster(db.session, program, now),
        invites=volunteers.pending_invites(db.session, program),
        new_links=new_links or [],
        action_form=ActionForm(),
        now=now,
        step="volunteers",
    ), status


@bp.route("/programs/<int:program_id>/volunteers", methods=["GET", "POST"])
def volunteers_page(program_id: int):
    program = _program(program_id)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            outcomes = volunteers.invite_volunteers(
                db.session,
                program=program,
                emails=volunteers.parse_emails(form.emails.data),
                secret_key=current_app.config["SECRET_KEY"],
                max_age_seconds=current_app.config["INVITE_MAX_AGE_SECONDS"],
                now=clock.now(),
                actor=current_user,
            )
        except programs.SetupError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            # Links are shown once, on this response: only a hash of each is stored.
            links = {o.email: _invite_link(o.token) for o in outcomes if o.token}
            emailed = _email_links(program, links)
            rows = [
                (o.email, links.get(o.email), o.skipped, emailed.get(o.email)) for o in outcomes
            ]
            return _volunteers_page(program, InviteForm(formdata=None), rows)
    return _volunteers_page(program, form)


def _email_links(program: Program, links: dict[str, str]) -> dict[str, bool]:
    """Email the links when SMTP_URL is set; {} when mail is not configured."""
    smtp_url = current_app.config.get("SMTP_URL")
    if not smtp_url or not links:
        return {}
    return volunteers.email_invites(
        Mailer(smtp_url, current_app.config.get("MAIL_FROM")),
        program=program,
        organization_name=program.organization.name,
        links=links,
        days=max(1, current_app.config["INVITE_MAX_AGE_SECONDS"] // 86400),
    )


def _invite(program: Program, invite_id: int) -> Invite:
    return _child(Invite, invite_id, program)


@bp.post("/programs/<int:program_id>/invites/<int:invite_id>/revoke")
def invite_revoke(program_id: int, invite_id: int):
    program = _program(program_id)
    invite = _invite(program, invite_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    volunteers.revoke_invite(
        db.session, program=program, invite=invite, now=clock.now(), actor=current_user
    )
    return _saved("Invite withdrawn.", "admin.volunteers_page", program_id=program.id)


@bp.post("/programs/<int:program_id>/invites/<int:invite_id>/renew")
def invite_renew(program_id: int, invite_id: int):
    program = _program(program_id)
    invite = _invite(program, invite_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        token = volunteers.renew_invite(
            db.session,
            program=program,
            invite=invite,
            secret_key=current_app.config["SECRET_KEY"],
            max_age_seconds=current_app.config["INVITE_MAX_AGE_SECONDS"],
            now=clock.now(),
            actor=current_user,
        )
    except programs.SetupError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.volunteers_page", program_id=program.id))
    db.session.commit()
    link = _invite_link(token)
    emailed = _email_links(program, {invite.email: link})
    return _volunteers_page(
        program, InviteForm(formdata=None), [(invite.email, link, None, emailed.get(invite.email))]
    )


@bp.post("/programs/<int:program_id>/peers/<int:peer_id>/<any(deactivate,reactivate,promote):move>")
def peer_action(program_id: int, peer_id: int, move: str):
    program = _program(program_id)
    profile = _peer(program, peer_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    now = clock.now()
    name = profile.user.name
    try:
        if move == "deactivate":
            handed = volunteers.deactivate_peer(
                db.session,
                program=program,
                profile=profile,
                now=now,
                actor=current_user,
                dispatcher=get_dispatcher(),
            )
            message = f"{name} is deactivated." + (
                f" {handed} conversation{'s' if handed != 1 else ''} went back to matching."
                if handed
                else ""
            )
        elif move == "reactivate":
            volunteers.reactivate_peer(
                db.session, program=program, profile=profile, now=now, actor=current_user
            )
            message = f"{name} can sign in again."
        else:
            volunteers.promote_to_supervisor(
                db.session, program=program, profile=profile, now=now, actor=current_user
            )
            message = f"{name} is now a supervisor."
    except programs.SetupError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.volunteers_page", program_id=program.id))
    return _saved(message, "admin.volunteers_page", program_id=program.id)


# -- Twilio --------------------------------------------------------------------------------


def _webhook_url(endpoint_path: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url.rstrip("/")
    return base + endpoint_path


@bp.route("/programs/<int:program_id>/twilio", methods=["GET", "POST"])
def twilio(program_id: int):
    program = _program(program_id)
    form = TestSmsForm()
    rows = db.session.scalars(
        select(EscalationContact)
        .where(EscalationContact.program_id == program.id)
        .order_by(EscalationContact.position)
    ).all()
    form.contact_id.choices = choices((c.id, f"{c.name} (••••{c.phone_last4})") for c in rows)
    if form.validate_on_submit():
        contact = _child(EscalationContact, form.contact_id.data, program)
        try:
            programs.send_test_sms(
                db.session,
                program=program,
                contact=contact,
                now=clock.now(),
                actor=current_user,
                dispatcher=get_dispatcher(),
            )
        except programs.SetupError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            return _saved(
                f"Test SMS queued to {contact.name}. Its status appears below.",
                "admin.twilio",
                program_id=program.id,
            )
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


# -- reports and audit -----------------------------------------------------------------------

PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}


@bp.get("/programs/<int:program_id>/reports")
def program_reports(program_id: int):
    program = _program(program_id)
    period = request.args.get("days", "30")
    if period not in PERIODS:
        period = "30"
    until = clock.now()
    report = reports.program_report(
        db.session, program=program, since=until - timedelta(days=PERIODS[period]), until=until
    )
    return render_template(
        "admin/reports.html",
        program=program,
        report=report,
        period=period,
        periods=PERIODS,
        min_cell=reports.MIN_CELL,
        step="reports",
    )


@bp.get("/audit")
def audit_log():
    org_id = current_user.organization_id
    form = AuditFilterForm(request.args)
    recorded = audit_view.actions(db.session, org_id)
    areas = sorted({a.split(".")[0] for a in recorded})
    form.action.choices = choices(
        [("", "Any action")]
        + [(area, f"{area}: every action") for area in areas]
        + [(a, a) for a in recorded]
    )
    people = db.session.scalars(
        select(User).where(User.organization_id == org_id).order_by(User.name)
    ).all()
    form.actor.choices = choices([(0, "Anyone")] + [(u.id, u.name) for u in people])
    org_programs = db.session.scalars(
        select(Program).where(Program.organization_id == org_id).order_by(Program.name)
    ).all()
    form.program.choices = choices([(0, "Any program")] + [(p.id, p.name) for p in org_programs])
    # A search form: anything unreadable is ignored rather than refused.
    known_actions = {c.value for c in form.action.choices}
    action = request.args.get("action") if request.args.get("action") in known_actions else None
    tz = ZoneInfo(org_programs[0].timezone) if org_programs else UTC

    def day_start(value: date | None) -> datetime | None:
        return datetime.combine(value, time.min, tz).astimezone(UTC) if value else None

    since, until = form.since.data, form.until.data
    page = audit_view.search(
        db.session,
        organization_id=org_id,
        action=action,
        actor_user_id=request.args.get("actor", 0, type=int) or None,
        program_id=request.args.get("program", 0, type=int) or None,
        since=day_start(since),
        until=day_start(until + timedelta(days=1)) if until else None,
        page=request.args.get("page", 1, type=int),
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        args=args,
        programs={p.id: p.name for p in org_programs},
        tz=str(tz),
    )
