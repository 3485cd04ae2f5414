"""The README's MCP, LangGraph and mem0 examples, run as written (on a temporary store with
the hashing embedder)."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

README = Path(__file__).resolve().parents[2] / "README.md"


def block(name: str) -> str:
    found = re.search(
        rf"<!-- readme-test: {name} -->\n```\w+\n(.*?)```", README.read_text(), re.DOTALL
    )
    assert found, f"README has no example marked {name}"
    return found.group(1)


@pytest.fixture
def store_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MEMSVC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEMSVC_EMBEDDER_MODEL", "hash-384")
    monkeypatch.delenv("MEMSVC_DATABASE_URL", raising=False)
    return tmp_path


def test_readme_mcp_config_starts_a_server_an_agent_can_use(store_env: Path) -> None:
    server = json.loads(block("mcp-config"))["mcpServers"]["memsvc"]
    command = Path(sys.executable).parent / server["command"]  # the installed `memsvc` script
    assert command.exists()
    env = {
        "MEMSVC_DATA_DIR": str(store_env),
        "MEMSVC_EMBEDDER_MODEL": "hash-384",
        "HF_HUB_OFFLINE": "1",
    }
    params = StdioServerParameters(command=str(command), args=server["args"], env=env)

    async def scenario() -> None:
        async with Client(params) as client:
            stored = await client.call_tool(
                "remember", {"content": "I'm training for the Porto marathon."}
            )
            recalled = await client.call_tool("recall", {"query": "Which race am I training for?"})
        assert not stored.is_error and not recalled.is_error
        assert recalled.structured_content is not None
        hits = recalled.structured_content["hits"]
        assert hits and "marathon" in hits[0]["content"]

    asyncio.run(scenario())


def test_readme_langgraph_store_example(
    store_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exec(block("langgraph"), {"__name__": "readme"})
    assert capsys.readouterr().out.strip() == "{'content': 'Alice is vegetarian'}"


def test_readme_mem0_example(store_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exec(block("mem0"), {"__name__": "readme"})
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines and any("basketball" in line for line in lines)
