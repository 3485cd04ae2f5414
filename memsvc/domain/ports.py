"""Ports: the small protocols that adapters implement. Embedders, the vector index, the lexical
index, the job queue, and the unit of work with the repositories it hands out
(`memsvc.domain.repositories`). `memsvc.bootstrap` picks the implementations (SQLite + FAISS +
FTS5 + in-process runner, or PostgreSQL + pgvector + tsvector + procrastinate); services,
retrievers and jobs see only these protocols."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

import numpy as np

from memsvc.domain.auth import Tenancy, TenantRef
from memsvc.domain.filters import LexicalSearch, UnitFilter
from memsvc.domain.jobs import JobQueue
from memsvc.domain.repositories import History, Jobs, Scopes, Units, Vectors
from memsvc.domain.vectors import VectorChanges, VectorFilter

__all__ = [
    "Embedder",
    "Embeddings",
    "JobQueue",
    "LexicalIndex",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "VectorChanges",
    "VectorFilter",
    "VectorIndex",
]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dim: int

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dim), each row L2-normalised."""
        ...


class VectorIndex(Protocol):
    """Dense search over unit vectors, partitioned by scope and granularity. SQL holds the
    vectors: FAISS keeps a rebuildable copy beside SQLite; pgvector searches them in place."""

    def search(
        self,
        partitions: Sequence[str],
        query: np.ndarray,
        k: int,
        where: VectorFilter,
        versions: Mapping[str, int] | None = None,
    ) -> list[tuple[int, float]]:
        """Top-k (unit seq, cosine similarity) over the given partitions, best first.
        `versions`: the partitions' versions as the caller's transaction read them (a search
        reads them once for all its lists); an index kept outside SQL otherwise reads them."""
        ...

    def apply(self, changes: Sequence[VectorChanges]) -> None:
        """Take in changes that were just committed to SQL."""
        ...

    def flush(self) -> None:
        """Persist what is kept outside SQL (nothing for an index inside the database)."""
        ...

    def rebuild(self) -> int:
        """Rebuild whatever is derived from SQL; returns the vectors it now holds."""
        ...

    def close(self) -> None: ...


class LexicalIndex(Protocol):
    """Lexical search (FTS5 bm25, or tsvector + GIN with BM25), maintained in the same
    transaction as the units, scoped by partition and the tenancy's filters."""

    def put(self, seq: int, partition: str, content: str) -> None: ...

    def put_new(self, items: Sequence[tuple[int, str, str]]) -> None:
        """Index units not indexed yet, (seq, partition, text) each."""
        ...

    def drop(self, seqs: Sequence[int]) -> None: ...

    def search(
        self, partitions: Sequence[str], query: str, k: int, where: UnitFilter
    ) -> list[tuple[int, float]]:
        """Top-k (unit seq, score) within the partitions; higher score is better."""
        ...

    def search_many(
        self, searches: Sequence[LexicalSearch], query: str, k: int
    ) -> list[list[tuple[int, float]]]:
        """`search` for several lists of one query (in order): the same lists, read
        together where the index can share work between them."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the repositories of one tenancy. Only services commit; leaving
    the `with` block without `commit()` rolls everything back."""

    tenancy: Tenancy
    tenant_id: str

    # Read-only in the protocol (covariant): an implementation hands out its own classes.
    @property
    def units(self) -> Units: ...

    @property
    def history(self) -> History: ...

    @property
    def jobs(self) -> Jobs: ...

    @property
    def vectors(self) -> Vectors: ...

    @property
    def lexical(self) -> LexicalIndex: ...

    @property
    def scopes(self) -> Scopes: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def lock(self, key: str) -> None:
        """Serialise this transaction with any other that locks `key` until it ends (writers
        of one session on several API replicas). SQLite's single writer needs nothing."""
        ...

    def mark_scrub_pending(self) -> None:
        """Inside a purge: the files still hold what it removed, until `scrub` runs."""
        ...


class UnitOfWorkFactory(Protocol):
    """Makes units of work confined to a tenant (or a tenancy narrowed to a user or agent)."""

    @property
    def index(self) -> VectorIndex: ...

    def __call__(self, tenant: TenantRef, *, write: bool = True) -> UnitOfWork: ...


class Embeddings(Protocol):
    """What services embed with: an embedder seen per tenant (its cache entries are keyed by
    the tenant, so one tenant's texts are never looked up or timed through another's)."""

    name: str
    dim: int

    def for_tenant(self, tenant_id: str) -> Embedder: ...

    def for_queries(self, tenant_id: str) -> Embedder:
        """The tenant's embedder for search queries: it keeps nothing of what it embeds."""
        ...

    def forget(self, tenant_id: str, texts: Sequence[str]) -> None:
        """Drop whatever is kept of these texts (their cached vectors): a purge."""
        ...
