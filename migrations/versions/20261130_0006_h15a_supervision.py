"""supervisor notes on a conversation; alerts linked to the conversation of their request

Revision ID: 0006_h15a_supervision
Revises: 0005_h14_optout_once
Create Date: 2026-11-30 00:45:00

Issue #15: supervisors write private notes to a peer (and "join" a
conversation); an alert raised on a request now belongs to the conversation
that came of it, here filled in for the alerts raised before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import peerwork.models._types

revision = "0006_h15a_supervision"
down_revision = "0005_h14_optout_once"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supervisor_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_label", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column(
            "created_at", peerwork.models._types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint("kind IN ('joined', 'note')", name=op.f("ck_supervisor_notes_kind_valid")),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_supervisor_notes_author_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_supervisor_notes_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_supervisor_notes_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisor_notes")),
    )
    op.create_index(
        "ix_supervisor_notes_conversation_id_id",
        "supervisor_notes",
        ["conversation_id", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_supervisor_notes_program_id"), "supervisor_notes", ["program_id"], unique=False
    )
    op.execute(
        "UPDATE alerts SET conversation_id = ("
        " SELECT conversations.id FROM conversations"
        " WHERE conversations.request_id = alerts.request_id)"
        " WHERE conversation_id IS NULL AND request_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_supervisor_notes_program_id"), table_name="supervisor_notes")
    op.drop_index("ix_supervisor_notes_conversation_id_id", table_name="supervisor_notes")
    op.drop_table("supervisor_notes")
