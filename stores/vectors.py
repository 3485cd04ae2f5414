"""Unit vectors in SQL (the source of truth) and the per-partition version counters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from memsvc.stores.partitions import parse_partition, partition_key
from memsvc.stores.tables import UnitRow, UnitVectorRow, VectorPartitionRow
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from memsvc.domain.ports import VectorChanges


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)


class VectorStore:
    """Writes vectors inside the unit of work and records what changed per partition, so the
    vector index can take the changes in after the commit."""

    def __init__(self, session: Session, tenant_id: str, model: str) -> None:
        self._session = session
        self._tenant_id = tenant_id
        self._model = model
        self._changes: dict[str, VectorChanges] = {}

    def put(self, seq: int, partition: str, vector: np.ndarray) -> None:
        """Store (or replace) the vector of unit `seq` in `partition`."""
        change = self._change(partition)
        row = self._session.get(UnitVectorRow, seq)
        if row is None:
            row = UnitVectorRow(seq=seq, partition=partition)
            self._session.add(row)
        elif row.partition != partition:
            self._change(row.partition).removals.add(seq)
        row.partition, row.version = partition, change.version
        row.model, row.vector = self._model, to_blob(vector)
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
                    "vector": to_blob(vector),
                }
            )
        if rows:
            self._session.execute(insert(UnitVectorRow), rows)

    def drop(self, seqs: Iterable[int]) -> None:
        for seq in seqs:
            row = self._session.get(UnitVectorRow, seq)
            if row is None:
                continue
            change = self._change(row.partition)
            change.removals.add(seq)
            change.upserts.pop(seq, None)
            self._session.delete(row)

    def get(self, seqs: Iterable[int]) -> dict[int, np.ndarray]:
        """Vectors of the tenant's units `seqs` (others' seqs read nothing)."""
        rows = self._session.execute(
            select(UnitVectorRow.seq, UnitVectorRow.vector)
            .join(UnitRow, UnitRow.seq == UnitVectorRow.seq)
            .where(UnitRow.tenant_id == self._tenant_id, UnitVectorRow.seq.in_(list(seqs)))
        )
        return {int(s): from_blob(v) for s, v in rows}

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

    def versions(self, user_id: str | None, granularities: list[str]) -> tuple[int, ...]:
        """Version stamps of the scope's partitions of these granularities (cache keys)."""
        keys = [partition_key(self._tenant_id, user_id, g) for g in granularities]
        rows: dict[str, int] = dict(
            self._session.execute(
                select(VectorPartitionRow.partition, VectorPartitionRow.version).where(
                    VectorPartitionRow.partition.in_(keys)
                )
            ).all()
        )
        return tuple(int(rows.get(k, 0)) for k in keys)

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
        version = self._session.scalar(
            update(VectorPartitionRow)
            .where(VectorPartitionRow.partition == partition)
            .values(version=VectorPartitionRow.version + 1)
            .returning(VectorPartitionRow.version)
        )
        if version is not None:
            return int(version)
        _, user_id, granularity = parse_partition(partition)
        self._session.add(
            VectorPartitionRow(
                partition=partition,
                tenant_id=self._tenant_id,
                user_id=user_id,
                granularity=granularity,
                version=1,
            )
        )
        self._session.flush()
        return 1
