"""Reciprocal rank fusion (Cormack et al. 2009): score(d) = sum_i w_i / (k + rank_i(d))."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
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
    scored: Collection[str] = (),
) -> list[Fused[K]]:
    """Fuse ranked lists; returns keys by fused score, best first. Each result keeps every
    list's vote (name, rank, original score). Lists without a weight are ignored when
    `weights` is given. A list named in `scored` counts weight * minmax(score) / (k + 1)."""
    fused: dict[K, Fused[K]] = {}
    for name, ranked in lists.items():
        weight = 1.0 if weights is None else weights.get(name, 0.0)
        if weight <= 0:
            continue
        kept = [
            (item[0], float(item[1]), item[2] if len(item) > 2 else position)
            for position, item in enumerate(ranked, start=1)
        ]
        kept = [item for item in kept if item[2] <= depth]
        shares = minmax([s for _, s, _ in kept]) if name in scored else None
        for position, (key, score, rank) in enumerate(kept):
            entry = fused.get(key)
            if entry is None:
                entry = fused[key] = Fused(key, 0.0)
            if shares is None:
                entry.score += weight / (k + rank)
            else:
                entry.score += weight * shares[position] / (k + 1)
            entry.votes.append(RetrieverRank(name, rank, score))
    # Ties break on the best single rank, then on the key, so the order is deterministic.
    return sorted(
        fused.values(), key=lambda f: (-f.score, min(v.rank for v in f.votes), str(f.key))
    )


def minmax(scores: Sequence[float]) -> list[float]:
    """Scores scaled to [0, 1] (best 1, weakest 0); all 1 when they are equal."""
    if not scores:
        return []
    low, high = min(scores), max(scores)
    if high <= low:
        return [1.0] * len(scores)
    return [(s - low) / (high - low) for s in scores]


# Lists that support the primary ones (priors and expansions around the best turns).
SUPPORT = frozenset({"session", "topic", "neighbour", "feedback", "author", "graph"})


def two_stage(
    lists: Mapping[str, Ranked[K]],
    weights: Mapping[str, float],
    *,
    k: int = 60,
    depth: int = 100,
    scored: Collection[str] = (),
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
        scored=scored,
    )
    votes = {f.key: f.votes for f in support}
    for item in fused:  # show the supporting lists themselves in the explanation
        item.votes = [v for v in item.votes if v.retriever != "support"] + votes.get(item.key, [])
    return fused
