"""offers: a peer may be asked again for a request, one open offer at a time

Revision ID: 0002_h12b_reoffer
Revises: 0003_alert_detection
Create Date: 2026-11-29 21:50:00

Issue #12: a lapsed or declined offer no longer makes the peer ineligible for
that request for ever, so (request, peer) is unique only among open offers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_h12b_reoffer"
down_revision = "0003_alert_detection"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_offers_request_id_peer_profile_id", type_="unique")
        batch_op.create_index(
            "uq_offers_open_per_request_peer",
            ["request_id", "peer_profile_id"],
            unique=True,
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        )


def downgrade() -> None:
    # Keep one row per (request, peer) so the old constraint can hold again.
    op.execute(
        "DELETE FROM offers WHERE id NOT IN "
        "(SELECT MAX(id) FROM offers GROUP BY request_id, peer_profile_id)"
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index("uq_offers_open_per_request_peer")
        batch_op.create_unique_constraint(
            "uq_offers_request_id_peer_profile_id", ["request_id", "peer_profile_id"]
        )
