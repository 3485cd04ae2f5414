"""Ports: the small protocols that adapters implement (embedders, vector indexes, LLMs, queues)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dim: int

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dim), each row L2-normalised."""
        ...


@dataclass(slots=True)
class VectorChanges:
    """What one committed transaction did to one partition of vectors."""

    partition: str
    version: int
    upserts: dict[int, np.ndarray] = field(default_factory=dict)
    removals: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class VectorFilter:
    """Restricts a vector search inside its partitions: only `allow` ids, or all but `deny`."""

    allow: Collection[int] | None = None
    deny: Collection[int] | None = None


class VectorIndex(Protocol):
    """Dense search over unit vectors, partitioned by scope and granularity.

    SQL holds the vectors; an index is a derived, rebuildable view of them.
    """

    def search(
        self, partitions: Sequence[str], query: np.ndarray, k: int, where: VectorFilter
    ) -> list[tuple[int, float]]:
        """Top-k (unit seq, cosine similarity) over the given partitions, best first."""
        ...

    def apply(self, changes: Sequence[VectorChanges]) -> None:
        """Take in changes that were just committed to SQL."""
        ...


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
