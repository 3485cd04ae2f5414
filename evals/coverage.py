"""Evidence coverage at a token budget: the share of a question's gold turns that a packed
context covers (docs/evaluation.md).

A gold turn is covered when it is in the context, or when a unit derived from at most
`MAX_SOURCES` source turns, one of them the gold turn, is. memsvc packs its own context
(`search(..., context_budget=B)`, whose `context_items` name each unit and its sources);
baselines pack their ranked turns, whole, until the next one would not fit. Tokens are
counted with the estimator the packer uses (`memsvc.domain.text.estimate_tokens`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from memsvc.evals.metrics import RankedHit

from memsvc import SearchResult
from memsvc.domain.text import estimate_tokens

BUDGETS = (512, 1024, 2048)
MAX_SOURCES = 3


def covered_by_memsvc(result: SearchResult, client_id: Callable[[str], str | None]) -> set[str]:
    """Client ids of the turns memsvc's packed context covers. `client_id` maps a unit id to
    the client id of the turn it is (None for units that are not turns)."""
    out: set[str] = set()
    for item in result.context_items:
        if item.granularity == "turn":
            out.add(client_id(item.unit_id) or "")
        elif 0 < len(item.sources) <= MAX_SOURCES:
            out.update(c for c in map(client_id, item.sources) if c)
    out.discard("")
    return out


def covered_by_ranking(hits: Sequence[RankedHit], texts: dict[str, str], budget: int) -> set[str]:
    """Client ids of a baseline's ranked turns packed whole under `budget` tokens."""
    used, out = 0, set()
    for hit in hits:
        if hit.turn_id is None or hit.turn_id in out:
            continue
        cost = estimate_tokens(texts.get(hit.turn_id, "")) + 1
        if used + cost > budget:
            break
        used += cost
        out.add(hit.turn_id)
    return out


def coverage(covered: set[str], gold: Sequence[str]) -> float:
    wanted = set(gold)
    return len(wanted & covered) / len(wanted)
