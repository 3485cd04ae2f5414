from __future__ import annotations

from datetime import UTC, datetime

from memsvc.retrieval.diversify import by_session
from memsvc.retrieval.packing import Material, pack

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
    text = pack([hit(late, 1), hit(fact, 2), hit(early2, 3), hit(early, 4)], budget=200).text
    assert text.index("## Session 2024-01-02") < text.index("## Session 2024-01-09")
    assert text.index("I adopted a cat") < text.index("Her name is Luna")
    assert "The user moved to Porto." not in text  # its source turn is already in


def test_session_headers_are_paid_for_when_turns_are_chosen() -> None:
    """The best turn, in the newest of many sessions, stays in: choosing turns counts each
    session's header, so rendering (oldest session first) never runs out of budget before
    it reaches the newest one."""
    best = turn("best", "s20", 28, "I moved to Porto in May.")
    others = [
        turn(f"t{i}", f"s{i}", 1 + i, "Some chat about the weather today.") for i in range(20)
    ]
    hits = [hit(best, 1), *(hit(u, i + 2) for i, u in enumerate(others))]
    for budget in (40, 80, 160):
        packed = pack(hits, budget)
        assert "I moved to Porto in May." in packed.text
        assert packed.items[-1].unit_id == "best"  # the newest session renders last
        assert estimate_tokens(packed.text) <= budget


def test_pack_stays_under_the_budget() -> None:
    hits = [hit(turn(f"t{i}", f"s{i % 3}", 1 + i % 20, "word " * 40, i), i + 1) for i in range(50)]
    for budget in (30, 100, 400):
        text = pack(hits, budget).text
        assert estimate_tokens(text) <= budget
    assert pack(hits, 400).text.count("word") > pack(hits, 100).text.count("word") > 0


def fact(uid: str, text: str, since: int, until: int | None = None) -> MemoryUnit:
    return MemoryUnit(
        id=uid,
        scope=Scope("t", "u"),
        granularity=Granularity.FACT,
        content=text,
        valid_from=datetime(2024, since, 1, tzinfo=UTC),
        valid_to=datetime(2024, until, 1, tzinfo=UTC) if until else None,
        provenance=Provenance(sources=[f"turn-of-{uid}"]),
    )


def test_pack_leads_with_current_facts_and_what_they_replaced() -> None:
    now, old = (
        fact("f2", "The user lives in Porto.", 6),
        fact("f1", "The user lives in Lisbon.", 1, 6),
    )
    material = Material(facts=[now], replaced={"f2": [old]})
    hits = [hit(turn("t1", "s1", 3, "We just relocated to Porto!"), 1)]
    packed = pack(hits, 200, material)
    assert packed.text.startswith("## Facts\n- The user lives in Porto. (since 2024-06-01; before:")
    assert "The user lives in Lisbon. (until 2024-06-01)" in packed.text
    assert [(i.unit_id, i.sources) for i in packed.items] == [("f2", ("turn-of-f2",)), ("t1", ())]
    assert "[#f2]" in packed.text and "[#t1]" in packed.text


def test_summaries_get_their_share_and_turns_take_what_is_left() -> None:
    session = MemoryUnit(
        id="s9",
        scope=Scope("t", "u", None, "s9"),
        granularity=Granularity.SESSION,
        content="preview",
        attributes={"summary": "Three trips: Rome, Oslo, Kyoto."},
        occurred_at=datetime(2024, 2, 1, tzinfo=UTC),
    )
    hits = [hit(turn(f"t{i}", "s1", 3, "word " * 30, i), i + 1) for i in range(20)]
    packed = pack(hits, 300, Material(summaries=[session]))
    assert (
        "## Summaries\n- session 2024-02-01: Three trips: Rome, Oslo, Kyoto. [#s9]" in packed.text
    )
    assert estimate_tokens(packed.text) <= 300
    assert packed.items[0].unit_id == "s9" and len(packed.items) > 3


def test_crowded_means_one_session_holds_enough_of_the_best() -> None:
    from memsvc.retrieval.diversify import crowded

    assert crowded(["a", "b", "a", "a", "c", "a"], share=4)
    assert not crowded(["a", "b", "c", "a", "d", "e"], share=4)
    assert not crowded([], share=1)
