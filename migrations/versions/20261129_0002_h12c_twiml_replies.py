"""inbound messages keep their TwiML replies (a retried webhook gets the same answer)

Revision ID: 0002_h12c_twiml_replies
Revises: 0001
Create Date: 2026-11-29 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_h12c_twiml_replies"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("twiml_replies", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("twiml_replies")
