"""The `llm` extractor and its decision step against a scripted OpenAI-compatible server on
127.0.0.1 (real HTTP, no mocked client): ADD / UPDATE / SUPERSEDE / NOOP effects on stored
units, retry then rules fallback on malformed output and timeouts, token counters, prompts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from memsvc.operations.decide import llm_decision
from memsvc.operations.extract.llm import LLMExtractor
from memsvc.operations.extract.llm_prompts import DecisionOut
from memsvc.operations.extract.types import ExtractionContext

from memsvc import Memory
from memsvc.domain import Granularity, MemoryUnit, Scope
from memsvc.llm import OpenAICompatibleLLM, TokenUsage, estimate_messages_tokens
from tests.conftest import make_settings
from tests.llm_server import Canned, ScriptedLLMServer, json_reply, malformed, sleep

MAY = datetime(2023, 5, 8, 10, 0, tzinfo=UTC)
FEB = datetime(2024, 2, 8, 10, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[ScriptedLLMServer]:
    with ScriptedLLMServer() as running:
        yield running


def llm_memory(tmp_path: Path, server: ScriptedLLMServer, **llm: Any) -> Memory:
    settings = make_settings(
        tmp_path,
        extraction={"extractor": "llm"},
        llm={"base_url": server.base_url, "model": "m", **llm},
    )
    return Memory(settings)


@pytest.fixture
def memory(tmp_path: Path, server: ScriptedLLMServer) -> Iterator[Memory]:
    with llm_memory(tmp_path, server) as mem:
        yield mem


def extract(memory: Memory, session: str, when: datetime, *texts: str) -> dict[str, Any]:
    """Store the turns, then run extraction over the session and return its counts."""
    memory.add(
        [{"role": "user", "content": t} for t in texts],
        user_id="u",
        session_id=session,
        occurred_at=when,
        extract="off",
    )
    return memory.service.extract(Scope("default", "u", None, session))


def units(memory: Memory, granularity: str, statuses: tuple[str, ...] = ("active",)) -> list:
    return memory.list(
        user_id="u", granularities=[granularity], statuses=list(statuses), limit=200
    ).items


def fact(text: str, turns: list[int], **fields: Any) -> dict[str, Any]:
    return {"text": text, "turns": turns, "confidence": 0.9, **fields}


def facts_reply(*facts: dict[str, Any], **rest: Any) -> dict[str, Any]:
    return {"facts": list(facts), **rest}


def decision(action: str, existing: int | None = None, **fields: Any) -> dict[str, Any]:
    return {"decisions": [{"fact": 0, "action": action, "existing": existing, **fields}]}


def user_prompt(server: ScriptedLLMServer, number: int) -> str:
    return server.requests[number].body["messages"][-1]["content"]


def test_one_call_extracts_with_turn_ids_dates_and_the_session_date_in_the_prompt(
    memory: Memory, server: ScriptedLLMServer
) -> None:
    server.push(
        facts_reply(
            fact(
                "The user adopted a cat named Luna on 7 May 2023.",
                [1],
                kind="event",
                subject="I",
                predicate="adopted",
                object="Luna",
                date="2023-05-07",
            ),
            entities=[{"name": "Luna", "type": "pet", "turns": [1]}],
            relations=[{"source": "the user", "label": "has_pet", "target": "Luna", "turns": [1]}],
        )
    )
    counts = extract(memory, "s1", MAY, "Hi there!", "I adopted a cat named Luna yesterday.")
    [request] = server.requests
    assert request.body["response_format"]["json_schema"]["name"] == "ExtractionReply"
    prompt = user_prompt(server, 0)
    assert "Session date: Monday 08 May 2023" in prompt
    assert "[0] 2023-05-08 10:00 user: Hi there!" in prompt
    assert "[1] 2023-05-08 10:00 user: I adopted a cat named Luna yesterday." in prompt
    [cat] = units(memory, "fact")
    assert cat.content == "The user adopted a cat named Luna on 7 May 2023."
    assert cat.producer == "llm/1" and cat.attributes["subject"] == "the user"
    assert cat.occurred_at == datetime(2023, 5, 7, tzinfo=UTC)
    [turn] = memory.provenance(cat.id).sources
    assert turn.content == "I adopted a cat named Luna yesterday."
    assert [e.attributes["type"] for e in units(memory, "entity")] == ["pet"]
    assert units(memory, "relation")[0].content == "the user has pet Luna"
    assert counts["created"] == {"fact": 1, "entity": 1, "relation": 1}
    assert counts["decisions"] == {"ADD": 1, "UPDATE": 0, "SUPERSEDE": 0, "NOOP": 0}
    assert counts["tokens"]["calls"] == 1 and counts["tokens"]["prompt"] > 0
    assert "fallback" not in counts and "dropped" not in counts


def test_new_slot_value_supersedes_by_rule_without_a_decision_call(
    memory: Memory, server: ScriptedLLMServer
) -> None:
    boston = fact("The user lives in Boston.", [0], predicate="lives_in", object="Boston")
    denver = fact("The user lives in Denver.", [0], predicate="lives_in", object="Denver")
    server.push(facts_reply(boston), facts_reply(denver))
    extract(memory, "s1", MAY, "I live in Boston.")
    counts = extract(memory, "s2", FEB, "We moved, I live in Denver now.")
    assert len(server.requests) == 2  # the slot decided; the LLM was not asked
    assert counts["decisions"]["SUPERSEDE"] == 1 and counts["superseded"] == 1
    [old] = units(memory, "fact", ("superseded",))
    [new] = units(memory, "fact")
    assert old.content == "The user lives in Boston." and new.content == "The user lives in Denver."
    assert old.superseded_by == new.id and old.valid_to == new.valid_from == FEB
    assert [h.operation for h in memory.history(old.id)] == ["create", "supersede"]


def test_update_decision_makes_a_new_version_with_merged_content(
    memory: Memory, server: ScriptedLLMServer
) -> None:
    server.push(
        facts_reply(fact("The user has a dog named Rex.", [0], predicate="has_pet", object="Rex")),
        facts_reply(
            fact("The user has a dog named Rex, a beagle.", [0], predicate="has_pet", object="Rex")
        ),
        decision("UPDATE", 1, text="The user has a beagle named Rex.", reason="adds the breed"),
    )
    extract(memory, "s1", MAY, "My dog is called Rex.")
    counts = extract(memory, "s2", FEB, "Rex, my beagle, loves the park.")
    assert server.requests[2].body["response_format"]["json_schema"]["name"] == "DecisionReply"
    asked = user_prompt(server, 2)
    assert "NEW 0: The user has a dog named Rex, a beagle. (stated 2024-02-08)" in asked
    assert "EXISTING 1: The user has a dog named Rex. (since 2023-05-08)" in asked
    assert counts["decisions"]["UPDATE"] == 1 and counts["updated"] == 1
    assert counts["tokens"]["calls"] == 2
    [rex] = units(memory, "fact")
    assert rex.content == "The user has a beagle named Rex." and rex.version == 2
    assert len(rex.sources) == 2
    [created, updated] = memory.history(rex.id)
    assert (created.operation, updated.operation) == ("create", "update")
    assert updated.before["content"] == "The user has a dog named Rex."
    assert updated.reason == "llm: adds the breed"
    hits = memory.search("beagle", user_id="u", granularities=["fact"], k=3).hits
    assert [h.memory.id for h in hits] == [rex.id]  # re-indexed with the new content


def test_supersede_decision_closes_the_old_fact_and_keeps_its_history(
    memory: Memory, server: ScriptedLLMServer
) -> None:
    server.push(
        facts_reply(fact("The user is vegetarian.", [0], predicate="is", object="vegetarian")),
        facts_reply(fact("The user is vegan.", [0], predicate="is", object="vegan")),
        decision("SUPERSEDE", 1, reason="went from vegetarian to vegan"),
    )
    extract(memory, "s1", MAY, "I'm vegetarian.")
    counts = extract(memory, "s2", FEB, "I went vegan this year.")
    assert counts["decisions"]["SUPERSEDE"] == 1 and counts["superseded"] == 1
    [old] = units(memory, "fact", ("superseded",))
    [new] = units(memory, "fact")
    assert old.content == "The user is vegetarian." and new.content == "The user is vegan."
    assert old.superseded_by == new.id and old.valid_to == FEB
    assert memory.history(old.id)[-1].reason == (
        f"llm: went from vegetarian to vegan: new value in {new.id}"
    )


def test_noop_decision_adds_the_turn_as_a_source_and_no_unit(
    memory: Memory, server: ScriptedLLMServer
) -> None:
    server.push(
        facts_reply(fact("The user enjoys hiking in the mountains.", [0])),
        facts_reply(fact("The user likes hiking in the mountains.", [0])),
        decision("NOOP", 1, reason="already known"),
    )
    extract(memory, "s1", MAY, "I enjoy hiking in the mountains.")
    counts = extract(memory, "s2", FEB, "Hiking in the mountains is my thing.")
    assert counts["decisions"]["NOOP"] == 1 and counts["created"] == {}
    [hiking] = units(memory, "fact")
    assert hiking.content == "The user enjoys hiking in the mountains."
    assert len(hiking.sources) == 2
    assert [(h.operation, h.reason) for h in memory.history(hiking.id)] == [
        ("create", "extraction"),
        ("merge", "llm: already known"),
    ]


def test_a_delete_proposal_supersedes_and_never_deletes(
    memory: Memory, server: ScriptedLLMServer
) -> None:
    server.push(
        facts_reply(fact("The user is vegetarian.", [0], predicate="is", object="vegetarian")),
        facts_reply(fact("The user is vegan.", [0], predicate="is", object="vegan")),
        decision("delete", 1, reason="contradicted"),
    )
    extract(memory, "s1", MAY, "I'm vegetarian.")
    counts = extract(memory, "s2", FEB, "I went vegan this year.")
    assert units(memory, "fact", ("deleted",)) == []
    [old] = units(memory, "fact", ("superseded",))
    assert old.content == "The user is vegetarian."
    reason = memory.history(old.id)[-1].reason
    assert "proposed DELETE (contradicted)" in reason and "never deletes" in reason
    assert counts["decision_log"][0]["action"] == "SUPERSEDE"


def test_a_failed_decision_call_adds_the_fact_and_records_the_error(
    memory: Memory, server: ScriptedLLMServer
) -> None:
    server.push(
        facts_reply(fact("The user is vegetarian.", [0], predicate="is", object="vegetarian")),
        facts_reply(fact("The user is vegan.", [0], predicate="is", object="vegan")),
        malformed(),
        malformed(),
    )
    extract(memory, "s1", MAY, "I'm vegetarian.")
    counts = extract(memory, "s2", FEB, "I went vegan this year.")
    assert counts["decide_error"].startswith("ExtractionFailed: LLMBadOutput after 2 attempts")
    assert counts["decisions"]["ADD"] == 1 and counts["tokens"]["calls"] == 3
    assert "fallback" not in counts  # the extraction itself worked
    assert sorted(f.content for f in units(memory, "fact")) == [
        "The user is vegan.",
        "The user is vegetarian.",
    ]


def test_a_delete_proposal_without_a_listed_target_is_a_noop() -> None:
    out = DecisionOut(fact=0, action="DELETE", existing=None, reason="outdated")
    made = llm_decision(out, None)
    assert made is not None and (made.action, made.target) == ("NOOP", None)
    assert "never deletes" in made.reason


def test_extracting_again_changes_nothing_and_asks_no_decision(
    memory: Memory, server: ScriptedLLMServer
) -> None:
    first = facts_reply(fact("The user has a dog named Rex.", [0], object="Rex"))
    second = facts_reply(fact("The user has a dog named Rex, a beagle.", [0], object="Rex"))
    server.push(first, second, decision("UPDATE", 1, text="The user has a beagle named Rex."))
    extract(memory, "s1", MAY, "My dog is called Rex.")
    extract(memory, "s2", FEB, "Rex, my beagle, loves the park.")
    [before] = units(memory, "fact")
    server.push(second)
    counts = memory.service.extract(Scope("default", "u", None, "s2"))
    assert len(server.requests) == 4  # the extraction call only
    assert counts["decisions"] == {"ADD": 0, "UPDATE": 0, "SUPERSEDE": 0, "NOOP": 1}
    [after] = units(memory, "fact")
    assert (after.id, after.version, after.content) == (before.id, before.version, before.content)


def test_malformed_output_is_retried_once_then_the_rules_result_is_recorded(
    memory: Memory, server: ScriptedLLMServer
) -> None:
    server.push(malformed(), malformed())
    counts = extract(memory, "s1", MAY, "I live in Boston.")
    assert len(server.requests) == 2
    assert counts["fallback"] == "rules" and counts["producer"] == "rules/3"
    assert counts["error"].startswith("ExtractionFailed: LLMBadOutput after 2 attempts")
    assert counts["tokens"]["calls"] == 2 and counts["tokens"]["completion"] > 0
    assert [f.content for f in units(memory, "fact")] == ["The user lives in Boston."]


def test_a_malformed_reply_then_a_good_one_needs_no_fallback(
    memory: Memory, server: ScriptedLLMServer
) -> None:
    server.push(malformed(), facts_reply(fact("The user lives in Boston.", [0])))
    counts = extract(memory, "s1", MAY, "I live in Boston.")
    assert "fallback" not in counts and counts["tokens"]["calls"] == 2
    assert units(memory, "fact")[0].producer == "llm/1"


def test_timeouts_are_retried_once_then_fall_back(
    tmp_path: Path, server: ScriptedLLMServer
) -> None:
    server.push(sleep(2.0), sleep(2.0))
    with llm_memory(tmp_path, server, timeout_s=0.3) as memory:
        counts = extract(memory, "s1", MAY, "I work at Google.")
        assert len(server.requests) == 2
        assert counts["error"].startswith("ExtractionFailed: LLMTimeout after 2 attempts")
        assert counts["fallback"] == "rules"
        assert [f.producer for f in units(memory, "fact")] == ["rules/3"]


def test_a_timeout_then_an_answer_uses_the_answer(
    tmp_path: Path, server: ScriptedLLMServer
) -> None:
    server.push(sleep(2.0), facts_reply(fact("The user works at Google.", [0])))
    with llm_memory(tmp_path, server, timeout_s=0.3) as memory:
        counts = extract(memory, "s1", MAY, "I work at Google.")
        assert "fallback" not in counts and counts["tokens"]["calls"] == 2
        assert [f.producer for f in units(memory, "fact")] == ["llm/1"]


def test_an_async_job_records_the_fallback_and_the_tokens(
    memory: Memory, server: ScriptedLLMServer
) -> None:
    server.push(malformed(usage=(50, 7)), malformed(usage=(50, 7)))
    result = memory.add(
        [{"role": "user", "content": "I adopted a cat named Luna."}],
        user_id="u",
        session_id="s9",
        occurred_at=MAY,
        extract="async",
    )
    assert result.job_id
    deadline = time.monotonic() + 20
    while memory.get_job(result.job_id).status != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.05)
    job = memory.get_job(result.job_id)
    assert job.status == "succeeded" and job.counts["fallback"] == "rules"
    assert "LLMBadOutput" in job.counts["error"]
    assert job.counts["tokens"] == {"prompt": 100, "completion": 14, "total": 114, "calls": 2}


def test_the_environment_selects_the_llm_extractor(
    tmp_path: Path, server: ScriptedLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMSVC_EXTRACTION_EXTRACTOR", "llm")
    monkeypatch.setenv("MEMSVC_EXTRACTION_BUDGET_TOKENS", "3000")
    monkeypatch.setenv("MEMSVC_LLM_BASE_URL", server.base_url)
    monkeypatch.setenv("MEMSVC_LLM_MODEL", "env-model")
    server.push(facts_reply(fact("The user works at Google.", [0])))
    with Memory(make_settings(tmp_path)) as memory:
        counts = extract(memory, "s1", MAY, "I work at Google.")
    assert counts["producer"] == "llm/1"
    [request] = server.requests
    assert request.body["model"] == "env-model" and request.body["max_tokens"] == 1500


def test_the_rules_extractor_is_used_without_an_endpoint(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extraction={"extractor": "llm"})
    with Memory(settings) as memory:
        counts = extract(memory, "s1", MAY, "I live in Boston.")
    assert counts["producer"] == "rules/3" and "tokens" not in counts


# --- the extractor on its own: counters, budget, dropped items --------------------------------


def turn(number: int, content: str, role: str = "user", user: str = "u1") -> MemoryUnit:
    return MemoryUnit(
        id=f"turn-{user}-{number}",
        scope=Scope("t", user, None, "s"),
        granularity=Granularity.TURN,
        content=content,
        attributes={"role": role, "position": number},
        occurred_at=MAY,
    )


def context(user: str = "u1") -> ExtractionContext:
    return ExtractionContext(scope=Scope("t", user, None, "s"), session_time=MAY)


@pytest.fixture
def llm(server: ScriptedLLMServer) -> Iterator[OpenAICompatibleLLM]:
    with OpenAICompatibleLLM(server.base_url, "m", timeout_s=5) as client:
        yield client


def test_token_counters_are_kept_per_scope(
    llm: OpenAICompatibleLLM, server: ScriptedLLMServer
) -> None:
    empty = facts_reply()
    server.push(Canned(content='{"facts": []}', usage=(100, 20)), json_reply(empty, usage=(30, 5)))
    server.push(json_reply(empty, usage=(1, 1)))
    extractor = LLMExtractor(llm)
    extractor.extract([turn(0, "Hello")], context("u1"))
    extractor.extract([turn(0, "Hello again", user="u1")], context("u1"))
    result = extractor.extract([turn(0, "Hi", user="u2")], context("u2"))
    assert extractor.tokens.snapshot() == {
        "t/u1": TokenUsage(130, 25, 2),
        "t/u2": TokenUsage(1, 1, 1),
    }
    assert result.usage == TokenUsage(1, 1, 1)


def test_long_sessions_are_cut_to_the_token_budget(
    llm: OpenAICompatibleLLM, server: ScriptedLLMServer
) -> None:
    server.push(facts_reply(fact("The user plays chess.", [0])))
    extractor = LLMExtractor(llm, budget_tokens=1600, reply_tokens=400)
    long_turn = "I like to talk about many things. " * 400
    result = extractor.extract([turn(0, "I play chess."), turn(1, long_turn)], context())
    [request] = server.requests
    assert request.body["max_tokens"] == 400
    assert estimate_messages_tokens(request.body["messages"]) <= 1200
    prompt = request.body["messages"][-1]["content"]
    assert "[0] 2023-05-08 10:00 user: I play chess." in prompt and "[...truncated]" in prompt
    assert result.truncated_turns == 1 and [f.text for f in result.facts] == [
        "The user plays chess."
    ]


def test_items_citing_no_usable_turn_are_dropped(
    llm: OpenAICompatibleLLM, server: ScriptedLLMServer
) -> None:
    server.push(
        facts_reply(
            fact("The user plays chess.", [0], kind="hobby", confidence=3),
            fact("The user owns a boat.", [7]),  # no such turn
            fact("The user should rest.", [1]),  # said by the assistant
            entities=[{"name": "Chess Club", "type": "organization", "turns": [0]}],
        )
    )
    turns = [turn(0, "I play chess at the Chess Club."), turn(1, "Rest!", role="assistant")]
    result = LLMExtractor(llm).extract(turns, context())
    [chess] = result.facts
    assert (chess.kind, chess.confidence, chess.source_turn_ids) == ("fact", 1.0, ["turn-u1-0"])
    assert [(e.name, e.type) for e in result.entities] == [("Chess Club", "organisation")]
    assert result.dropped == 2
