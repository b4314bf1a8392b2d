"""languages: the texter's, the request's, the peer's, the program's offer; a page locale

Revision ID: 0013_h19_spanish
Revises: 0012_h18_reports
Create Date: 2026-11-30 00:45:00

Issue #19: Spanish end to end. Codes as in peerwork/languages.py; every
existing row is English, which is what it was.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_h19_spanish"
down_revision = "0012_h18_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("texters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="en", nullable=False)
        )
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="en", nullable=False)
        )
    with op.batch_alter_table("peer_profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("languages", sa.String(length=60), server_default="en", nullable=False)
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=8), nullable=True))
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("languages", sa.String(length=60), server_default="en", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "language_fallback", sa.String(length=8), server_default="anyone", nullable=False
            )
        )
        batch_op.create_check_constraint(
            "language_fallback_valid", "language_fallback IN ('anyone', 'wait')"
        )


def downgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_constraint("language_fallback_valid", type_="check")
        batch_op.drop_column("language_fallback")
        batch_op.drop_column("languages")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locale")
    with op.batch_alter_table("peer_profiles", schema=None) as batch_op:
        batch_op.drop_column("languages")
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("texters", schema=None) as batch_op:
        batch_op.drop_column("language")
