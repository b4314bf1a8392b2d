"""Pages for check-ins, crisis plans and skill cards."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("care", __name__)
