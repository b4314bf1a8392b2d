"""Reports and the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from peerwork import clock
from peerwork.admin import audit_view, reports
from peerwork.admin.forms import AuditFilterForm, choices
from peerwork.admin.views.common import bp, load_program
from peerwork.extensions import db
from peerwork.insights import cells, charts, export, periods
from peerwork.models import Program, User

# -- reports and audit -----------------------------------------------------------------------


def _report_page(program, form: reports.PeriodForm, *, status: int = 200, **extra):
    """The dashboard for the period the form names, or the form with its error."""
    now = clock.now()
    dashboard = error = None
    try:
        period = reports.chosen_period(program, form, now=now)
    except periods.PeriodError as problem:
        error, period = str(problem), None
    if period is not None:
        dashboard = reports.dashboard(db.session, program=program, period=period, now=now)
        # Keeps the settled weeks the dashboard counted (report_weeks) for the next view.
        db.session.commit()
    return render_template(
        "admin/reports.html",
        program=program,
        form=form,
        export_form=reports.ExportForm(formdata=None),
        min_cell_form=extra.pop("min_cell_form", None)
        or reports.MinCellForm(min_cell=cells.min_cell(program)),
        dashboard=dashboard,
        tables={t.key: t for t in export.tables(dashboard)} if dashboard else {},
        charts=charts.dashboard_charts(dashboard) if dashboard else {},
        error=error,
        step="reports",
        **extra,
    ), (400 if error else status)


@bp.get("/programs/<int:program_id>/reports")
def program_reports(program_id: int):
    program = load_program(program_id)
    return _report_page(program, reports.PeriodForm(request.args))


@bp.post("/programs/<int:program_id>/reports/export")
def export_reports(program_id: int):
    program = load_program(program_id)
    form = reports.ExportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        period = reports.chosen_period(program, form, now=clock.now())
    except periods.PeriodError:
        return _report_page(program, reports.PeriodForm(request.form))
    csv_text = reports.export_csv(
        db.session, program=program, period=period, now=clock.now(), actor=current_user
    )
    db.session.commit()
    filename = f"peerwork-report-{program.id}-{period.first_monday:%Y-%m-%d}-{period.weeks}w.csv"
    return Response(
        csv_text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.post("/programs/<int:program_id>/reports/min-cell")
def report_min_cell(program_id: int):
    program = load_program(program_id)
    form = reports.MinCellForm()
    if not form.validate_on_submit():
        return _report_page(program, reports.PeriodForm(formdata=None), min_cell_form=form)
    reports.set_min_cell(
        db.session, program=program, value=form.min_cell.data, now=clock.now(), actor=current_user
    )
    db.session.commit()
    flash(f"Reports now hide any count below {program.report_min_cell}.", "success")
    return redirect(url_for("admin.program_reports", program_id=program.id))


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
