"""Admin authoring of the training curriculum."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("training", __name__)
