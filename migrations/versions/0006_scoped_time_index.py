"""An index for a user's units in a time window: (tenant_id, user_id, granularity,
occurred_at). A routed search with a time expression asks for the turns of one user inside the
window; with only (tenant_id, granularity, occurred_at) to serve the window, SQLite's planner
(sampled statistics rate a two-sided range as very selective) walked every user's units dated
in it, 100k index entries and a row read each on a 300-user store: a second per search.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_units_user_occurred",
        "memory_units",
        ["tenant_id", "user_id", "granularity", "occurred_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_units_user_occurred", table_name="memory_units")
