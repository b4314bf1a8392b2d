"""report_weeks: the dashboard's counters of each settled local week

Revision ID: 0014_h18r_report_weeks
Revises: 0013_h19_spanish
Create Date: 2026-11-30 04:30:00

Issue #18: the Reports dashboard reads a settled week's counters from one row
instead of counting its requests and check-ins again (peerwork/insights/rollups.py).
The table starts empty; the dashboard fills it as weeks are viewed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import peerwork.models._types

revision = "0014_h18r_report_weeks"
down_revision = "0013_h19_spanish"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_weeks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("computed_at", peerwork.models._types.UTCDateTime(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("timings", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_report_weeks_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_weeks")),
        sa.UniqueConstraint(
            "program_id", "week_start", name=op.f("uq_report_weeks_program_id_week_start")
        ),
    )


def downgrade() -> None:
    op.drop_table("report_weeks")
