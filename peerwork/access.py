"""Role checks for views. Every query that serves a user is also scoped to
`current_user.organization_id`; these decorators only decide who may enter."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


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


def scoped_or_404(obj, organization_id: int | None = None):
    """Return `obj` if it belongs to the caller's organization, else 404."""
    org_id = organization_id if organization_id is not None else current_user.organization_id
    if obj is None or getattr(obj, "organization_id", None) != org_id:
        abort(404)
    return obj
