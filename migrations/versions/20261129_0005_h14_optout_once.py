"""texters: opting out is stored once, as the dialog state "opted_out"

Revision ID: 0005_h14_optout_once
Revises: 0004_h12b_reoffer
Create Date: 2026-11-29 22:40:00

Issue #14: `opted_out_at` repeated what `dialog_state == 'opted_out'` says.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import peerwork.models._types

revision = "0005_h14_optout_once"
down_revision = "0004_h12b_reoffer"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE texters SET dialog_state = 'opted_out' WHERE opted_out_at IS NOT NULL")
    with op.batch_alter_table("texters", schema=None) as batch_op:
        batch_op.drop_column("opted_out_at")


def downgrade() -> None:
    with op.batch_alter_table("texters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "opted_out_at", peerwork.models._types.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.execute("UPDATE texters SET opted_out_at = CURRENT_TIMESTAMP WHERE dialog_state = 'opted_out'")
