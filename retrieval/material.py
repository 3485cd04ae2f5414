"""What a packed context shows beyond the turns: the facts the search matched (with what they
replaced) and, for questions that aggregate, the summaries of the best sessions and topics."""

from __future__ import annotations

from memsvc.retrieval.packing import Material
from memsvc.retrieval.retrievers import Lists

from memsvc.domain import Granularity, MemoryUnit, SearchQuery, Status
from memsvc.domain.ports import UnitOfWork

FACTS = 8
SUMMARIES = 5


def gather(uow: UnitOfWork, lists: Lists, query: SearchQuery, aggregate: bool) -> Material:
    found = uow.units.by_seqs(_best(lists.derived, FACTS * 3))
    facts = [u for u in _ordered(found, lists.derived) if _is_fact(u, query)][:FACTS]
    summaries: list[MemoryUnit] = []
    if aggregate:
        sessions = uow.units.by_seqs(_best(lists.sessions, SUMMARIES * 2))
        topics = [u for u in _ordered(found, lists.derived) if u.granularity is Granularity.TOPIC]
        summaries = topics[:2] + [
            u for u in _ordered(sessions, lists.sessions) if u.attributes.get("summary")
        ]
        summaries = summaries[:SUMMARIES]
    replaced = uow.units.replaced_by([f.id for f in facts]) if facts else {}
    return Material(facts, replaced, summaries)


def _best(bucket: dict[int, int], n: int) -> list[int]:
    return [seq for seq, _ in sorted(bucket.items(), key=lambda item: item[1])[:n]]


def _ordered(units: dict[int, MemoryUnit], ranks: dict[int, int]) -> list[MemoryUnit]:
    return [units[s] for s in sorted(units, key=lambda s: ranks.get(s, 10**9))]


def _is_fact(unit: MemoryUnit, query: SearchQuery) -> bool:
    """A fact worth a line of its own: structured (a first-person statement only repeats its
    turn) and current, or valid at `as_of` when the query asks about the past."""
    if unit.granularity is not Granularity.FACT or unit.attributes.get("kind") == "statement":
        return False
    return unit.status is Status.ACTIVE or (
        query.as_of is not None and unit.status is Status.SUPERSEDED
    )
