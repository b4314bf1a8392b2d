"""The development phone: text a program as a made-up employee."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("devphone", __name__)


@bp.get("/")
def index():
    return render_template("devphone/index.html")
