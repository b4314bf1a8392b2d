"""Volunteers: invites, and deactivating, reactivating or promoting a peer."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from peerwork import clock
from peerwork.admin import programs, volunteers
from peerwork.admin.forms import ActionForm, InviteForm
from peerwork.admin.mail import Mailer
from peerwork.admin.views.common import (
    bp,
    invite_link,
    load_child,
    load_peer,
    load_program,
    saved,
    show_error,
)
from peerwork.extensions import db, get_dispatcher
from peerwork.models import Invite, Program

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
        mail_on=bool(current_app.config.get("SMTP_URL")),
    ), status


@bp.route("/programs/<int:program_id>/volunteers", methods=["GET", "POST"])
def volunteers_page(program_id: int):
    program = load_program(program_id)
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
            show_error(form, error)
        else:
            db.session.commit()
            # Links are shown once, on this response: only a hash of each is stored.
            links = {o.email: invite_link(o.token) for o in outcomes if o.token}
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
    return load_child(Invite, invite_id, program)


@bp.post("/programs/<int:program_id>/invites/<int:invite_id>/revoke")
def invite_revoke(program_id: int, invite_id: int):
    program = load_program(program_id)
    invite = _invite(program, invite_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    volunteers.revoke_invite(
        db.session, program=program, invite=invite, now=clock.now(), actor=current_user
    )
    return saved("Invite withdrawn.", "admin.volunteers_page", program_id=program.id)


@bp.post("/programs/<int:program_id>/invites/<int:invite_id>/renew")
def invite_renew(program_id: int, invite_id: int):
    program = load_program(program_id)
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
    link = invite_link(token)
    emailed = _email_links(program, {invite.email: link})
    return _volunteers_page(
        program, InviteForm(formdata=None), [(invite.email, link, None, emailed.get(invite.email))]
    )


@bp.post("/programs/<int:program_id>/peers/<int:peer_id>/<any(deactivate,reactivate,promote):move>")
def peer_action(program_id: int, peer_id: int, move: str):
    program = load_program(program_id)
    profile = load_peer(program, peer_id)
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
    return saved(message, "admin.volunteers_page", program_id=program.id)
