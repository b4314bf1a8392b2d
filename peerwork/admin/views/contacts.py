"""Escalation contacts: who is alerted in a crisis."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from peerwork import clock
from peerwork.admin import contacts, programs
from peerwork.admin.forms import ActionForm, ContactForm, choices
from peerwork.admin.views.common import bp, load_child, load_program, save_form, saved
from peerwork.extensions import db, get_vault
from peerwork.models import EscalationContact, Program

# -- escalation contacts -------------------------------------------------------------------


def _contact_form(program: Program, obj=None) -> ContactForm:
    form = ContactForm(obj=obj)
    staff = contacts.staff_choices(db.session, program.organization_id)
    form.user_id.choices = choices([(0, "No account (SMS only)")] + [(u.id, u.name) for u in staff])
    if request.method == "GET":
        form.phone.data = ""
        form.user_id.data = (obj.user_id if obj else None) or 0
    return form


def _contact_values(form: ContactForm) -> dict:
    """The keyword arguments adding and editing a contact share."""
    return {
        "name": form.name.data,
        "phone_e164": form.phone.data,
        "user_id": form.user_id.data or None,
        "is_backup": form.is_backup.data,
        "vault": get_vault(),
        "now": clock.now(),
        "actor": current_user,
    }


@bp.route("/programs/<int:program_id>/contacts", methods=["GET", "POST"])
def contacts_page(program_id: int):
    program = load_program(program_id)
    form = _contact_form(program)

    def act():
        if not form.phone.data:
            # Required here only: an edit may leave it blank to keep the stored number.
            raise programs.SetupError("phone", "Enter a mobile number for crisis alerts.")
        contacts.add_contact(db.session, program=program, **_contact_values(form))

    response = save_form(
        form,
        act,
        lambda _: ("Escalation contact added.", "admin.contacts_page", {"program_id": program.id}),
    )
    if response is not None:
        return response
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
    program = load_program(program_id)
    contact = load_child(EscalationContact, contact_id, program)
    form = _contact_form(program, contact)

    def act():
        contacts.update_contact(
            db.session, program=program, contact=contact, **_contact_values(form)
        )

    response = save_form(
        form, act, lambda _: ("Contact saved.", "admin.contacts_page", {"program_id": program.id})
    )
    if response is not None:
        return response
    form.phone.data = ""
    return render_template(
        "admin/contact_edit.html", program=program, contact=contact, form=form, step="contacts"
    )


@bp.post("/programs/<int:program_id>/contacts/<int:contact_id>/remove")
def contact_remove(program_id: int, contact_id: int):
    program = load_program(program_id)
    contact = load_child(EscalationContact, contact_id, program)
    if not ActionForm().validate_on_submit():
        abort(400)
    contacts.remove_contact(
        db.session, program=program, contact=contact, now=clock.now(), actor=current_user
    )
    return saved("Contact removed.", "admin.contacts_page", program_id=program.id)
