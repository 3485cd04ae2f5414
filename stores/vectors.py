"""Unit vectors in SQL (the source of truth) and the per-partition version counters.

The rows are the same on both dialects except for the vector itself: a float32 blob on SQLite
(FAISS reads it), a pgvector `vector` on PostgreSQL (searched in place). `VectorStore` writes
through a `VectorCodec` that names the column and converts values."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from memsvc.stores.partitions import parse_partition, partition_key
from memsvc.stores.tables import UnitRow, UnitVectorRow, VectorPartitionRow
from sqlalchemy import ColumnElement, Engine, delete, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from memsvc.domain import Granularity
from memsvc.domain.vectors import VectorChanges


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class VectorCodec:
    """Where a dialect keeps a unit's vector and how values go in and come out."""

    column: ColumnElement[Any]  # a table's column
    encode: Callable[[np.ndarray], Any]
    decode: Callable[[Any], np.ndarray]
    upsert: Callable[..., Any] = sqlite_insert  # the dialect's INSERT ... ON CONFLICT


BLOB = VectorCodec(UnitVectorRow.__table__.c.vector, to_blob, from_blob)


class VectorStore:
    """Writes vectors inside the unit of work and records what changed per partition, so the
    vector index can take the changes in after the commit."""

    def __init__(
        self, session: Session, tenant_id: str, model: str, codec: VectorCodec = BLOB
    ) -> None:
        self._session = session
        self._tenant_id = tenant_id
        self._model = model
        self._codec = codec
        self._table = codec.column.table
        self._changes: dict[str, VectorChanges] = {}

    def put(self, seq: int, partition: str, vector: np.ndarray) -> None:
        """Store (or replace) the vector of unit `seq` in `partition`."""
        change = self._change(partition)
        c = self._table.c
        old = self._session.scalar(select(c.partition).where(c.seq == seq))
        values = {
            "partition": partition,
            "version": change.version,
            "model": self._model,
            self._codec.column.name: self._codec.encode(vector),
        }
        if old is None:
            self._session.execute(insert(self._table).values(seq=seq, **values))
        else:
            if old != partition:
                self._change(old).removals.add(seq)
            self._session.execute(update(self._table).where(c.seq == seq).values(**values))
        change.upserts[seq] = np.asarray(vector, dtype=np.float32)
        change.removals.discard(seq)

    def put_new(self, items: Sequence[tuple[int, str, np.ndarray]]) -> None:
        """Store the vectors of units that have none yet, (seq, partition, vector) each, in
        one statement."""
        rows = []
        for seq, partition, vector in items:
            change = self._change(partition)
            change.upserts[seq] = np.asarray(vector, dtype=np.float32)
            rows.append(
                {
                    "seq": seq,
                    "partition": partition,
                    "version": change.version,
                    "model": self._model,
                    self._codec.column.name: self._codec.encode(vector),
                }
            )
        if rows:
            self._session.execute(insert(self._table), rows)

    def drop(self, seqs: Iterable[int]) -> None:
        c = self._table.c
        wanted = list(seqs)
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            found = self._session.execute(select(c.seq, c.partition).where(c.seq.in_(chunk)))
            gone = []
            for seq, partition in found:
                change = self._change(partition)
                change.removals.add(int(seq))
                change.upserts.pop(int(seq), None)
                gone.append(int(seq))
            if gone:
                self._session.execute(delete(self._table).where(c.seq.in_(gone)))

    def get(self, seqs: Iterable[int]) -> dict[int, np.ndarray]:
        """Vectors of the tenant's units `seqs` (others' seqs read nothing)."""
        c = self._table.c
        rows = self._session.execute(
            select(c.seq, self._codec.column)
            .join(UnitRow, UnitRow.seq == c.seq)
            .where(UnitRow.tenant_id == self._tenant_id, c.seq.in_(list(seqs)))
        )
        return {int(s): self._codec.decode(v) for s, v in rows}

    def stale(self, after: int, limit: int, sessions: bool) -> list[int]:
        """Up to `limit` seqs above `after`, in order, of the tenant's vectors that another
        embedder made: of session units if `sessions`, else of every other unit."""
        c = self._table.c
        session = UnitRow.granularity == Granularity.SESSION.value
        rows = self._session.scalars(
            select(c.seq)
            .join(UnitRow, UnitRow.seq == c.seq)
            .where(
                UnitRow.tenant_id == self._tenant_id,
                c.model != self._model,
                c.seq > after,
                session if sessions else ~session,
            )
            .order_by(c.seq)
            .limit(limit)
        )
        return [int(s) for s in rows]

    def partitions(self, user_id: str | None, granularity: str) -> list[str]:
        """The partitions a search over `granularity` covers: the user's, or (no user given)
        every partition of the tenant with that granularity."""
        if user_id is not None:
            return [partition_key(self._tenant_id, user_id, granularity)]
        rows = self._session.scalars(
            select(VectorPartitionRow.partition).where(
                VectorPartitionRow.tenant_id == self._tenant_id,
                VectorPartitionRow.granularity == granularity,
            )
        )
        return list(rows)

    def versions(self, user_id: str | None) -> dict[str, int]:
        """partition -> version of every vector partition of the scope: the user's, or (no
        user given) all of the tenant's. One statement, which a search makes once: its
        caches (turn directory, entity graph) and the vector index check these versions."""
        row = VectorPartitionRow
        stmt = select(row.partition, row.version)
        if user_id is not None:  # by primary key
            keys = [partition_key(self._tenant_id, user_id, g) for g in Granularity]
            stmt = stmt.where(row.partition.in_(keys))
        else:
            stmt = stmt.where(row.tenant_id == self._tenant_id)
        return {str(p): int(v) for p, v in self._session.execute(stmt)}

    def finish(self) -> list[VectorChanges]:
        """The changes of this transaction, one per partition (take them just before commit)."""
        out = list(self._changes.values())
        self._changes = {}
        return out

    def _change(self, partition: str) -> VectorChanges:
        # The first touch of a partition bumps its version, so rows written by this
        # transaction carry the version the index will see after commit.
        if partition not in self._changes:
            version = self._bump(partition)
            self._changes[partition] = VectorChanges(partition=partition, version=version)
        return self._changes[partition]

    def _bump(self, partition: str) -> int:
        """Add one to the partition's version, creating it at 1: one statement, so two
        writers of a new partition (API replicas) cannot both insert it."""
        _, user_id, granularity = parse_partition(partition)
        stmt = self._codec.upsert(VectorPartitionRow).values(
            partition=partition,
            tenant_id=self._tenant_id,
            user_id=user_id,
            granularity=granularity,
            version=1,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[VectorPartitionRow.partition],
            set_={"version": VectorPartitionRow.version + 1},
        ).returning(VectorPartitionRow.version)
        return int(self._session.scalar(stmt) or 1)


def stale_vectors(engine: Engine, model: str) -> tuple[list[str], int]:
    """The tenants with vectors, and how many vectors another embedder than `model` made."""
    with engine.connect() as conn:
        tenants = conn.scalars(select(VectorPartitionRow.tenant_id).distinct()).all()
        count = conn.scalar(
            select(func.count()).select_from(UnitVectorRow).where(UnitVectorRow.model != model)
        )
    return sorted(tenants), int(count or 0)
