"""PostgreSQL search: the pgvector extension, `unit_vectors.embedding` (a `vector` of any
dimension; its HNSW index per dimension is made at start, see stores/pgvector.py) and the
lexical table `unit_lexical` (tsvector, GIN). SQLite keeps its float32 blobs and FTS5: nothing
changes there.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute("ALTER TABLE unit_vectors ADD COLUMN embedding vector")
    op.execute("ALTER TABLE unit_vectors ALTER COLUMN vector DROP NOT NULL")
    op.execute(
        "CREATE TABLE unit_lexical ("
        " seq BIGINT PRIMARY KEY REFERENCES memory_units (seq) ON DELETE CASCADE,"
        " partition VARCHAR(512) NOT NULL,"
        " tsv TSVECTOR NOT NULL,"
        " dl INTEGER GENERATED ALWAYS AS (length(tsv)) STORED)"
    )
    op.execute("CREATE INDEX ix_lexical_tsv ON unit_lexical USING gin (tsv)")
    op.execute("CREATE INDEX ix_lexical_partition ON unit_lexical (partition)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS unit_lexical")
    op.execute(
        "DO $$ DECLARE r record; BEGIN FOR r IN SELECT indexname FROM pg_indexes "
        "WHERE tablename = 'unit_vectors' AND indexname LIKE 'ix_vectors_hnsw_%' "
        "LOOP EXECUTE 'DROP INDEX ' || quote_ident(r.indexname); END LOOP; END $$"
    )
    op.execute("DELETE FROM unit_vectors WHERE vector IS NULL")
    op.execute("ALTER TABLE unit_vectors ALTER COLUMN vector SET NOT NULL")
    op.execute("ALTER TABLE unit_vectors DROP COLUMN embedding")
