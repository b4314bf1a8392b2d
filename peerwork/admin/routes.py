"""HR admin pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from peerwork.access import roles_required

bp = Blueprint("admin", __name__)


@bp.get("/")
@roles_required("admin")
def dashboard():
    return render_template("admin/dashboard.html")
