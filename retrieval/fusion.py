"""Reciprocal rank fusion (Cormack et al. 2009): score(d) = sum_i w_i / (k + rank_i(d))."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from memsvc.domain import RetrieverRank

K = TypeVar("K", bound=Hashable)


@dataclass(slots=True)
class Fused(Generic[K]):
    key: K
    score: float
    votes: list[RetrieverRank] = field(default_factory=list)


def rrf(
    lists: Mapping[str, Sequence[tuple[K, float]]],
    *,
    k: int = 60,
    depth: int = 100,
    weights: Mapping[str, float] | None = None,
) -> list[Fused[K]]:
    """Fuse ranked lists (best first) of (key, score); returns keys by fused score, best first.
    Each result keeps every list's vote (name, 1-based rank, original score)."""
    fused: dict[K, Fused[K]] = {}
    for name, ranked in lists.items():
        weight = 1.0 if weights is None else weights.get(name, 0.0)
        if weight <= 0:
            continue
        for rank, (key, score) in enumerate(ranked[:depth], start=1):
            item = fused.get(key)
            if item is None:
                item = fused[key] = Fused(key, 0.0)
            item.score += weight / (k + rank)
            item.votes.append(RetrieverRank(name, rank, float(score)))
    # Ties break on the best single rank, then on the key, so the order is deterministic.
    return sorted(
        fused.values(), key=lambda f: (-f.score, min(v.rank for v in f.votes), str(f.key))
    )
