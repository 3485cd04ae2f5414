"""Initial schema: memory units, provenance edges, vectors, history, API keys, jobs.

On SQLite also the FTS5 table for lexical search (rowid = memory_units.seq).

Revision ID: 0001
Revises:
Create Date: 2026-11-29 13:43:56.617570
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_status", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_jobs_tenant", ["tenant_id", "kind", "created_at"], unique=False)

    op.create_table(
        "memory_units",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=True),
        sa.Column("agent_id", sa.String(length=256), nullable=True),
        sa.Column("session_id", sa.String(length=256), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("granularity", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_accessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("access_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("importance", sa.Float(), nullable=False),
        sa.Column("strength", sa.Float(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("superseded_by", sa.String(length=36), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("producer", sa.String(length=64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    with op.batch_alter_table("memory_units", schema=None) as batch_op:
        batch_op.create_index("ix_units_dedupe", ["tenant_id", "dedupe_key"], unique=True)
        batch_op.create_index(
            "ix_units_occurred", ["tenant_id", "granularity", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_units_scope", ["tenant_id", "user_id", "granularity", "status"], unique=False
        )
        batch_op.create_index(
            "ix_units_session", ["tenant_id", "session_id", "granularity"], unique=False
        )

    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "unit_history",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("unit_history", schema=None) as batch_op:
        batch_op.create_index("ix_history_job", ["tenant_id", "job_id"], unique=False)
        batch_op.create_index(
            "ix_history_unit", ["tenant_id", "unit_id", "created_at"], unique=False
        )

    op.create_table(
        "vector_partitions",
        sa.Column("partition", sa.String(length=512), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=True),
        sa.Column("granularity", sa.String(length=16), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("partition"),
    )
    with op.batch_alter_table("vector_partitions", schema=None) as batch_op:
        batch_op.create_index("ix_partitions_tenant", ["tenant_id", "granularity"], unique=False)

    op.create_table(
        "unit_sources",
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["memory_units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("unit_id", "source_id"),
    )
    with op.batch_alter_table("unit_sources", schema=None) as batch_op:
        batch_op.create_index("ix_sources_source", ["tenant_id", "source_id"], unique=False)

    op.create_table(
        "unit_vectors",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("partition", sa.String(length=512), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["memory_units.seq"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("unit_vectors", schema=None) as batch_op:
        batch_op.create_index("ix_vectors_partition", ["partition", "version"], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        # `part` holds one token per vector partition: a scoped MATCH intersects postings
        # instead of ranking every tenant's documents.
        op.execute(
            "CREATE VIRTUAL TABLE units_fts USING fts5("
            "content, part, tokenize='porter unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS units_fts")
    with op.batch_alter_table("unit_vectors", schema=None) as batch_op:
        batch_op.drop_index("ix_vectors_partition")

    op.drop_table("unit_vectors")
    with op.batch_alter_table("unit_sources", schema=None) as batch_op:
        batch_op.drop_index("ix_sources_source")

    op.drop_table("unit_sources")
    with op.batch_alter_table("vector_partitions", schema=None) as batch_op:
        batch_op.drop_index("ix_partitions_tenant")

    op.drop_table("vector_partitions")
    with op.batch_alter_table("unit_history", schema=None) as batch_op:
        batch_op.drop_index("ix_history_unit")
        batch_op.drop_index("ix_history_job")

    op.drop_table("unit_history")
    op.drop_table("store_meta")
    with op.batch_alter_table("memory_units", schema=None) as batch_op:
        batch_op.drop_index("ix_units_session")
        batch_op.drop_index("ix_units_scope")
        batch_op.drop_index("ix_units_occurred")
        batch_op.drop_index("ix_units_dedupe")

    op.drop_table("memory_units")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_tenant")
        batch_op.drop_index("ix_jobs_status")

    op.drop_table("jobs")
    op.drop_table("api_keys")
