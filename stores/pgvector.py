"""pgvector: unit vectors searched where they are stored (PostgreSQL), with nothing to rebuild.

The column. `unit_vectors.embedding` is a `vector` without a fixed dimension (migration 0005),
so the schema does not depend on the embedder. Its HNSW index (cosine) is a partial expression
index per dimension, `(embedding::vector(DIM)) vector_cosine_ops WHERE vector_dims(embedding) =
DIM`, created at start by `ensure_hnsw` for the embedder's dimension (migrations cannot know
it). Vectors of another model's dimension stay searchable exactly.

The search. Scoped before it runs: `partition = ANY(...)` (the user's partition of the
granularity) plus the allow or deny list of the search's filter. A scope of at most
`exact_below` vectors, or any allow list, is scanned exactly (the partition's btree index,
then a sort of a few thousand distances: exact and fast). Larger scopes use the HNSW index
with pgvector's iterative scan (0.8+), which keeps walking the graph until k rows pass the
WHERE clause, so a scope inside a big tenant still gets k hits near the exact ones.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from memsvc.stores.engine import HnswOptions
from memsvc.stores.vectors import VectorCodec
from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Engine,
    MetaData,
    String,
    Table,
    cast,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError

from memsvc.domain.vectors import VectorChanges, VectorFilter

logger = logging.getLogger(__name__)

# The PostgreSQL view of `unit_vectors` (the ORM table maps SQLite's blob column).
VECTORS = Table(
    "unit_vectors",
    MetaData(),
    Column("seq", BigInteger, primary_key=True),
    Column("partition", String(512)),
    Column("version", BigInteger),
    Column("model", String(128)),
    Column("embedding", Vector()),
)


def _encode(vector: np.ndarray) -> np.ndarray:
    return np.asarray(vector, dtype=np.float32)


def _decode(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


PGVECTOR = VectorCodec(VECTORS.c.embedding, _encode, _decode, pg_insert)


def hnsw_index_name(dim: int) -> str:
    return f"ix_vectors_hnsw_{dim}"


def ensure_hnsw(engine: Engine, dim: int, options: HnswOptions) -> None:
    """Create the HNSW index for vectors of `dim` unless it exists (idempotent; two processes
    starting at once may race, and the loser finds it made)."""
    try:
        with engine.begin() as conn:
            conn.execute(text(hnsw_sql(dim, options)))
    except DBAPIError as exc:  # a concurrent CREATE INDEX of the same name
        logger.info("HNSW index %s: %s", hnsw_index_name(dim), exc.orig)


def hnsw_sql(dim: int, options: HnswOptions) -> str:
    """CREATE INDEX IF NOT EXISTS of the partial expression index for vectors of `dim`."""
    return (
        f"CREATE INDEX IF NOT EXISTS {hnsw_index_name(int(dim))} ON unit_vectors USING hnsw "
        f"((embedding::vector({int(dim)})) vector_cosine_ops) "
        f"WITH (m = {int(options.m)}, ef_construction = {int(options.ef_construction)}) "
        f"WHERE vector_dims(embedding) = {int(dim)}"
    )


class PgVectorIndex:
    """`VectorIndex` over the pgvector column: reads go straight to SQL."""

    def __init__(self, engine: Engine, dim: int, options: HnswOptions) -> None:
        self._engine = engine
        self._dim = int(dim)
        self._options = options

    def search(
        self,
        partitions: Sequence[str],
        query: np.ndarray,
        k: int,
        where: VectorFilter,
        versions: Mapping[str, int] | None = None,  # searched in place: always current
    ) -> list[tuple[int, float]]:
        if k <= 0 or not partitions or (where.allow is not None and not where.allow):
            return []
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        with self._engine.connect() as conn:
            exact = where.allow is not None or self._small(conn, partitions)
            if not exact:
                self._tune(conn, k)
            rows = conn.execute(self._statement(partitions, q, k, where, exact)).all()
            conn.rollback()
        hits = [(int(seq), 1.0 - float(distance)) for seq, distance in rows]
        hits.sort(key=lambda h: -h[1])  # an iterative scan returns them in relaxed order
        return hits[:k]

    def count(self, partitions: Sequence[str]) -> int:
        """Vectors in the partitions, counted up to `exact_below` + 1."""
        with self._engine.connect() as conn:
            return self._count(conn, partitions)

    def _small(self, conn: Any, partitions: Sequence[str]) -> bool:
        return self._count(conn, partitions) <= self._options.exact_below

    def _count(self, conn: Any, partitions: Sequence[str]) -> int:
        inner = (
            select(literal(1))
            .where(VECTORS.c.partition.in_(list(partitions)))
            .limit(self._options.exact_below + 1)
            .subquery()
        )
        return int(conn.scalar(select(func.count()).select_from(inner)) or 0)

    def _tune(self, conn: Any, k: int) -> None:
        """Per transaction: enough candidates for k, and an iterative scan for filters."""
        ef = max(int(k), self._options.ef_search)
        conn.execute(text(f"SET LOCAL hnsw.ef_search = {min(ef, 1000)}"))
        conn.execute(text("SET LOCAL hnsw.iterative_scan = relaxed_order"))
        conn.execute(text(f"SET LOCAL hnsw.max_scan_tuples = {self._options.max_scan_tuples}"))

    def _statement(
        self, partitions: Sequence[str], q: np.ndarray, k: int, where: VectorFilter, exact: bool
    ) -> Any:
        c = VECTORS.c
        column: Any = c.embedding
        conditions: list[ColumnElement[bool]] = [c.partition.in_(list(partitions))]
        if not exact:  # the form the partial expression index is defined on
            column = cast(c.embedding, Vector(self._dim))
            conditions.append(func.vector_dims(c.embedding) == self._dim)
        if where.allow is not None:
            conditions.append(c.seq.in_(list(where.allow)))
        elif where.deny:
            conditions.append(c.seq.not_in(list(where.deny)))
        distance = column.cosine_distance(q)
        return select(c.seq, distance).where(*conditions).order_by(distance).limit(int(k))

    def apply(self, changes: Sequence[VectorChanges]) -> None:
        """Nothing to do: the committed rows are the index."""

    def flush(self) -> None:
        """Nothing is kept outside the database."""

    def rebuild(self) -> int:
        """Nothing to rebuild; returns the vectors stored (the HNSW index is PostgreSQL's)."""
        with self._engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(VECTORS)) or 0)

    def close(self) -> None:
        """The engine is the container's to dispose."""
