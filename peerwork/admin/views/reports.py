"""Reports and the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from peerwork import clock
from peerwork.admin import audit_view, reports
from peerwork.admin.forms import AuditFilterForm, choices
from peerwork.admin.views.common import bp, load_program
from peerwork.extensions import db
from peerwork.models import Program, User

# -- reports and audit -----------------------------------------------------------------------

PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}


@bp.get("/programs/<int:program_id>/reports")
def program_reports(program_id: int):
    program = load_program(program_id)
    period = request.args.get("days", "30")
    if period not in PERIODS:
        period = "30"
    until = clock.now()
    report = reports.program_report(
        db.session, program=program, since=until - timedelta(days=PERIODS[period]), until=until
    )
    return render_template(
        "admin/reports.html",
        program=program,
        report=report,
        period=period,
        periods=PERIODS,
        min_cell=reports.MIN_CELL,
        step="reports",
    )


@bp.get("/audit")
def audit_log():
    org_id = current_user.organization_id
    form = AuditFilterForm(request.args)
    recorded = audit_view.actions(db.session, org_id)
    areas = sorted({a.split(".")[0] for a in recorded})
    form.action.choices = choices(
        [("", "Any action")]
        + [(area, f"{area}: every action") for area in areas]
        + [(a, a) for a in recorded]
    )
    people = db.session.scalars(
        select(User).where(User.organization_id == org_id).order_by(User.name)
    ).all()
    form.actor.choices = choices([(0, "Anyone")] + [(u.id, u.name) for u in people])
    org_programs = db.session.scalars(
        select(Program).where(Program.organization_id == org_id).order_by(Program.name)
    ).all()
    form.program.choices = choices([(0, "Any program")] + [(p.id, p.name) for p in org_programs])
    # A search form: anything unreadable is ignored rather than refused.
    known_actions = {c.value for c in form.action.choices}
    action = request.args.get("action") if request.args.get("action") in known_actions else None
    tz = ZoneInfo(org_programs[0].timezone) if org_programs else UTC

    def day_start(value: date | None) -> datetime | None:
        return datetime.combine(value, time.min, tz).astimezone(UTC) if value else None

    since, until = form.since.data, form.until.data
    page = audit_view.search(
        db.session,
        organization_id=org_id,
        action=action,
        actor_user_id=request.args.get("actor", 0, type=int) or None,
        program_id=request.args.get("program", 0, type=int) or None,
        since=day_start(since),
        until=day_start(until + timedelta(days=1)) if until else None,
        page=request.args.get("page", 1, type=int),
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        args=args,
        programs={p.id: p.name for p in org_programs},
        tz=str(tz),
    )
