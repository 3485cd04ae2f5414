"""The PostgreSQL backend: pgvector for vectors, tsvector for lexical search, advisory locks
for writers of one session on several replicas, and procrastinate for jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from memsvc.stores.engine import HnswOptions, PoolOptions, make_engine
from memsvc.stores.maintenance import scrub_files
from memsvc.stores.pg_bulk import PgUnitRepository, PgVectorStore
from memsvc.stores.pg_lexical import PgLexical
from memsvc.stores.pgserver import resolve
from memsvc.stores.pgvector import PGVECTOR, PgVectorIndex, ensure_hnsw
from memsvc.stores.units import UnitRepository
from memsvc.stores.vectors import VectorStore
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from memsvc.domain.auth import Tenancy
from memsvc.domain.ports import LexicalIndex, VectorIndex


@dataclass
class PostgresBackend:
    url: str
    name: str = "postgresql"
    queue: str = "procrastinate"
    serial_writes: bool = False
    shared: bool = True
    hnsw: HnswOptions = field(default_factory=HnswOptions)

    @classmethod
    def connect(cls, url: str, hnsw: HnswOptions | None = None) -> PostgresBackend:
        """`url` resolved (a pgserver URL starts its server here)."""
        return cls(resolve(url), hnsw=hnsw or HnswOptions())

    def engines(self, pool: PoolOptions) -> tuple[Engine, Engine]:
        # READ COMMITTED on both: writers of one session serialise on `lock`.
        return make_engine(self.url, pool=pool), make_engine(self.url, pool=pool)

    def lexical(self, session: Session, tenancy: Tenancy) -> LexicalIndex:
        return PgLexical(session, tenancy)

    def units(self, session: Session, tenancy: Tenancy) -> UnitRepository:
        return PgUnitRepository(session, tenancy)

    def vectors(self, session: Session, tenant_id: str, model: str) -> VectorStore:
        return PgVectorStore(session, tenant_id, model, PGVECTOR)

    def lock(self, session: Session, key: str) -> None:
        """A transaction-scoped advisory lock on the key's 64-bit hash."""
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))

    def index(self, read: Engine, dim: int, instance: str) -> VectorIndex:
        ensure_hnsw(read, dim, self.hnsw)
        return PgVectorIndex(read, dim, self.hnsw)

    def scrub(self, engine: Engine, index: VectorIndex) -> bool:
        """Nothing kept outside the tables: the purge's DELETEs took the rows, vectors and
        tsvectors. Dead tuples stay in the heap until (auto)VACUUM reclaims them, which is
        the operator's to schedule (`VACUUM` after a large purge)."""
        return scrub_files(engine)

    def files(self) -> Path | None:
        return None
