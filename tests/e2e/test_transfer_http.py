"""Export and import over REST (admin keys), through the SDK's HTTP clients: a streamed
export, an import sent in parts under the body limit, and the role and input checks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from memsvc.api.app import create_app

from memsvc import (
    AsyncMemoryClient,
    ForbiddenError,
    MemoryClient,
    PayloadTooLargeError,
    ValidationError,
)
from memsvc.bootstrap import Container, build
from memsvc.domain.auth import NewKey
from tests.conftest import make_settings
from tests.servers import app_server

BODY_LIMIT = 8_000


@pytest.fixture
def boxes(tmp_path: Path) -> Iterator[tuple[Container, Container]]:
    settings = {"auth": {"mode": "keys", "rate_per_s": 0}, "limits": {"max_body_bytes": BODY_LIMIT}}
    source = build(make_settings(tmp_path / "source", **settings))
    target = build(make_settings(tmp_path / "target", **settings))
    yield source, target
    source.close()
    target.close()


@pytest.fixture
def urls(boxes: tuple[Container, Container]) -> Iterator[tuple[str, str]]:
    with (
        app_server(create_app(container=boxes[0])) as a,
        app_server(create_app(container=boxes[1])) as b,
    ):
        yield a, b


def key(box: Container, role: str = "admin") -> str:
    return box.keys.create(NewKey("acme", role))[1]  # type: ignore[arg-type]


def fill(client: MemoryClient) -> None:
    for i in range(12):
        client.add(
            [
                {"role": "user", "content": f"Day {i}: I walked {i + 2} km along the river."},
                {"role": "assistant", "content": f"Nice, {i + 2} km is a good walk. " * 8},
            ],
            user_id="alice",
            session_id=f"s{i}",
            extract="sync",
        )


def test_a_scope_moves_between_servers_in_parts_under_the_body_limit(
    boxes: tuple[Container, Container], urls: tuple[str, str], tmp_path: Path
) -> None:
    source_url, target_url = urls
    with MemoryClient(source_url, api_key=key(boxes[0])) as source:
        fill(source)
        lines = list(source.export(user_id="alice"))
    assert sum(len(line) for line in lines) > 3 * BODY_LIMIT  # it cannot go in one request
    path = tmp_path / "alice.jsonl"
    path.write_text("".join(lines))
    steps: list[int] = []
    with MemoryClient(target_url, api_key=key(boxes[1])) as target:
        result = target.import_(path, chunk_bytes=BODY_LIMIT - 1000, progress=steps.append)
        assert (result.read, result.created) == (len(lines) - 1, len(lines) - 1)
        assert len(steps) > 3 and sum(steps) == result.read
        again = [json.loads(line) for line in target.export(user_id="alice")]
    assert [r["unit"] for r in again[1:]] == [json.loads(line)["unit"] for line in lines[1:]]
    assert again[0]["tenant_id"] == "acme" and again[0]["counts"]["units"] == len(lines) - 1


def test_the_async_client_exports_and_imports_the_same(
    boxes: tuple[Container, Container], urls: tuple[str, str]
) -> None:
    source_url, target_url = urls
    with MemoryClient(source_url, api_key=key(boxes[0])) as source:
        fill(source)
        expected = list(source.export(user_id="alice"))

    async def move() -> tuple[list[str], int]:
        async with AsyncMemoryClient(source_url, api_key=key(boxes[0])) as a:
            lines = [line async for line in await a.export(user_id="alice")]
        async with AsyncMemoryClient(target_url, api_key=key(boxes[1])) as b:
            result = await b.import_(lines, chunk_bytes=BODY_LIMIT - 1000)
        return lines, result.created

    lines, created = asyncio.run(move())
    assert [json.loads(x)["unit"] for x in lines[1:]] == [
        json.loads(x)["unit"] for x in expected[1:]
    ]
    assert created == len(lines) - 1


def test_only_an_admin_exports_or_imports(
    boxes: tuple[Container, Container], urls: tuple[str, str]
) -> None:
    source_url, _ = urls
    with MemoryClient(source_url, api_key=key(boxes[0], "writer")) as writer:
        with pytest.raises(ForbiddenError, match="admin"):
            writer.export(user_id="alice")
        with pytest.raises(ForbiddenError, match="admin"):
            writer.import_(['{"results": []}'], format="mem0")


def test_a_part_over_the_body_limit_and_a_broken_body_are_refused(
    boxes: tuple[Container, Container], urls: tuple[str, str]
) -> None:
    source_url, target_url = urls
    with MemoryClient(source_url, api_key=key(boxes[0])) as source:
        fill(source)
        lines = list(source.export(user_id="alice"))
    admin = key(boxes[1])
    with MemoryClient(target_url, api_key=admin) as target:
        with pytest.raises(PayloadTooLargeError):
            target.import_(lines, chunk_bytes=10 * BODY_LIMIT)
        with pytest.raises(ValidationError, match="line 3"):
            target.import_([*lines[:2], "{not json\n", *lines[2:]])  # checked before sending
    body = "".join([lines[0], lines[1], '{"unit": {"id": "x"}}\n'])
    raw = httpx.post(
        f"{target_url}/v1/import",
        content=body,
        headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/x-ndjson"},
    )
    assert raw.status_code == 422 and "line 3" in raw.json()["error"]["message"]
    exported = httpx.get(f"{target_url}/v1/export", headers={"Authorization": f"Bearer {admin}"})
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    assert json.loads(exported.text.splitlines()[0])["counts"]["units"] == 0  # nothing written
