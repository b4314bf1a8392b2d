"""The quick start: one page from nothing to a program that only waits for its peers."""

from __future__ import annotations

from flask import current_app, render_template
from flask_login import current_user

from peerwork import clock
from peerwork.admin import launch, timezones, volunteers
from peerwork.admin.forms import ActionForm, QuickStartForm
from peerwork.admin.mail import Mailer
from peerwork.admin.quickstart import Contact, quick_start
from peerwork.admin.setup_common import SetupError
from peerwork.admin.views.common import bp, invite_link, show_error
from peerwork.extensions import db, get_vault


def _contacts(form: QuickStartForm) -> list[Contact]:
    people = [Contact(form.contact_name.data, form.contact_phone.data, "contact")]
    if form.backup_phone.data:
        people.append(Contact(form.backup_name.data, form.backup_phone.data, "backup"))
    return people


@bp.route("/programs/quick-start", methods=["GET", "POST"])
def quick_start_page():
    form = QuickStartForm()
    form.timezone.choices = timezones.choices_for()
    if not form.is_submitted():
        form.timezone.data = "America/New_York"
        form.contact_name.data = current_user.name
    if form.validate_on_submit():
        config = current_app.config
        try:
            result = quick_start(
                db.session,
                organization_id=current_user.organization_id,
                name=form.name.data,
                timezone=form.timezone.data,
                sms_number=form.sms_number.data,
                escalation_contacts=_contacts(form),
                emails=volunteers.parse_emails(form.emails.data)
                if (form.emails.data or "").strip()
                else [],
                secret_key=config["SECRET_KEY"],
                invite_max_age_seconds=config["INVITE_MAX_AGE_SECONDS"],
                vault=get_vault(),
                now=clock.now(),
                actor=current_user,
            )
        except SetupError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            # The invite links are shown once, here: only a hash of each is stored.
            links = {o.email: invite_link(o.token) for o in result.invites if o.token}
            emailed = _email_links(result.program, links)
            program = result.program
            return render_template(
                "admin/quick_start_done.html",
                program=program,
                checklist=launch.checklist(db.session, program, clock.now()),
                invites=[
                    (o.email, links.get(o.email), o.skipped, emailed.get(o.email))
                    for o in result.invites
                ],
                action_form=ActionForm(),
                step="overview",
            )
    return render_template("admin/quick_start.html", form=form)


def _email_links(program, links: dict[str, str]) -> dict[str, bool]:
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
