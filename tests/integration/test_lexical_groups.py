"""Lexical lists of several granularities read together are the lists read one by one: the
same units, scores and order, whether the partitions are small (one shared query on SQLite)
or large (common terms dropped per partition)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from memsvc import Memory
from memsvc.domain import Granularity
from memsvc.domain.filters import UnitFilter, partition_key

QUERIES = [
    "how many coffee mornings did Maria and I have in total?",
    "what did the assistant suggest for the zebra exhibit",
    "coffee",
    "nothing matches this xylophone",
]
GROUPS = (Granularity.TURN, Granularity.FACT, Granularity.SESSION, Granularity.TOPIC)


def seed(memory: Memory) -> None:
    for s in range(4):
        lines = [
            f"I had coffee with Maria on morning {s}, we talked about the zoo",
            "Sounds lovely! Did you see the zebra exhibit?",
            f"My favourite coffee is an espresso, I drink {s + 2} a day",
            "I suggest trying a flat white next time",
        ]
        messages = [
            {"role": ("user", "assistant")[i % 2], "content": t} for i, t in enumerate(lines)
        ]
        memory.add(messages, user_id="u", session_id=f"s{s}", extract="sync")


def read(memory: Memory, query: str, large: int | None) -> tuple[dict, dict]:
    with memory._container.uow("default", write=False) as uow:
        lexical = uow.lexical
        if large is not None:
            lexical._large = large  # type: ignore[attr-defined]  # SQLite: prune as if large
        groups = {g: [partition_key("default", "u", g)] for g in GROUPS}
        where = UnitFilter(user_id="u")
        together = lexical.search_groups(groups, query, 3, where)
        alone = {
            g: lexical.search(parts, query, 3, replace(where, granularities=(g,)))
            for g, parts in groups.items()
        }
    return together, alone


@pytest.mark.parametrize("large", [None, 10])  # 10: turns pruned alone, the rest together
def test_lists_read_together_are_the_lists_read_alone(memory: Memory, large: int | None) -> None:
    if large is not None and "postgresql" in memory._container.settings.resolved_database_url:
        pytest.skip("pruning of common terms is FTS5's")
    seed(memory)
    shared = set()
    for query in QUERIES:
        together, alone = read(memory, query, large)
        assert together == alone, query
        shared.add(bool(together[Granularity.FACT] and together[Granularity.SESSION]))
        if large is None and query == QUERIES[0]:
            assert len(together[Granularity.TURN]) == 3  # cut at k
    assert True in shared  # not vacuous: several granularities found together
