"""Lexical lists of several granularities read together are the lists read one by one: the
same units, scores and order, whether the partitions are small (one shared query on SQLite)
or large (common terms dropped per partition)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from memsvc import Memory
from memsvc.domain import Granularity
from memsvc.domain.filters import LexicalSearch, UnitFilter, partition_key

QUERIES = [
    "how many coffee mornings did Maria and I have in total?",
    "what did the assistant suggest for the zebra exhibit",
    "coffee",
    "nothing matches this xylophone",
]
GROUPS = (Granularity.TURN, Granularity.FACT, Granularity.SESSION, Granularity.TOPIC)
DAY0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
WEEK = (DAY0 + timedelta(days=7), DAY0 + timedelta(days=14))


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
        when = DAY0 + timedelta(days=5 * s)  # only session s2 falls in WEEK
        memory.add(messages, user_id="u", session_id=f"s{s}", occurred_at=when, extract="sync")


def read(memory: Memory, query: str, large: int | None) -> tuple[list, list]:
    with memory._container.uow("default", write=False) as uow:
        lexical = uow.lexical
        if large is not None:
            lexical._large = large  # type: ignore[attr-defined]  # SQLite: prune as if large
        where = UnitFilter(user_id="u")
        searches = [
            LexicalSearch((partition_key("default", "u", g),), replace(where, granularities=(g,)))
            for g in GROUPS
        ]
        # The turns of one week only: a list with a time window, read with the others.
        week = replace(searches[0].where, occurred_from=WEEK[0], occurred_to=WEEK[1])
        searches.append(LexicalSearch(searches[0].partitions, week))
        together = lexical.search_many(searches, query, 3)
        alone = [lexical.search(s.partitions, query, 3, s.where) for s in searches]
    return together, alone


@pytest.mark.parametrize("large", [None, 10])  # 10: turns pruned alone, the rest together
def test_lists_read_together_are_the_lists_read_alone(memory: Memory, large: int | None) -> None:
    if large is not None and "postgresql" in memory._container.settings.resolved_database_url:
        pytest.skip("pruning of common terms is FTS5's")
    seed(memory)
    seen = set()
    for query in QUERIES:
        together, alone = read(memory, query, large)
        assert together == alone, query
        turns, facts, sessions, week = together[0], together[1], together[2], together[4]
        seen.add(("kinds", bool(facts and sessions)))
        seen.add(("window", bool(week) and week != turns))
        seen.add(("cut", len(turns) == 3))
    # Not vacuous: several granularities together; small turns also windowed and cut at k.
    assert ("kinds", True) in seen
    assert large is not None or {("window", True), ("cut", True)} <= seen
