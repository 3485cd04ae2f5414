"""Bulk writes on PostgreSQL with COPY: a batch of new units and their vectors (the write
path's `add_many` and `put_new`) streams in one COPY each instead of row-by-row INSERTs. The
seqs are taken from the table's sequence first, so callers get them in order, as INSERT ...
RETURNING would give them; vectors go in PostgreSQL's binary format (no text formatting)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from memsvc.stores.mapping import row_values
from memsvc.stores.units import UnitRepository
from memsvc.stores.vectors import VectorStore
from pgvector.psycopg import register_vector
from sqlalchemy import text
from sqlalchemy.orm import Session

from memsvc.domain import MemoryUnit

SMALL = 50  # below this many rows plain INSERTs are as quick
_JSON = ("attributes", "sources")


def _driver(session: Session) -> Any:
    """The psycopg connection under the session (inside its transaction)."""
    return session.connection().connection.driver_connection


class PgUnitRepository(UnitRepository):
    def add_many(self, units: Sequence[MemoryUnit], dedupe_keys: Sequence[str | None]) -> list[int]:
        if len(units) < SMALL:
            return super().add_many(units, dedupe_keys)
        for unit in units:
            self._check_tenant(unit)
        seqs = [
            int(s)
            for s in self._session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('memory_units', 'seq')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": len(units)},
            )
        ]
        rows = [row_values(u, k) for u, k in zip(units, dedupe_keys, strict=True)]
        columns = ["seq", *rows[0]]
        sql = f"COPY memory_units ({', '.join(columns)}) FROM STDIN"
        with _driver(self._session).cursor().copy(sql) as copy:
            for seq, row in zip(seqs, rows, strict=True):
                copy.write_row([seq, *(_cell(k, v) for k, v in row.items())])
        for unit in units:
            self._add_edges(unit.id, unit.provenance.sources)
        return seqs


def _cell(key: str, value: Any) -> Any:
    return json.dumps(value, allow_nan=False) if key in _JSON else value


class PgVectorStore(VectorStore):
    def put_new(self, items: Sequence[tuple[int, str, np.ndarray]]) -> None:
        if len(items) < SMALL:
            super().put_new(items)
            return
        rows = []
        for seq, partition, vector in items:
            change = self._change(partition)
            array = np.asarray(vector, dtype=np.float32)
            change.upserts[seq] = array
            rows.append((seq, partition, change.version, self._model, array))
        conn = _driver(self._session)
        register_vector(conn)
        sql = (
            "COPY unit_vectors (seq, partition, version, model, embedding) "
            "FROM STDIN WITH (FORMAT BINARY)"
        )
        with conn.cursor().copy(sql) as copy:
            copy.set_types(["int8", "varchar", "int8", "varchar", "vector"])
            for row in rows:
                copy.write_row(row)
