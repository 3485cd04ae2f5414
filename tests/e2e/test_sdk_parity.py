"""The same scripted sequence through `Memory` (in-process) and through `MemoryClient` and
`AsyncMemoryClient` (against a live `memsvc serve` on 127.0.0.1) gives the same results."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from memsvc import AsyncMemoryClient, Memory, MemoryClient, NotFoundError, ValidationError
from tests.conftest import make_settings
from tests.servers import free_port, spawn_serve, wait_ready

T0 = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
SCRIPT = [
    [
        {"role": "user", "content": "I started learning the cello in January", "client_id": "1"},
        {"role": "assistant", "content": "Wonderful, the cello has a warm sound", "client_id": "2"},
    ],
    [
        {"role": "user", "content": "My teacher is called Marta", "client_id": "3"},
        {"role": "user", "content": "We practise scales every Tuesday", "client_id": "4"},
    ],
]


def normalise(value: Any) -> Any:
    """Drop what legitimately differs between two stores (ids, wall-clock times)."""
    if isinstance(value, dict):
        return {
            k: normalise(v)
            for k, v in value.items()
            if k
            not in {
                "id",
                "created_at",
                "updated_at",
                "sources",
                "unit_id",
                "provenance",
                "superseded_by",
                "derived_id",
                "source_id",
                "next_cursor",
                "deleted",
            }
        }
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, float):
        return round(value, 5)
    return value


def run_script(api: Any, user: str) -> list[Any]:
    out: list[Any] = []
    for i, batch in enumerate(SCRIPT):
        out.append(api.add(batch, user_id=user, session_id=f"s{i}", occurred_at=T0))
    out.append(api.add(SCRIPT[0], user_id=user, session_id="s0", occurred_at=T0))  # idempotent
    found = api.search("who teaches me the cello?", user_id=user, k=4)
    out.append(found)
    turn_id = found.hits[0].memory.id
    out.append(api.get(turn_id))
    out.append(api.update(turn_id, importance=0.9, pinned=True, reason="important"))
    out.append(api.history(turn_id))
    out.append(api.provenance(turn_id))
    out.append(api.list(user_id=user, granularities=["turn"], limit=3))
    out.append(api.delete(turn_id))
    out.append(api.search("who teaches me the cello?", user_id=user, k=4))
    for bad in (lambda: api.get("missing"), lambda: api.search("", user_id=user)):
        try:
            bad()
        except (NotFoundError, ValidationError) as exc:
            out.append((type(exc).__name__, exc.field))
    return [
        normalise(o.model_dump(mode="json"))
        if hasattr(o, "model_dump")
        else normalise([x.model_dump(mode="json") for x in o])
        if isinstance(o, list)
        else o
        for o in out
    ]


@pytest.fixture
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # A fresh server per test: lexical scores use database-wide term statistics.
    port = free_port()
    proc = spawn_serve(tmp_path_factory.mktemp("serve"), port)
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc=proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


class _AsyncAdapter:
    """Drives an AsyncMemoryClient from the synchronous script."""

    def __init__(self, client: AsyncMemoryClient, loop: asyncio.AbstractEventLoop) -> None:
        self._client, self._loop = client, loop

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        return lambda *a, **kw: self._loop.run_until_complete(method(*a, **kw))


def test_embedded_and_http_clients_agree(tmp_path: Path, server_url: str) -> None:
    with Memory(make_settings(tmp_path)) as memory:
        embedded = run_script(memory, "u1")
    with MemoryClient(server_url) as client:
        over_http = run_script(client, "u1")
    assert over_http == embedded
    assert embedded[-1] == ("ValidationError", "query")
    assert embedded[-2] == ("NotFoundError", "id")


def test_async_client_agrees(tmp_path: Path, server_url: str) -> None:
    with Memory(make_settings(tmp_path)) as memory:
        embedded = run_script(memory, "u1")
    loop = asyncio.new_event_loop()
    client = AsyncMemoryClient(server_url)
    try:
        over_http = run_script(_AsyncAdapter(client, loop), "u1")
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
    assert over_http == embedded
