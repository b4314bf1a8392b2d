"""crisis alerts record the message's language and why detection fired

Revision ID: 0002_alert_detection
Revises: 0002_h12c_twiml_replies
Create Date: 2026-11-29 21:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003_alert_detection'
down_revision = '0002_h12c_twiml_replies'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts') as batch:
        batch.add_column(sa.Column('language', sa.String(length=5), nullable=True))
        batch.add_column(sa.Column('detected_by', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alerts') as batch:
        batch.drop_column('detected_by')
        batch.drop_column('language')
