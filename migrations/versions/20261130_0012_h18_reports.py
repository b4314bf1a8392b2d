"""reports: first human reply, a minimum cell size per program, time indexes

Revision ID: 0012_h18_reports
Revises: 0008_h15c_quickstart
Create Date: 2026-11-30 00:30:00

Issue #18: the dashboard reads a program's requests, conversations, check-ins
and alerts by time (program id + timestamp indexes; for requests and their
conversations, covering indexes the report reads alone), measures the wait for the
first human reply (kept on the conversation, back-filled from the messages),
and hides counts below the program's minimum cell size (never below 5).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import peerwork.models._types

revision = "0012_h18_reports"
down_revision = "0008_h15c_quickstart"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_peer_message_at", peerwork.models._types.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(
            "ix_conversations_report",
            ["request_id", "first_peer_message_at", "peer_profile_id", "ended_at", "outcome"],
            unique=False,
        )
    op.execute(
        "UPDATE conversations SET first_peer_message_at = ("
        "SELECT MIN(messages.created_at) FROM messages "
        "WHERE messages.conversation_id = conversations.id AND messages.author = 'peer')"
    )
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("report_min_cell", sa.Integer(), server_default="5", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_programs_report_min_cell_range"), "report_min_cell BETWEEN 5 AND 100"
        )
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_requests_report",
            [
                "program_id",
                "created_at",
                "topic_id",
                "matched_at",
                "closed_at",
                "preferred_peer_id",
                "id",
            ],
            unique=False,
        )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkins_program_answered", ["program_id", "answered_at"], unique=False
        )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alerts_program_created", ["program_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_program_created")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_program_answered")
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_support_requests_report")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_programs_report_min_cell_range"), type_="check")
        batch_op.drop_column("report_min_cell")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_report")
        batch_op.drop_column("first_peer_message_at")
