"""MemsvcStore as LangGraph's BaseStore, on a real SQLite store.

The langgraph packages ship no store test suite, so the first tests follow the behaviour
LangGraph's own store tests check (langgraph libs/checkpoint-sqlite/tests/test_store.py, MIT:
batch order, get/put/search/list_namespaces, filters, pagination), and the later ones drive
the store the way LangMem's memory tools do (create/update/delete/search in a
("memories", "{user_id}") namespace)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from langgraph.store.base import (
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchItem,
    SearchOp,
)
from memsvc.api.app import create_app

import memsvc
from memsvc.bootstrap import Container
from memsvc.domain.errors import NotFoundError
from memsvc.integrations.langgraph import MemsvcStore
from tests.servers import app_server


@pytest.fixture
def store(memory: memsvc.Memory) -> MemsvcStore:
    return MemsvcStore(memory)


# -- what LangGraph's store tests check ----------------------------------------------------
def test_batch_runs_operations_in_order(store: MemsvcStore) -> None:
    store.put(("test", "foo"), "key1", {"data": "value1"})
    store.put(("test", "bar"), "key2", {"data": "value2"})
    results = store.batch(
        [
            GetOp(("test", "foo"), "key1"),
            PutOp(("test", "bar"), "key2", {"data": "value2"}),
            SearchOp(("test",), filter={"data": "value1"}, limit=10, offset=0),
            ListNamespacesOp(match_conditions=None, max_depth=None, limit=10, offset=0),
            GetOp(("test",), "key3"),
            PutOp(("test",), "key3", {"data": "value3"}),
            GetOp(("test",), "key3"),
        ]
    )
    assert isinstance(results[0], Item) and results[0].value == {"data": "value1"}
    assert results[0].namespace == ("test", "foo") and results[0].key == "key1"
    assert results[1] is None
    assert [i.key for i in results[2]] == ["key1"]
    assert {("test", "foo"), ("test", "bar")} <= set(results[3])
    assert results[4] is None
    assert results[5] is None
    assert results[6] is not None and results[6].value == {"data": "value3"}


def test_put_get_update_and_delete(store: MemsvcStore) -> None:
    namespace = ("test", "documents")
    store.put(namespace, "doc1", {"title": "Test Document", "content": "Hello, World!"})
    item = store.get(namespace, "doc1")
    assert item is not None and item.namespace == namespace and item.key == "doc1"
    assert item.value == {"title": "Test Document", "content": "Hello, World!"}

    store.put(namespace, "doc1", {"title": "Updated Document", "content": "Hello, Updated!"})
    updated = store.get(namespace, "doc1")
    assert updated is not None and updated.value["title"] == "Updated Document"
    assert updated.created_at == item.created_at
    assert updated.updated_at >= item.updated_at
    assert store.get(("test", "other_documents"), "doc1") is None

    store.delete(namespace, "doc1")
    assert store.get(namespace, "doc1") is None
    assert store.search(namespace) == []


def test_a_batch_of_puts_with_a_none_value_deletes(store: MemsvcStore) -> None:
    store.put(("test",), "key3", {"data": "old"})
    results = store.batch(
        [
            PutOp(("test",), "key1", {"data": "value1"}),
            PutOp(("test",), "key2", {"data": "value2"}),
            PutOp(("test",), "key3", None),
        ]
    )
    assert results == [None, None, None]
    assert store.get(("test",), "key1").value == {"data": "value1"}  # type: ignore[union-attr]
    assert store.get(("test",), "key3") is None


def test_search_by_prefix_filter_and_pagination(store: MemsvcStore) -> None:
    data = [
        (("test", "docs"), "doc1", {"title": "First Doc", "author": "Alice", "n": 1}),
        (("test", "docs"), "doc2", {"title": "Second Doc", "author": "Bob", "n": 2}),
        (("test", "images"), "img1", {"title": "Image 1", "author": "Alice", "n": 3}),
        (("testing",), "other", {"title": "Not under test", "author": "Alice", "n": 4}),
    ]
    for namespace, key, value in data:
        store.put(namespace, key, value)
    assert len(store.search(("test",))) == 3  # ("testing",) is not under ("test",)
    docs = store.search(("test", "docs"))
    assert {i.key for i in docs} == {"doc1", "doc2"} and all(
        isinstance(i, SearchItem) for i in docs
    )
    assert {i.key for i in store.search(("test",), filter={"author": "Alice"})} == {"doc1", "img1"}
    assert {i.key for i in store.search(("test",), filter={"n": {"$gte": 2}})} == {"doc2", "img1"}
    assert {i.key for i in store.search(("test",), filter={"author": {"$ne": "Alice"}})} == {"doc2"}
    assert [i.key for i in store.search(("test",), limit=2)] == ["img1", "doc2"]  # newest first
    assert [i.key for i in store.search(("test",), offset=2)] == ["doc1"]
    assert len(store.search(())) == 4


def test_list_namespaces_by_prefix_suffix_depth_and_page(store: MemsvcStore) -> None:
    namespaces = [
        ("test", "documents", "public"),
        ("test", "documents", "private"),
        ("test", "images", "public"),
        ("test", "images", "private"),
        ("prod", "documents", "public"),
        ("prod", "documents", "private"),
    ]
    for namespace in namespaces:
        store.put(namespace, "dummy", {"content": "dummy"})
    assert sorted(store.list_namespaces()) == sorted(namespaces)
    assert len(store.list_namespaces(prefix=("test",))) == 4
    assert {n[-1] for n in store.list_namespaces(suffix=("public",))} == {"public"}
    assert len(store.list_namespaces(suffix=("public",))) == 3
    assert store.list_namespaces(prefix=("test", "*", "private")) == [
        ("test", "documents", "private"),
        ("test", "images", "private"),
    ]
    assert store.list_namespaces(max_depth=2) == [
        ("prod", "documents"),
        ("test", "documents"),
        ("test", "images"),
    ]
    assert len(store.list_namespaces(limit=3)) == 3
    assert len(store.list_namespaces(limit=3, offset=3)) == 3
    for namespace in namespaces:
        store.delete(namespace, "dummy")
    assert store.list_namespaces() == []


def test_query_search_ranks_the_matching_item_first(store: MemsvcStore) -> None:
    store.put(("docs",), "a", {"text": "The quarterly budget report for finance"})
    store.put(("docs",), "b", {"text": "A recipe for banana bread with walnuts"})
    store.put(("docs",), "c", {"text": "Notes on the hiking trip to the Alps"})
    hits = store.search(("docs",), query="banana bread recipe", limit=2)
    assert hits[0].key == "b" and hits[0].score is not None
    assert len(hits) == 2
    assert store.search(("docs",), query="banana bread", filter={"text": "nothing"}) == []


def test_query_search_keeps_hits_inside_the_prefix(store: MemsvcStore) -> None:
    store.put(("a", "x"), "1", {"text": "alpine hiking boots"})
    store.put(("a", "y"), "2", {"text": "alpine hiking boots, second pair"})
    store.put(("b",), "3", {"text": "alpine hiking boots in another namespace"})
    hits = store.search(("a",), query="alpine hiking boots")
    assert {h.namespace for h in hits} == {("a", "x"), ("a", "y")}


def test_index_fields_choose_the_text_that_is_searched(memory: memsvc.Memory) -> None:
    store = MemsvcStore(memory, fields=["memory"])
    store.put(("m",), "1", {"memory": "likes green tea", "note": "kayak kayak kayak"})
    store.put(("m",), "2", {"memory": "owns a kayak"}, index=["memory"])
    assert store.search(("m",), query="kayak")[0].key == "2"


def test_namespace_labels_are_validated(store: MemsvcStore) -> None:
    with pytest.raises(InvalidNamespaceError):
        store.put(("bad.label",), "k", {"v": 1})
    with pytest.raises(InvalidNamespaceError):
        store.put(("langgraph",), "k", {"v": 1})
    with pytest.raises(InvalidNamespaceError, match="too long"):
        store.put(("x" * 300,), "k", {"v": 1})


def test_ttl_is_refused(store: MemsvcStore) -> None:
    with pytest.raises(NotImplementedError, match="TTL"):
        store.put(("test",), "k", {"v": 1}, ttl=5)


# -- the namespace -> scope mapping ----------------------------------------------------------
def test_user_label_makes_items_the_users_memory_in_memsvc(memory: memsvc.Memory) -> None:
    store = MemsvcStore(memory, user_label=1, agent_id="helper")
    store.put(("memories", "alice"), "k1", {"content": "Alice prefers window seats"})
    store.put(("memories", "bob"), "k2", {"content": "Bob prefers aisle seats"})
    hits = memory.search("window seats", user_id="alice", k=5).hits
    assert hits and {h.memory.user_id for h in hits} == {"alice"}
    assert hits[0].memory.session_id == "lg:memories/alice"
    assert hits[0].memory.agent_id == "helper"
    assert store.list_namespaces(prefix=("memories", "bob")) == [("memories", "bob")]
    assert [i.key for i in store.search(("memories", "alice"), query="seats")] == ["k1"]
    assert {i.key for i in store.search(("memories",), query="seats")} == {"k1", "k2"}


def test_conversation_sessions_are_not_namespaces(
    store: MemsvcStore, memory: memsvc.Memory
) -> None:
    memory.add([{"role": "user", "content": "Hello there"}], session_id="chat-1")
    store.put(("notes",), "n", {"content": "a note"})
    assert store.list_namespaces() == [("notes",)]


def test_an_item_replaced_keeps_its_history_in_memsvc(
    store: MemsvcStore, memory: memsvc.Memory
) -> None:
    store.put(("notes",), "n", {"content": "first"})
    first = memory.search("first", session_id="lg:notes", k=1).hits[0].memory.id
    store.put(("notes",), "n", {"content": "second"})
    with pytest.raises(NotFoundError, match="deleted"):
        memory.get(first)
    assert [e.operation for e in memory.history(first)] == ["delete"]
    assert store.get(("notes",), "n").value == {"content": "second"}  # type: ignore[union-attr]


# -- LangMem's memory tools ------------------------------------------------------------------
def manage_memory(
    store: MemsvcStore,
    namespace: tuple[str, ...],
    content: object,
    action: str = "create",
    id: str | None = None,
) -> str:  # noqa: A002
    """What langmem.create_manage_memory_tool does with the store."""
    if action == "delete":
        store.delete(namespace, key=str(id))
        return f"Deleted memory {id}"
    key = id or str(uuid.uuid4())
    store.put(namespace, key=key, value={"content": content})
    return f"{action}d memory {key}"


def search_memory(
    store: MemsvcStore,
    namespace: tuple[str, ...],
    query: str,
    limit: int = 10,
    offset: int = 0,
    filter: dict | None = None,
) -> list[dict]:  # noqa: A002
    """What langmem.create_search_memory_tool does with the store."""
    return [
        m.dict()
        for m in store.search(namespace, query=query, filter=filter, limit=limit, offset=offset)
    ]


def test_langmem_tools_create_update_delete_and_search(memory: memsvc.Memory) -> None:
    store = MemsvcStore(memory, user_label=1)
    namespace = ("memories", "user-123")
    said = manage_memory(store, namespace, "The user is allergic to peanuts")
    peanut_id = said.rsplit(" ", 1)[1]
    manage_memory(store, namespace, "The user works as a nurse in Porto")
    manage_memory(store, namespace, {"category": "preference", "text": "likes dark roast coffee"})

    found = search_memory(store, namespace, "peanut allergy")
    assert found[0]["key"] == peanut_id
    assert found[0]["value"] == {"content": "The user is allergic to peanuts"}
    assert set(found[0]) == {"namespace", "key", "value", "created_at", "updated_at", "score"}

    manage_memory(
        store, namespace, "The user is allergic to peanuts and shellfish", "update", peanut_id
    )
    found = search_memory(store, namespace, "shellfish allergy", limit=1)
    assert found[0]["key"] == peanut_id and "shellfish" in found[0]["value"]["content"]
    assert len(search_memory(store, namespace, "allergy")) == 3  # an update is not a new memory

    manage_memory(store, namespace, None, "delete", peanut_id)
    assert peanut_id not in {m["key"] for m in search_memory(store, namespace, "peanuts")}
    assert [
        m["value"]["content"]["category"]
        for m in search_memory(
            store, namespace, "coffee", filter={"content": {"category": "preference"}}
        )
    ] == ["preference"]
    assert search_memory(store, ("memories", "someone-else"), "peanuts") == []


# -- async ------------------------------------------------------------------------------------
@pytest.fixture
def server_url(container: Container) -> Iterator[str]:
    with app_server(create_app(container=container)) as url:
        yield url


def test_async_methods_over_an_async_client(server_url: str) -> None:
    async def scenario() -> None:
        async with memsvc.AsyncMemoryClient(server_url) as client:
            store = MemsvcStore(client, user_label=1)
            await store.aput(("memories", "ann"), "k", {"content": "Ann collects vinyl records"})
            item = await store.aget(("memories", "ann"), "k")
            assert item is not None and item.value["content"].startswith("Ann")
            hits = await store.asearch(("memories", "ann"), query="vinyl records")
            assert [h.key for h in hits] == ["k"]
            assert await store.alist_namespaces() == [("memories", "ann")]
            await store.adelete(("memories", "ann"), "k")
            assert await store.aget(("memories", "ann"), "k") is None
            with pytest.raises(TypeError, match="async only"):
                store.get(("memories", "ann"), "k")

    asyncio.run(scenario())


def test_async_methods_over_a_sync_client(store: MemsvcStore) -> None:
    async def scenario() -> None:
        await store.aput(("a",), "k", {"content": "value"})
        assert (await store.aget(("a",), "k")).value == {"content": "value"}  # type: ignore[union-attr]

    asyncio.run(scenario())
    assert store.search(("a",), filter={"content": "value"})[0].key == "k"


def test_match_conditions_in_a_batch(store: MemsvcStore) -> None:
    store.put(("x", "1", "v1"), "k", {"a": 1})
    store.put(("y", "2", "v1"), "k", {"a": 1})
    store.put(("y", "2", "v2"), "k", {"a": 1})
    [found] = store.batch(
        [
            ListNamespacesOp(
                match_conditions=(
                    MatchCondition("prefix", ("y",)),
                    MatchCondition("suffix", ("v1",)),
                )
            )
        ]
    )
    assert found == [("y", "2", "v1")]
