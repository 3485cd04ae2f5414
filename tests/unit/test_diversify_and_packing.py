from __future__ import annotations

from datetime import UTC, datetime

from memsvc.retrieval.diversify import by_session
from memsvc.retrieval.packing import pack

from memsvc.domain import Granularity, Hit, MemoryUnit, Provenance, Scope
from memsvc.domain.text import estimate_tokens


def test_by_session_spreads_the_head_and_keeps_the_tail() -> None:
    items = [("a", 1.0), ("a", 0.9), ("a", 0.8), ("b", 0.7), ("c", 0.6)]
    out = by_session(items, lambda i: i[1], lambda i: i[0], decay=0.5, head=3)
    assert [i[0] for i in out[:3]] == ["a", "b", "c"]
    assert out[3:] == [("a", 0.9), ("a", 0.8)]
    assert by_session(items, lambda i: i[1], lambda i: i[0], decay=1.0) == items


def turn(uid: str, session: str, day: int, text: str, position: int = 0) -> MemoryUnit:
    return MemoryUnit(
        id=uid,
        scope=Scope("t", "u", None, session),
        granularity=Granularity.TURN,
        content=text,
        attributes={"role": "user", "position": position},
        occurred_at=datetime(2024, 1, day, tzinfo=UTC),
    )


def hit(unit: MemoryUnit, rank: int) -> Hit:
    return Hit(unit, 1.0 / rank, rank)


def test_pack_groups_by_session_in_time_order_and_skips_repeats() -> None:
    late = turn("t1", "s2", 9, "I moved to Porto")
    early = turn("t2", "s1", 2, "I adopted a cat", 0)
    early2 = turn("t3", "s1", 2, "Her name is Luna", 1)
    fact = MemoryUnit(
        id="f1",
        scope=Scope("t", "u"),
        granularity=Granularity.FACT,
        content="The user moved to Porto.",
        provenance=Provenance(sources=["t1"]),
    )
    text = pack([hit(late, 1), hit(fact, 2), hit(early2, 3), hit(early, 4)], budget=200)
    assert text.index("Session s1") < text.index("Session s2")
    assert text.index("I adopted a cat") < text.index("Her name is Luna")
    assert "The user moved to Porto." not in text  # its source turn is already in


def test_pack_stays_under_the_budget() -> None:
    hits = [hit(turn(f"t{i}", f"s{i % 3}", 1 + i % 20, "word " * 40, i), i + 1) for i in range(50)]
    for budget in (30, 100, 400):
        text = pack(hits, budget)
        assert estimate_tokens(text) <= budget
    assert pack(hits, 400).count("word") > pack(hits, 100).count("word") > 0


def test_crowded_means_one_session_holds_enough_of_the_best() -> None:
    from memsvc.retrieval.diversify import crowded

    assert crowded(["a", "b", "a", "a", "c", "a"], share=4)
    assert not crowded(["a", "b", "c", "a", "d", "e"], share=4)
    assert not crowded([], share=1)
