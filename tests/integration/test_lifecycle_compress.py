"""The compress job: session summaries (extractive offline, abstractive with an LLM endpoint)
with provenance to their turns, topics over sessions that re-clustering updates instead of
duplicating, idempotent re-runs, dry runs and revert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from memsvc import Memory
from memsvc.domain import Status
from tests.lifecycle_helpers import MAY, open_memory, run, say, state, unit
from tests.llm_server import ScriptedLLMServer, json_reply, malformed

CHAT = [
    ("Caroline", "Hey Melanie! Guess what?"),
    ("Melanie", "What happened?"),
    ("Caroline", "I went to a support group in Sweden last week and it was powerful."),
    ("Melanie", "Haha wow."),
    ("Caroline", "My counsellor Anna said the adoption papers arrive in June 2023."),
    ("Melanie", "That is wonderful news about the adoption, I am so happy for you."),
    ("Caroline", "Thanks! I also started painting sunsets with my dog Luna next to me."),
    ("Melanie", "Cool."),
]
COOKING = "cooked pasta with tomato sauce basil garlic olive oil in the kitchen for dinner"
HIKING = "hiked the mountain trail with boots backpack map and water to the summit lake"


@pytest.fixture
def mem(tmp_path: Path, database_url: str | None) -> Iterator[Memory]:
    with open_memory(tmp_path, database_url=database_url) as memory:
        yield memory


def chat(mem: Memory, session: str = "s1", when: datetime = MAY) -> list[str]:
    result = mem.add(
        [{"role": "user", "content": text, "speaker": who} for who, text in CHAT],
        user_id="u",
        session_id=session,
        occurred_at=when,
        extract="off",  # these tests build the derived units they need by hand
    )
    return [m.id for m in result.memories]


def session_unit(mem: Memory, session: str = "s1"):  # type: ignore[no-untyped-def]
    [found] = mem.list(user_id="u", session_id=session, granularities=["session"]).items
    return unit(mem, found.id)


def test_session_summary_keeps_names_and_dates_and_points_to_its_turns(mem: Memory) -> None:
    turns = chat(mem)
    job = run(mem, "compress", topics=False, summary_chars=300)
    assert job.status == "succeeded", job.error
    session = session_unit(mem)
    summary = session.attributes["summary"]
    assert session.content == summary and len(summary) <= 300
    assert summary.startswith("2023-05-08 (Caroline, Melanie): ")
    for name in ("Sweden", "June 2023", "Luna", "Anna"):
        assert name in summary, name
    assert "Haha wow" not in summary and "Cool." not in summary
    assert session.provenance.sources == turns
    assert mem.provenance(session.id).sources[0].id in turns
    [*_, entry] = mem.history(session.id)
    assert (entry.operation, entry.reason, entry.job_id) == ("summarise", "compress", job.id)
    assert entry.before["content"] != summary
    expected = mem._container.embedder.embed_batch([summary])[0]
    assert np.allclose(state(mem)[session.id]["vector"], expected, atol=1e-4)


def test_compressing_again_changes_nothing_until_a_session_changes(mem: Memory) -> None:
    chat(mem, "s1")
    say(mem, "s2", datetime(2023, 6, 1, tzinfo=UTC), "We " + COOKING + ".", "Then I " + COOKING)
    run(mem, "compress")
    before = state(mem)
    again = run(mem, "compress")
    assert again.counts.get("summarised", 0) == 0 and again.counts["unchanged"] == 2
    assert state(mem) == before
    assert all(h.job_id != again.id for i in before for h in mem.history(i))
    say(mem, "s2", datetime(2023, 6, 1, tzinfo=UTC), "Dessert was tiramisu from Rome.")
    third = run(mem, "compress")
    assert third.counts["summarised"] == 1 and third.counts["unchanged"] == 1
    assert "Rome" in session_unit(mem, "s2").content


def topic_units(mem: Memory, statuses: tuple[str, ...] = ("active",)) -> list:
    return mem.list(user_id="u", granularities=["topic"], statuses=list(statuses)).items


def test_topics_cluster_sessions_and_reclustering_updates_instead_of_duplicating(
    mem: Memory,
) -> None:
    sessions = {}
    for month, (name, text) in enumerate(
        [("a", COOKING), ("b", HIKING), ("c", COOKING), ("d", HIKING)], start=5
    ):
        say(mem, name, datetime(2023, month, 3, tzinfo=UTC), f"I {text}.", f"We {text} again.")
        sessions[name] = session_unit(mem, name).id
    job = run(mem, "compress")
    assert job.counts["topics_created"] == 2, job.counts
    by_members = {frozenset(t.sources): t for t in topic_units(mem)}
    assert set(by_members) == {
        frozenset({sessions["a"], sessions["c"]}),
        frozenset({sessions["b"], sessions["d"]}),
    }
    cooking = by_members[frozenset({sessions["a"], sessions["c"]})]
    assert cooking.kind == "episodic" and cooking.origin == "compression"
    assert cooking.content.startswith("Topic: ") and "pasta" in cooking.content
    assert cooking.attributes["session_count"] == 2
    say(mem, "e", datetime(2023, 9, 3, tzinfo=UTC), f"I {COOKING}.", f"They {COOKING}.")
    grown = run(mem, "compress")
    assert grown.counts["topics_updated"] == 1 and grown.counts["topics_unchanged"] == 1
    assert len(topic_units(mem)) == 2
    updated = unit(mem, cooking.id)
    assert len(updated.provenance.sources) == 3 and updated.version == 2
    mem.delete(sessions["d"])  # the hiking topic is left with one session: it vanishes
    shrunk = run(mem, "compress")
    assert shrunk.counts["topics_superseded"] == 1
    [hiking] = topic_units(mem, ("superseded",))
    assert hiking.id == by_members[frozenset({sessions["b"], sessions["d"]})].id
    assert mem.history(hiking.id)[-1].reason == "compress"
    assert [t.id for t in topic_units(mem)] == [cooking.id]


def test_dry_run_reports_and_changes_nothing(mem: Memory) -> None:
    chat(mem, "s1")
    chat(mem, "s2", datetime(2023, 6, 1, tzinfo=UTC))
    before = state(mem)
    job = run(mem, "compress", dry_run=True)
    assert job.counts["would_summarise"] == 2 and job.counts["would_write_topics"] == 1
    assert state(mem) == before


def test_revert_removes_topics_and_restores_sessions(mem: Memory) -> None:
    chat(mem, "s1")
    chat(mem, "s2", datetime(2023, 6, 1, tzinfo=UTC))
    before = state(mem)
    job = run(mem, "compress")
    assert job.counts["summarised"] == 2 and job.counts["topics_created"] == 1
    result = mem.revert_job(job.id)
    assert (result.restored, result.removed) == (2, 1)
    assert state(mem) == before
    assert topic_units(mem, ("active", "superseded", "deleted")) == []


@pytest.fixture
def server() -> Iterator[ScriptedLLMServer]:
    with ScriptedLLMServer() as running:
        yield running


def test_abstractive_summary_with_an_llm_endpoint(
    tmp_path: Path, server: ScriptedLLMServer
) -> None:
    said = "Caroline told Melanie about a support group in Sweden and her adoption in June 2023."
    server.push(json_reply({"summary": said}), malformed())
    with open_memory(tmp_path, llm={"base_url": server.base_url, "model": "m"}) as mem:
        turns = chat(mem, "s1")
        chat(mem, "s2", datetime(2023, 6, 1, tzinfo=UTC))
        job = run(mem, "compress", topics=False)
        assert job.counts["summarised"] == 2 and job.counts["llm_fallbacks"] == 1
        first, second = session_unit(mem, "s1"), session_unit(mem, "s2")
    assert first.content == f"2023-05-08 (Caroline, Melanie): {said}"
    assert first.attributes["summary_producer"] == "compress/llm/m"
    assert first.provenance.sources == turns
    prompt = server.requests[0].body["messages"][-1]["content"]
    assert "Caroline: I went to a support group in Sweden" in prompt
    # The second reply was broken: that session fell back to the extractive summary.
    assert second.attributes["summary_producer"] == "compress/extractive/1"
    assert "Sweden" in second.content and second.status is Status.ACTIVE
