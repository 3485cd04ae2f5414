"""`memsvc mcp` driven by the MCP SDK's own client: over stdio (the server a subprocess on a
temporary database), and over streamable HTTP (/mcp on the REST app, and `memsvc mcp
--transport http` alone), with the API-key model."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from memsvc.api.app import create_app

from memsvc.bootstrap import Container, build
from memsvc.domain import Scope
from memsvc.domain.auth import NewKey
from memsvc.domain.queries import ListQuery
from tests.conftest import make_settings
from tests.llm_server import ScriptedLLMServer, sleep, text
from tests.servers import app_server, free_port, wait_ready

TOOLS = {"remember", "recall", "forget", "memory_history", "list_memories", "search_graph"}
SAID = "I moved to Lisbon in March and I work at Acme Robotics."


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        "MEMSVC_DATA_DIR": str(data_dir),
        "MEMSVC_EMBEDDER_MODEL": "hash-384",
        "HF_HUB_OFFLINE": "1",
        **extra,
    }
    return env


def stdio(data_dir: Path, *args: str, **env: str) -> Client:
    command = [sys.executable, "-m", "memsvc.cli.main", "mcp", *args]
    return Client(
        StdioServerParameters(command=command[0], args=command[1:], env=server_env(data_dir, **env))
    )


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def error_of(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    return " ".join(getattr(c, "text", "") for c in result.content)


async def until(probe: Callable[[], Awaitable[bool]], what: str, limit: float = 60.0) -> None:
    """Poll a condition that background work makes true (bounded, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not await probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


# -- stdio -------------------------------------------------------------------------------------
def test_stdio_tools_remember_recall_history_list_graph_and_forget(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio(tmp_path, "--user-id", "alice") as client:
            assert {t.name for t in (await client.list_tools()).tools} == TOOLS
            stored = await call(client, "remember", content=SAID)
            assert stored["stored"] == 1 and stored["extraction"] == "queued"
            turn_id = stored["memory_ids"][0]

            recalled = await call(client, "recall", query="Where does Alice work?")
            assert "Acme Robotics" in recalled["context"]  # the turn, or the facts drawn from it
            assert turn_id in [h["id"] for h in recalled["hits"]]
            assert recalled["why"] and recalled["hits"][0]["found_by"]

            async def extracted() -> bool:
                page = await call(client, "list_memories", granularities=["entity"])
                return bool(page["memories"])

            await until(extracted, "the background extraction")
            graph = await call(client, "search_graph", query="Acme Robotics")
            acme = next(e for e in graph["entities"] if e["name"] == "Acme Robotics")
            assert {(r["label"], r["target"]) for r in acme["relations"]} == {
                ("works_at", "Acme Robotics")
            }

            history = await call(client, "memory_history", memory_id=turn_id)
            assert history["memory"]["content"] == SAID and history["memory"]["user_id"] == "alice"

            listed = await call(client, "list_memories", granularities=["turn"])
            assert [m["id"] for m in listed["memories"]] == [turn_id]

            elsewhere = await error_of(client, "forget", memory_id=turn_id, user_id="bob")
            assert "not found in this scope" in elsewhere
            forgotten = await call(client, "forget", memory_id=turn_id)
            assert turn_id in forgotten["deleted"]
            after = await call(client, "recall", query="Where does Alice work?")
            assert turn_id not in [h["id"] for h in after["hits"]]
            assert "either content" in await error_of(client, "remember")
            assert "no memory with id" in await error_of(client, "memory_history", memory_id="nope")

    run(scenario)


def test_stdio_remember_answers_before_a_slow_extraction(tmp_path: Path) -> None:
    """The LLM extractor's model answers only after minutes; `remember` acknowledges once the
    turn is stored, while the extraction is still waiting for it."""
    with ScriptedLLMServer([sleep(600, text("{}"))]) as llm:
        env = {
            "MEMSVC_EXTRACTION_EXTRACTOR": "llm",
            "MEMSVC_LLM_BASE_URL": llm.base_url,
            "MEMSVC_LLM_TIMEOUT_S": "900",
        }

        async def scenario() -> None:
            async with stdio(tmp_path, "--user-id", "alice", **env) as client:
                stored = await call(client, "remember", content=SAID)
                assert stored["stored"] == 1 and stored["extraction"] == "queued"

                async def asked() -> bool:
                    return bool(llm.requests)

                await until(asked, "the extraction to call the model")
                facts = await call(client, "list_memories", granularities=["fact"])
                assert facts["memories"] == []  # the extraction has not answered yet
                turns = await call(client, "list_memories", granularities=["turn"])
                assert [m["content"] for m in turns["memories"]] == [SAID]

        run(scenario)


# -- streamable HTTP on `memsvc serve` ---------------------------------------------------------
@pytest.fixture
def served(container: Container) -> Iterator[str]:
    with app_server(create_app(container=container)) as url:
        yield url


@asynccontextmanager
async def http(url: str, key: str | None = None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {key}"} if key else None
    async with (
        create_mcp_http_client(headers=headers) as session,
        Client(streamable_http_client(url, http_client=session)) as client,
    ):
        yield client


def test_serve_mounts_the_tools_at_mcp(served: str) -> None:
    async def scenario() -> None:
        async with http(served + "/mcp") as client:
            assert {t.name for t in (await client.list_tools()).tools} == TOOLS
            stored = await call(
                client, "remember", messages=[{"role": "user", "content": SAID}], user_id="ann"
            )
            recalled = await call(client, "recall", query="Acme Robotics", user_id="ann")
            assert stored["memory_ids"][0] in [h["id"] for h in recalled["hits"]]

    run(scenario)
    assert httpx.get(served + "/healthz").status_code == 200  # the REST API is still there


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[tuple[str, Container]]:
    box = build(make_settings(tmp_path, auth={"mode": "keys", "rate_per_s": 0.01, "rate_burst": 8}))
    with app_server(create_app(container=box)) as url:
        yield url, box
    box.close()


def test_http_api_keys_name_the_tenant(keyed: tuple[str, Container]) -> None:
    served, container = keyed
    _, acme = container.keys.create(NewKey("acme", name="acme agent"))
    _, globex = container.keys.create(NewKey("globex", name="globex agent"))

    async def scenario() -> None:
        async with http(served + "/mcp", acme) as client:
            await call(client, "remember", content=SAID, user_id="ann")
        async with http(served + "/mcp", globex) as client:
            recalled = await call(client, "recall", query="Acme Robotics", user_id="ann")
            assert recalled["hits"] == []

    run(scenario)
    page = container.service.list(ListQuery(scope=Scope("acme", "ann")))
    assert [u.content for u in page.items if u.granularity.value == "turn"] == [SAID]
    refused = httpx.post(served + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert refused.status_code == 401 and "API key" in refused.json()["error"]["message"]
    wrong = httpx.post(served + "/mcp", json={}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_http_requests_spend_the_keys_rate_limit(keyed: tuple[str, Container]) -> None:
    served, container = keyed
    _, key = container.keys.create(NewKey("acme"))
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream"}
    statuses = [
        httpx.post(served + "/mcp", json=body, headers=headers).status_code for _ in range(10)
    ]
    assert 429 not in statuses[:8] and statuses[8:] == [429, 429]  # a burst of 8, then 1 in 100 s


def test_dev_mode_answers_loopback_hosts_only(served: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    refused = httpx.post(served + "/mcp", json=body, headers={"Host": "evil.example"})
    assert refused.status_code == 401 and "loopback" in refused.json()["error"]["message"]
    refused = httpx.post(served + "/mcp", json=body, headers={"Origin": "http://evil.example"})
    assert refused.status_code == 401


# -- `memsvc mcp --transport http` alone -------------------------------------------------------
def test_mcp_command_serves_streamable_http(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, **server_env(tmp_path)}
    env.pop("MEMSVC_DATABASE_URL", None)
    command = [
        sys.executable,
        "-m",
        "memsvc.cli.main",
        "mcp",
        "--transport",
        "http",
        "--port",
        str(port),
        "--agent-id",
        "helper",
    ]
    with open(tmp_path / "mcp.log", "ab") as log:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, proc=proc)

        async def scenario() -> None:
            async with http(base + "/mcp") as client:
                stored = await call(client, "remember", content=SAID)
                listed = await call(client, "list_memories", granularities=["turn"])
                assert [m["id"] for m in listed["memories"]] == stored["memory_ids"]
                assert listed["memories"][0]["agent_id"] == "helper"

        run(scenario)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_mcp_command_refuses_http_on_a_public_interface_without_keys(tmp_path: Path) -> None:
    env = {**os.environ, **server_env(tmp_path)}
    env.pop("MEMSVC_DATABASE_URL", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "memsvc.cli.main",
            "mcp",
            "--transport",
            "http",
            "--host",
            "0.0.0.0",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "refusing to bind" in done.stderr
