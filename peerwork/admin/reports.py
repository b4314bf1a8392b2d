"""Reports: the forms of the Reports page and the two things it changes.

The numbers come from `peerwork.insights` (aggregates over whole weeks, small
cells hidden); this module only reads what the admin asked for, records each
CSV export in the audit log, and keeps the program's minimum cell size.
"""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateField, IntegerField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from peerwork import audit
from peerwork.insights import cells, export, periods
from peerwork.insights.dashboard import Dashboard, program_dashboard
from peerwork.models import Program


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class PeriodForm(FlaskForm):
    """Which weeks to report on: a preset, or a first and last day."""

    class Meta:
        csrf = False  # a GET form: choosing a period changes nothing

    period = RadioField(
        "Period",
        choices=_choices([*periods.PRESET_LABELS.items(), ("custom", "Choose dates")]),
        default=periods.DEFAULT_PRESET,
        validators=[Optional()],
    )
    start = DateField("First day", validators=[Optional()])
    end = DateField("Last day", validators=[Optional()])


class ExportForm(FlaskForm):
    """A CSV download is a recorded action, so it is a POST with CSRF (the period in hidden fields)."""

    period = StringField(validators=[Optional()])
    start = DateField(validators=[Optional()])
    end = DateField(validators=[Optional()])


class MinCellForm(FlaskForm):
    min_cell = IntegerField(
        "Hide any count below",
        validators=[
            InputRequired(),
            NumberRange(
                min=cells.MIN_CELL_FLOOR, max=100, message="Choose a number from 5 to 100."
            ),
        ],
    )


def chosen_period(program: Program, form, *, now: datetime) -> periods.Period:
    """The period a period or export form names (PeriodError if it cannot be reported on)."""
    if form.period.data == "custom":
        return periods.resolve(
            tz=program.timezone, now=now, start=form.start.data, end=form.end.data
        )
    return periods.resolve(tz=program.timezone, now=now, preset=form.period.data)


def dashboard(
    session: Session, *, program: Program, period: periods.Period, now: datetime
) -> Dashboard:
    """The program's dashboard at its own minimum cell size."""
    return program_dashboard(
        session, program_id=program.id, period=period, now=now, k=cells.min_cell(program)
    )


def export_csv(
    session: Session, *, program: Program, period: periods.Period, now: datetime, actor
) -> str:
    """The dashboard as CSV; the export is written to the audit log."""
    csv_text = export.to_csv(
        dashboard(session, program=program, period=period, now=now), program.name
    )
    audit.record_for_program(
        session,
        program,
        action="reports.export_csv",
        now=now,
        actor=actor,
        object_type="program",
        object_id=program.id,
        details={
            "first_day": period.first_monday.isoformat(),
            "weeks": period.weeks,
            "min_cell": cells.min_cell(program),
        },
    )
    return csv_text


def set_min_cell(session: Session, *, program: Program, value: int, now: datetime, actor) -> None:
    """Change the program's minimum cell size (never below the floor); audited."""
    value = max(cells.MIN_CELL_FLOOR, int(value))
    if value == program.report_min_cell:
        return
    audit.record_for_program(
        session,
        program,
        action="reports.min_cell",
        now=now,
        actor=actor,
        object_type="program",
        object_id=program.id,
        details={"from": program.report_min_cell, "to": value},
    )
    program.report_min_cell = value
