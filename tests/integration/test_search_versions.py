"""A search reads its scope's partition versions once, in its own transaction, and its caches
(turn directory, entity graph) and the vector index follow them: a write is seen by the next
search, and a search whose transaction began before a write does not make the index start
over."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import event

from memsvc import Memory
from memsvc.bootstrap import Container
from memsvc.domain import AddCommand, Message, Scope, SearchQuery
from memsvc.domain.filters import partition_key
from memsvc.domain.vectors import VectorFilter
from memsvc.settings import Settings


@contextmanager
def statements(container: Container) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (on either engine)."""
    sent: list[str] = []

    def on(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    engines = (container.read_engine, container.write_engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", on)
    try:
        yield sent
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", on)


@pytest.fixture
def wide(settings: Settings) -> Iterator[Memory]:
    """A memory whose aggregation questions get the session and topic priors (off by
    default), so that a routed search reads every kind of list."""
    retrieval = settings.retrieval.model_copy(update={"aggregation_priors": True})
    with Memory(settings.model_copy(update={"retrieval": retrieval})) as mem:
        yield mem


def chat(memory: Memory, session: str, *lines: str) -> None:
    messages = [{"role": ("user", "assistant")[i % 2], "content": t} for i, t in enumerate(lines)]
    memory.add(messages, user_id="u", session_id=session, extract="sync")


def test_a_routed_search_reads_the_partition_versions_once(wide: Memory) -> None:
    chat(wide, "a", "My sister Maria moved to Lisbon last spring.", "Lisbon is lovely.")
    chat(wide, "b", "How many trips did I plan with Maria in total?", "Two so far.")
    question = "How many times did I visit Maria in Lisbon altogether?"
    for _ in range(2):  # the scope's first search, and a later one
        with statements(wide._container) as sent:
            result = wide.search(question, user_id="u", k=5)
        assert result.route.weights.get("session") and result.route.weights.get("graph")
        assert sum("vector_partitions" in s for s in sent) == 1


def test_the_next_search_sees_a_write_through_every_cache(memory: Memory) -> None:
    chat(memory, "a", "My sister Maria moved to Lisbon last spring.", "Lisbon is lovely.")
    first = memory.search("Where does Tomasz sail?", user_id="u", k=5, profile=True)
    assert first.route.features["linked_entities"] == []
    chat(memory, "b", "My colleague Tomasz sails on Lake Geneva.", "Sailing sounds lovely.")
    again = memory.search("Where does Tomasz sail?", user_id="u", k=5)
    assert again.route.features["linked_entities"] == ["tomasz"]
    assert again.hits[0].memory.content == "My colleague Tomasz sails on Lake Geneva."
    # The reply next to it is found through the (rebuilt) turn directory.
    votes = {h.memory.content: {v.retriever for v in h.retrievers} for h in again.hits}
    assert "neighbour" in votes["Sailing sounds lovely."]


def test_versions_cover_the_user_or_the_whole_tenant(container: Container) -> None:
    for user in ("u1", "u2"):
        cmd = AddCommand(Scope("t", user, None, "s"), [Message("user", f"hello from {user}")])
        container.service.add(cmd)
    with container.uow("t", write=False) as uow:
        mine, every = uow.vectors.versions("u1"), uow.vectors.versions(None)
    assert partition_key("t", "u1", "turn") in mine
    assert not any("u2" in p for p in mine)
    assert {partition_key("t", u, "turn") for u in ("u1", "u2")} <= set(every)
    with container.uow("other", write=False) as uow:
        assert uow.vectors.versions(None) == {}


@pytest.mark.sqlite_only  # the FAISS index (pgvector searches SQL in place)
def test_a_search_begun_before_a_write_keeps_the_index(container: Container) -> None:
    service, scope = container.service, Scope("t", "u", None, "s")
    service.add(AddCommand(scope, [Message("user", "the red kayak")]))
    partition = partition_key("t", "u", "turn")
    with container.uow("t", write=False) as uow:
        before = uow.vectors.versions("u")  # a transaction that began before the next write
    service.search(SearchQuery(Scope("t", "u"), "kayak"))  # the partition is in memory now
    service.add(AddCommand(scope, [Message("user", "the blue canoe")]))
    vector = container.embedder.for_queries("t").embed_batch(["canoe"])[0]
    with statements(container) as sent:
        hits = container.index.search([partition], vector, 10, VectorFilter(), before)
    assert len(hits) == 2  # the newer vector is kept, not dropped by a restart from SQL
    # One fresh version read (BEGIN, SELECT) tells an older snapshot from an older database.
    assert sum("vector_partitions" in s for s in sent) == 1
    assert not any("unit_vectors" in s for s in sent)
    assert np.isfinite([s for _, s in hits]).all()


@pytest.mark.sqlite_only  # FTS5 (PostgreSQL's BM25 counts per partition: one list each)
def test_a_routed_search_reads_its_lexical_lists_in_one_statement(wide: Memory) -> None:
    when = datetime(2024, 5, 10, tzinfo=UTC)
    for session in ("a", "b"):
        wide.add(
            [{"role": "user", "content": f"I visited Maria in Lisbon ({session})"}],
            user_id="u",
            session_id=session,
            occurred_at=when,
            extract="sync",
        )
    question = "How many times did I visit Maria in Lisbon last month altogether?"
    with statements(wide._container) as sent:
        result = wide.search(question, user_id="u", query_time=when + timedelta(days=25))
    assert result.route.name == "time+wide"  # turn, fact, session, topic and time lists
    assert sum("units_fts MATCH" in s for s in sent) == 1
    votes = {v.retriever for h in result.hits for v in h.retrievers}
    assert {"turn.lexical", "time.lexical", "session"} <= votes
