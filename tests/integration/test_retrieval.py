"""Routed retrieval end to end: explanations on every hit, facts as keys, time windows,
context packing, exclusions."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime

from memsvc import Memory

MARCH = datetime(2024, 3, 2, 10, 0, tzinfo=UTC)
APRIL = datetime(2024, 4, 20, 10, 0, tzinfo=UTC)


def seed(memory: Memory) -> None:
    memory.add(
        [
            {
                "role": "user",
                "content": "Can you suggest a pasta recipe? By the way, I "
                "adopted a beagle named Rex last week.",
            },
            {"role": "assistant", "content": "Congratulations! Try a simple carbonara."},
        ],
        user_id="u",
        session_id="march",
        occurred_at=MARCH,
        extract="sync",
    )
    memory.add(
        [
            {"role": "user", "content": "I started pottery classes at Clay Studio."},
            {"role": "assistant", "content": "Pottery is a relaxing hobby."},
        ],
        user_id="u",
        session_id="april",
        occurred_at=APRIL,
        extract="sync",
    )


def test_every_hit_is_explained(memory: Memory) -> None:
    seed(memory)
    result = memory.search(
        "What is the name of my dog?", user_id="u", k=4, query_time=datetime(2024, 5, 1, tzinfo=UTC)
    )
    assert result.route.reasons and result.route.weights
    for hit in result.hits:
        assert hit.granularity == "turn" and hit.retrievers
        assert all(v.rank >= 1 for v in hit.retrievers)
        assert hit.provenance == hit.memory.sources
    top = result.hits[0]
    assert "beagle named Rex" in top.memory.content


def test_a_fact_key_is_named_when_it_found_the_turn(memory: Memory) -> None:
    seed(memory)
    result = memory.search("The user's dog is named Rex.", user_id="u", k=2)
    top = result.hits[0]
    assert "Rex" in top.memory.content
    assert top.matched_key is not None and "Rex" in top.matched_key


def test_time_expressions_window_the_search(memory: Memory) -> None:
    seed(memory)
    result = memory.search(
        "What did I start doing in April?",
        user_id="u",
        k=3,
        query_time=datetime(2024, 5, 1, tzinfo=UTC),
    )
    assert result.time_window is not None
    assert result.time_window.start == datetime(2024, 4, 1, tzinfo=UTC)
    assert "time" in result.route.name
    assert result.hits[0].memory.session_id == "april"
    assert all(h.time_window == result.time_window for h in result.hits)


def test_context_is_packed_under_the_budget(memory: Memory) -> None:
    seed(memory)
    result = memory.search("pets and hobbies", user_id="u", k=4, context_budget=60)
    assert result.context and result.context.startswith("## Session")
    assert len(result.context) <= 60 * 4


def test_excluded_retrievers_do_not_vote(memory: Memory) -> None:
    seed(memory)
    result = memory.search(
        "What is the name of my dog?",
        user_id="u",
        k=4,
        exclude_retrievers=["session", "neighbour", "feedback", "turn.dense"],
    )
    votes = {v.retriever for h in result.hits for v in h.retrievers}
    assert not votes & {"session", "neighbour", "feedback", "turn.dense"}
    assert "turn.lexical" in votes


def test_search_hits_count_as_accesses_once_flushed(memory: Memory) -> None:
    seed(memory)
    result = memory.search("What is the name of my dog?", user_id="u", k=2)
    memory.service.flush()
    for hit in result.hits:
        stored = memory.get(hit.memory.id)
        assert stored.access_count == 1 and stored.last_accessed_at is not None
        assert stored.version == hit.memory.version  # bookkeeping, not a new version
    untouched = memory.list(user_id="u", granularities=["turn"], limit=10).items
    hit_ids = {h.memory.id for h in result.hits}
    assert all(u.access_count == 0 for u in untouched if u.id not in hit_ids)


def test_a_query_vector_is_never_written_to_the_embedding_cache(memory: Memory) -> None:
    """A query is not a memory: nothing could purge its entry, and its vector in the cache
    file would confirm a guessed query. Stored texts are cached; queries are not."""
    seed(memory)
    path = memory._container.settings.embedding_cache_path
    assert path is not None

    def entries() -> int:
        with closing(sqlite3.connect(path)) as conn:
            return int(conn.execute("SELECT count(*) FROM vectors").fetchone()[0])

    before = entries()
    assert before > 0
    memory.search("Where did the user take pottery classes recently?", user_id="u", k=3)
    assert entries() == before


def test_a_profiled_search_says_where_its_time_went(memory: Memory) -> None:
    seed(memory)
    plain = memory.search("What is the name of my dog?", user_id="u", k=4)
    profiled = memory.search("What is the name of my dog?", user_id="u", k=4, profile=True)
    assert plain.profile is None
    assert [h.memory.id for h in profiled.hits] == [h.memory.id for h in plain.hits]
    assert profiled.profile is not None
    steps = {s.name: s for s in profiled.profile}
    assert profiled.profile[0].name == "search"
    assert {"embed", "turn", "turn/dense", "turn/lexical", "route", "fuse", "load"} <= set(steps)
    total = steps["search"]
    assert total.ms > 0 and total.calls == 1
    # Stages directly inside the search add up to no more than it.
    assert sum(s.ms for s in profiled.profile if s.name != "search" and "/" not in s.name) <= (
        total.ms
    )
    assert steps["load"].statements >= 1 and steps["turn/lexical"].statements >= 1
    assert total.statements >= sum(
        s.statements for s in profiled.profile if s.name != "search" and "/" not in s.name
    )
