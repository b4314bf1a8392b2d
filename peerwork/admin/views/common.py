"""What every admin view shares: the blueprint, loading by id, and handling a form.

Every object loaded by id is checked against the caller's organization (404
otherwise); every change is audited by the domain function it calls.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for

from peerwork import hours as sms_hours
from peerwork.access import in_program_or_404, program_or_404, roles_required
from peerwork.admin import programs, timezones
from peerwork.extensions import db
from peerwork.models import PeerProfile, Program

bp = Blueprint("admin", __name__)


@bp.before_request
@roles_required("admin")
def _admins_only():
    """Every page of this blueprint is for admins (login redirect / 403 otherwise)."""


def load_program(program_id: int) -> Program:
    return program_or_404(program_id)


def load_child(model, object_id: int, program: Program):
    return in_program_or_404(model, object_id, program.id)


def load_peer(program: Program, peer_id: int) -> PeerProfile:
    return load_child(PeerProfile, peer_id, program)


def show_error(form, error: programs.SetupError) -> None:
    """Attach a domain error to its form field, inline; else show it at the top."""
    target = getattr(form, error.field, None)
    if target is None or not hasattr(target, "errors"):
        flash(error.message, "error")
        return
    target.errors = [*target.errors, error.message]


def saved(message: str, endpoint: str, **values):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def save_form(form, act, done, *, on_error=None):
    """Run an admin form's domain action and commit (cf. peers' _act_on_conversation).

    When `form` validates, `act()` runs. A SetupError rolls the session back
    and is shown on the form (after `on_error(error)`, if given) and None is
    returned: the view renders its page again. Otherwise the session is
    committed and the admin redirected with a flash: `done(result)` gives
    (message, endpoint, url values).
    """
    if not form.validate_on_submit():
        return None
    try:
        result = act()
    except programs.SetupError as error:
        db.session.rollback()
        if on_error is not None:
            on_error(error)
        show_error(form, error)
        return None
    message, endpoint, values = done(result)
    return saved(message, endpoint, **values)


def invite_link(token: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base + url_for("auth.accept_invite", token=token)
    return url_for("auth.accept_invite", token=token, _external=True)


def training_url_for(program: Program | None = None) -> str | None:
    """The training helper's authoring page for `program` (mounted at /admin/training)."""
    views = current_app.view_functions
    if program is not None and "training.program" in views:
        return url_for("training.program", program_id=program.id)
    return url_for("training.index") if "training.index" in views else None


@bp.app_context_processor
def _admin_helpers():
    return {
        "training_url": training_url_for,
        "day_names": sms_hours.DAY_NAMES,
        "timezone_label": timezones.label,
    }
