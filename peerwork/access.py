"""Role checks for views. Every query that serves a user is also scoped to
`current_user.organization_id`; these decorators only decide who may enter."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from peerwork.extensions import db
from peerwork.models import Program


def roles_required(*roles: str):
    """Logged in and holding one of `roles`, else login redirect / 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def found_or_404(obj):
    """Return `obj`, or 404 when a lookup found nothing (None)."""
    if obj is None:
        abort(404)
    return obj


def scoped_or_404(obj, organization_id: int | None = None):
    """Return `obj` if it belongs to the caller's organization, else 404."""
    org_id = organization_id if organization_id is not None else current_user.organization_id
    if obj is None or getattr(obj, "organization_id", None) != org_id:
        abort(404)
    return obj


def program_or_404(program_id: int, organization_id: int | None = None) -> Program:
    """The program `program_id` if it is in the caller's organization, else 404:
    the one "your program or 404" of every view."""
    return scoped_or_404(db.session.get(Program, program_id), organization_id)


def in_program_or_404(model, object_id: int, program_id: int):
    """The `model` row `object_id` if it belongs to program `program_id`, else 404."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.program_id != program_id:
        abort(404)
    return obj
