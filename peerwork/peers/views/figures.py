"""A volunteer's own figures: conversations held, weekly hours, their texters' check-ins in aggregate."""

from __future__ import annotations

from flask import render_template, request

from peerwork import clock
from peerwork.access import roles_required
from peerwork.extensions import db
from peerwork.insights import cells, periods
from peerwork.insights.own import peer_figures
from peerwork.models import Program
from peerwork.peers.views.common import bp, current_profile

PEER_PRESETS = ("4w", "12w", "26w")


@bp.get("/figures")
@roles_required("peer")
def figures():
    profile = current_profile()
    program = db.session.get(Program, profile.program_id)
    preset = request.args.get("period")
    if preset not in PEER_PRESETS:
        preset = "12w"
    period = periods.resolve(tz=program.timezone, now=clock.now(), preset=preset)
    own = peer_figures(
        db.session,
        program_id=program.id,
        peer_profile_id=profile.id,
        period=period,
        k=cells.min_cell(program),
    )
    return render_template(
        "peers/figures.html",
        profile=profile,
        program=program,
        own=own,
        preset=preset,
        weeks=list(zip(period.week_starts(), own.conversations, strict=True)),
        presets={key: periods.PRESET_LABELS[key] for key in PEER_PRESETS},
    )
