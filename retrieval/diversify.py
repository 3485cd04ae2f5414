"""Diversity over sessions (MMR with same-session similarity): for questions whose evidence is
spread over several conversations, the first results should cover many sessions instead of
many turns of one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def by_session(
    items: Sequence[T],
    score: Callable[[T], float],
    session: Callable[[T], str | None],
    decay: float = 0.5,
    head: int | None = None,
) -> list[T]:
    """Greedy re-ranking: each further item of an already chosen session has its score
    multiplied by `decay` once more (decay 1 keeps the order). With `head`, only the first
    `head` places are diversified; the rest keep their order."""
    remaining = list(items)
    chosen: list[T] = []
    seen: dict[str | None, int] = {}
    limit = len(remaining) if head is None else min(head, len(remaining))
    while len(chosen) < limit:
        best = max(
            range(len(remaining)),
            key=lambda i: score(remaining[i]) * decay ** seen.get(session(remaining[i]), 0),
        )
        item = remaining.pop(best)
        chosen.append(item)
        key = session(item)
        seen[key] = seen.get(key, 0) + 1
    return chosen + remaining


def crowded(sessions: Sequence[str | None], share: int = 4) -> bool:
    """True when `share` or more of the given hits come from one session."""
    counts: dict[str | None, int] = {}
    for session in sessions:
        counts[session] = counts.get(session, 0) + 1
    return max(counts.values(), default=0) >= share
