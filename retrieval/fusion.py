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


# A ranked list, best first, of (key, score) or (key, score, rank). An explicit rank lets
# several keys share one (every turn of a session found at rank 3 gets rank 3).
Ranked = Sequence[tuple[K, float] | tuple[K, float, int]]


def rrf(
    lists: Mapping[str, Ranked[K]],
    *,
    k: int = 60,
    depth: int = 100,
    weights: Mapping[str, float] | None = None,
) -> list[Fused[K]]:
    """Fuse ranked lists; returns keys by fused score, best first. Each result keeps every
    list's vote (name, rank, original score). Lists without a weight are ignored when
    `weights` is given."""
    fused: dict[K, Fused[K]] = {}
    for name, ranked in lists.items():
        weight = 1.0 if weights is None else weights.get(name, 0.0)
        if weight <= 0:
            continue
        for position, item in enumerate(ranked, start=1):
            rank = item[2] if len(item) > 2 else position
            if rank > depth:
                break
            key, score = item[0], item[1]
            entry = fused.get(key)
            if entry is None:
                entry = fused[key] = Fused(key, 0.0)
            entry.score += weight / (k + rank)
            entry.votes.append(RetrieverRank(name, rank, float(score)))
    # Ties break on the best single rank, then on the key, so the order is deterministic.
    return sorted(
        fused.values(), key=lambda f: (-f.score, min(v.rank for v in f.votes), str(f.key))
    )


# Lists that support the primary ones (priors and expansions around the best turns).
SUPPORT = frozenset({"session", "topic", "neighbour", "feedback", "author", "graph"})


def two_stage(
    lists: Mapping[str, Ranked[K]], weights: Mapping[str, float], *, k: int = 60, depth: int = 100
) -> list[Fused[K]]:
    """Two-stage RRF. Supporting lists (session and topic priors, neighbours, feedback,
    speakers, graph) are fused into one `support` ranking first, which then counts as one
    list beside the primary ones: correlated weak signals cannot outvote a turn that the
    primary retrievers both rank first. Each result keeps the supporting lists' own votes."""
    support = rrf(
        {n: v for n, v in lists.items() if n in SUPPORT}, k=k, depth=depth, weights=weights
    )
    primary = {n: v for n, v in lists.items() if n not in SUPPORT}
    ranked = [(f.key, f.score, rank) for rank, f in enumerate(support, start=1)]
    fused = rrf(
        {**primary, "support": ranked},
        k=k,
        depth=depth,
        weights={**weights, "support": weights.get("support", 0.0)},
    )
    votes = {f.key: f.votes for f in support}
    for item in fused:  # show the supporting lists themselves in the explanation
        item.votes = [v for v in item.votes if v.retriever != "support"] + votes.get(item.key, [])
    return fused
