"""programs: the long-wait threshold is an admin setting, kept in range

Revision ID: 0008_h15c_quickstart
Revises: 0006_h15a_supervision
Create Date: 2026-11-30 00:40:00

Issue #15: `wait_alert_minutes` is now shown and edited on the Settings page
(2 to 120 minutes); the database holds the range like the other settings.
"""

from __future__ import annotations

from alembic import op

revision = "0008_h15c_quickstart"
down_revision = "0006_h15a_supervision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE programs SET wait_alert_minutes = 2 WHERE wait_alert_minutes < 2")
    op.execute("UPDATE programs SET wait_alert_minutes = 120 WHERE wait_alert_minutes > 120")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_programs_wait_alert_range"), "wait_alert_minutes BETWEEN 2 AND 120"
        )


def downgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_programs_wait_alert_range"), type_="check")
