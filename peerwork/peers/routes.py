"""Volunteer peer and supervisor pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from peerwork.access import roles_required

bp = Blueprint("peers", __name__)


@bp.get("/")
@roles_required("peer")
def dashboard():
    return render_template("peers/dashboard.html")


@bp.get("/supervise")
@roles_required("supervisor", "admin")
def supervise():
    return render_template("peers/supervise.html")
