"""memsvc.compat.mem0.Memory driven by mem0's documented usage (its Python quickstart, the
memory-operations pages and the README's chat loop), rewritten as tests on a real SQLite
store. Where memsvc does not offer a mem0 feature, the test pins the clear error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from memsvc.api.app import create_app

import memsvc
from memsvc.bootstrap import Container
from memsvc.compat.mem0 import Memory, UnsupportedError
from memsvc.domain.errors import ConflictError
from tests.servers import app_server

ALEX = [
    {"role": "user", "content": "Hi, I'm Alex. I love basketball and gaming."},
    {"role": "assistant", "content": "Hey Alex! I'll remember your interests."},
]
MOVIES = [
    {"role": "user", "content": "I'm planning to watch a movie tonight. Any recommendations?"},
    {"role": "assistant", "content": "How about thriller movies? They can be quite engaging."},
    {"role": "user", "content": "I'm not a big fan of thriller movies but I love sci-fi movies."},
    {"role": "assistant", "content": "Got it! I'll avoid thriller recommendations."},
]
ITEM_KEYS = {"id", "memory", "hash", "metadata", "created_at", "updated_at"}


@pytest.fixture
def m(memory: memsvc.Memory) -> Memory:
    return Memory(memory)


def facts(result: dict) -> list[dict]:
    return [r for r in result["results"] if r["granularity"] == "fact"]


def test_quickstart_add_then_search_finds_the_interest(m: Memory) -> None:
    m.add(ALEX, user_id="alex")
    results = m.search("What do you know about me?", filters={"user_id": "alex"})
    assert set(results) == {"results"}
    assert results["results"], "the quickstart's search found nothing"
    first = results["results"][0]
    assert ITEM_KEYS | {"score", "user_id"} <= set(first)
    assert first["user_id"] == "alex"
    assert any("basketball" in r["memory"] for r in results["results"])


def test_add_with_inference_returns_stored_messages_and_extracted_facts(m: Memory) -> None:
    result = m.add(ALEX, user_id="alex")
    events = {(r["granularity"], r["event"]) for r in result["results"]}
    assert ("turn", "ADD") in events and ("fact", "ADD") in events
    assert any("basketball" in f["memory"] for f in facts(result))


def test_add_without_inference_stores_the_raw_messages_with_metadata(m: Memory) -> None:
    result = m.add(MOVIES, user_id="alice", metadata={"category": "movies"}, infer=False)
    assert [r["memory"] for r in result["results"]] == [x["content"] for x in MOVIES]
    assert {r["event"] for r in result["results"]} == {"ADD"}
    assert [r["role"] for r in result["results"]] == ["user", "assistant"] * 2
    listed = m.get_all(filters={"user_id": "alice", "category": "movies"})["results"]
    assert len(listed) == 4 and all(r["metadata"] == {"category": "movies"} for r in listed)
    assert m.get_all(filters={"user_id": "alice", "category": "books"})["results"] == []


def test_system_messages_are_instructions_and_are_not_stored(m: Memory) -> None:
    system = {"role": "system", "content": "You are a helpful AI."}
    result = m.add([system, *ALEX], user_id="alex", infer=False)
    assert len(result["results"]) == 2
    assert m.add([system], user_id="alex") == {"results": []}


def test_old_and_new_scope_styles_give_the_same_results(m: Memory) -> None:
    m.add(ALEX, user_id="alex")
    old = m.search("basketball", user_id="alex", limit=3)["results"]
    new = m.search("basketball", filters={"user_id": "alex"}, top_k=3)["results"]
    assert 0 < len(old) <= 3
    assert [r["id"] for r in old] == [r["id"] for r in new]
    assert m.get_all(user_id="alex")["results"] == m.get_all(filters={"user_id": "alex"})["results"]


def test_search_stays_in_the_user_scope(m: Memory) -> None:
    m.add(ALEX, user_id="alex")
    m.add([{"role": "user", "content": "I love basketball too, says Bea."}], user_id="bea")
    results = m.search("basketball", filters={"user_id": "bea"})["results"]
    assert results and {r["user_id"] for r in results} == {"bea"}


def test_readme_chat_loop_reads_memories_into_a_prompt(m: Memory) -> None:
    """mem0's README: search memories for the message, put them in the system prompt, then add
    the exchange (system prompt included) back."""
    m.add(ALEX, user_id="default_user")
    relevant = m.search(
        query="Which sports do I like?", filters={"user_id": "default_user"}, top_k=3
    )
    memories_str = "\n".join(f"- {entry['memory']}" for entry in relevant["results"])
    assert "basketball" in memories_str
    system_prompt = f"You are a helpful AI.\nUser Memories:\n{memories_str}"
    messages = [
        {"role": "system", "content": system_prompt},
        {"role": "user", "content": "Which sports do I like?"},
    ]
    messages.append({"role": "assistant", "content": "You like basketball."})
    stored = m.add(messages, user_id="default_user")
    assert all(r["memory"] != system_prompt for r in stored["results"])


def test_update_changes_a_fact_and_history_shows_add_then_update(m: Memory) -> None:
    fact = facts(m.add(ALEX, user_id="alex"))[0]
    answer = m.update(memory_id=fact["id"], text="Alex now prefers decaf coffee")
    assert answer == {"message": "Memory updated successfully!"}
    got = m.get(fact["id"])
    assert got is not None and got["memory"] == "Alex now prefers decaf coffee"
    assert got["hash"] != fact["hash"] and got["score"] is None
    rows = m.history(fact["id"])
    assert [r["event"] for r in rows] == ["ADD", "UPDATE"]
    assert rows[1]["old_memory"] == fact["memory"]
    assert rows[1]["new_memory"] == "Alex now prefers decaf coffee"


def test_update_merges_metadata_and_keeps_the_text(m: Memory) -> None:
    turn = m.add(MOVIES[:1], user_id="alice", metadata={"category": "movies"}, infer=False)
    memory_id = turn["results"][0]["id"]
    m.update(memory_id, metadata={"mood": "curious"})
    got = m.get(memory_id)
    assert got is not None
    assert got["metadata"] == {"category": "movies", "mood": "curious"}
    assert got["memory"] == MOVIES[0]["content"]


def test_a_stored_message_text_cannot_be_rewritten(m: Memory) -> None:
    turn = m.add(MOVIES[:1], user_id="alice", infer=False)["results"][0]
    with pytest.raises(ConflictError, match="verbatim"):
        m.update(turn["id"], text="I never asked about movies.")
    history = m.history(turn["id"])
    assert [r["event"] for r in history] == ["ADD"] and history[0]["new_memory"] == MOVIES[0][
        "content"
    ]


def test_delete_hides_the_memory_and_records_it(m: Memory) -> None:
    fact = facts(m.add(ALEX, user_id="alex"))[0]
    assert m.delete(fact["id"]) == {"message": "Memory deleted successfully!"}
    assert m.get(fact["id"]) is None
    assert fact["id"] not in {r["id"] for r in m.get_all(user_id="alex")["results"]}
    assert m.history(fact["id"])[-1]["event"] == "DELETE"
    with pytest.raises(ValueError, match="not found"):
        m.delete(fact["id"])


def test_delete_all_empties_one_user_and_spares_another(m: Memory) -> None:
    m.add(ALEX, user_id="alex")
    m.add(MOVIES, user_id="alice")
    assert m.delete_all(user_id="alex") == {"message": "Memories deleted successfully!"}
    assert m.get_all(user_id="alex")["results"] == []
    assert m.search("basketball", user_id="alex")["results"] == []
    assert len(m.get_all(user_id="alice")["results"]) >= 4


def test_delete_all_of_a_run_takes_the_facts_derived_only_from_it(m: Memory) -> None:
    m.add(ALEX, user_id="alex", run_id="chat-1")
    before = m.get_all(user_id="alex")["results"]
    assert any(r["granularity"] == "fact" for r in before)
    m.delete_all(run_id="chat-1")
    assert m.get_all(user_id="alex")["results"] == []


def test_reset_forgets_everything(m: Memory) -> None:
    m.add(ALEX, user_id="alex")
    m.add(MOVIES, agent_id="movie-bot")
    m.reset()
    assert m.get_all(user_id="alex")["results"] == []
    assert m.get_all(agent_id="movie-bot")["results"] == []


def test_run_id_scopes_the_messages_of_one_run(m: Memory) -> None:
    m.add(MOVIES, user_id="alice", run_id="session-123", infer=False)
    m.add(ALEX, user_id="alice", run_id="session-456", infer=False)
    listed = m.get_all(filters={"user_id": "alice", "run_id": "session-123"})["results"]
    assert len(listed) == 4 and {r["run_id"] for r in listed} == {"session-123"}
    found = m.search("movies", filters={"user_id": "alice", "run_id": "session-456"})["results"]
    assert {r["run_id"] for r in found} == {"session-456"}


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda m: m.search("x", filters={"user_id": "a"}, threshold=0.5), "threshold"),
        (lambda m: m.search("x", filters={"user_id": "a"}, rerank=True), "rerank"),
        (lambda m: m.search("x", filters={"user_id": "a", "category": "food"}), "metadata filters"),
        (lambda m: m.search("x", filters={"AND": [{"user_id": "a"}]}), "at least one"),
        (lambda m: m.get_all(filters={"user_id": "a", "n": {"gte": 5}}), "operators"),
        (lambda m: m.add("x", user_id="a", memory_type="procedural_memory"), "memory_type"),
        (lambda m: m.add("x", user_id="a", expiration_date="2030-01-31"), "expiration_date"),
        (lambda m: m.add("x", user_id="a", prompt="Extract dates"), "prompt"),
        (lambda m: Memory.from_config({"vector_store": {"provider": "qdrant"}}), "MEMSVC_"),
    ],
)
def test_features_memsvc_lacks_raise_a_clear_error(m: Memory, call, match: str) -> None:
    with pytest.raises(ValueError, match=match) as info:
        call(m)
    assert isinstance(info.value, UnsupportedError) or match == "at least one"


def test_a_scope_is_required_and_bad_messages_are_rejected_whole(m: Memory) -> None:
    with pytest.raises(ValueError, match="user_id"):
        m.add(ALEX)
    with pytest.raises(ValueError, match=r"messages\[1\]"):
        m.add([ALEX[0], {"content": "no role"}], user_id="alex")
    with pytest.raises(ValueError, match="filters must contain"):
        m.get_all()
    with pytest.raises(ValueError, match="reset"):
        m.delete_all()
    assert m.get_all(user_id="alex")["results"] == []


def test_a_string_message_and_a_timestamp_are_accepted(m: Memory) -> None:
    result = m.add(
        "I adopted a cat named Miso.", user_id="kim", timestamp=1_700_000_000, infer=False
    )
    turn = result["results"][0]
    unit = m.get(turn["id"])
    assert unit is not None and unit["role"] == "user"
    assert m._sdk.get(turn["id"]).occurred_at.year == 2023  # noqa: SLF001 - the stored time


def test_unknown_ids_answer_none_and_empty_history(m: Memory) -> None:
    assert m.get("no-such-id") is None
    assert m.history("no-such-id") == []
    with pytest.raises(ValueError, match="not found"):
        m.update("no-such-id", text="x")


@pytest.fixture
def remote(container: Container) -> Iterator[Memory]:
    with app_server(create_app(container=container)) as url:
        client = memsvc.MemoryClient(url)
        yield Memory(client)
        client.close()


def test_the_same_calls_work_against_a_server(remote: Memory) -> None:
    added = remote.add(ALEX, user_id="alex")
    assert facts(added)
    found = remote.search("basketball", filters={"user_id": "alex"}, top_k=5)["results"]
    assert any("basketball" in r["memory"] for r in found)
    remote.delete_all(user_id="alex")
    assert remote.get_all(user_id="alex")["results"] == []
