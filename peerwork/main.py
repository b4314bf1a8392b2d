"""Landing: send each signed-in person to the workspace of their role."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("index.html")
    return redirect(url_for("main.dashboard"))


@bp.get("/dashboard")
def dashboard():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.has_role("admin"):
        return redirect(url_for("admin.dashboard"))
    if current_user.has_role("supervisor"):
        return redirect(url_for("peers.supervise"))
    return redirect(url_for("peers.dashboard"))
