"""The `llm` extractor on an agent's tool-call run, against the scripted OpenAI-compatible
server (real HTTP): the prompt shows the calls and asks for traces; the reply's tool steps
become argument patterns like the rules extractor's, with preconditions and failure notes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from memsvc import Memory
from memsvc.domain import Scope
from tests.conftest import make_settings
from tests.llm_server import ScriptedLLMServer

RUN = [
    {"role": "user", "content": "Deploy the web app to staging, we're on the VPN."},
    {
        "role": "assistant",
        "tool_calls": [
            {"id": "c1", "function": {"name": "push_image", "arguments": '{"tag": "1.4.2"}'}}
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": '{"error": "503 registry unavailable"}'},
    {"role": "assistant", "content": "The registry is down; I stopped."},
]


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[tuple[Memory, ScriptedLLMServer]]:
    with ScriptedLLMServer() as server:
        settings = make_settings(
            tmp_path,
            extraction={"extractor": "llm"},
            llm={"base_url": server.base_url, "model": "m"},
        )
        with Memory(settings) as mem:
            yield mem, server


def test_a_tool_call_run_becomes_a_procedure_through_the_llm(
    memory: tuple[Memory, ScriptedLLMServer],
) -> None:
    mem, server = memory
    procedure = {
        "goal": "deploy the web app to staging",
        "turns": [0, 1, 2, 3],
        "steps": [{"tool": "push_image", "args": {"tag": "1.4.2"}}, "kubectl apply -f web.yaml"],
        "preconditions": ["on the VPN"],
        "outcome": "failure",
        "notes": ["registry unavailable"],
        "confidence": 0.9,
    }
    server.push({"facts": [], "procedures": [procedure]})
    mem.add(RUN, user_id="agent", session_id="run-1", extract="off")

    counts = mem.service.extract(Scope("default", "agent", None, "run-1"))

    system, prompt = (m["content"] for m in server.requests[0].body["messages"])
    assert "tool calls" in system and '"tool": name' in system
    assert 'assistant: push_image({"tag": "1.4.2"})' in prompt
    assert 'tool: {"error": "503 registry unavailable"}' in prompt
    assert counts["created"] == {"procedure": 1}
    [unit] = mem.list(user_id="agent", granularities=["procedure"]).items
    assert unit.producer == "llm/1"
    assert unit.attributes["steps"] == ['push_image(tag="<version>")', "kubectl apply -f web.yaml"]
    assert unit.attributes["preconditions"] == ["on the VPN"]
    summary = unit.attributes["reliability"]["summary"]
    assert summary == "succeeded 0 of 1 time; failed when registry unavailable"
    assert json.loads(json.dumps(unit.attributes)) == unit.attributes  # stored as plain JSON
