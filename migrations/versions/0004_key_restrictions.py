"""API keys narrowed to one user or agent (a key of an agent cannot read another agent's
memories).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("user_id", sa.String(length=256), nullable=True))
        batch.add_column(sa.Column("agent_id", sa.String(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("agent_id")
        batch.drop_column("user_id")
