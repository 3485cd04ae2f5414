"""Roles, narrowed keys, key management and the per-key rate limit, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from memsvc.api.app import create_app
from memsvc.api.ratelimit import RateLimiter

from memsvc.bootstrap import Container, build
from memsvc.domain.auth import NewKey
from memsvc.domain.errors import RateLimitedError
from tests.conftest import make_settings
from tests.servers import app_server


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Container]:
    container = build(make_settings(tmp_path, auth={"mode": "keys", "rate_per_s": 0}))
    yield container
    container.close()


OPEN: list[httpx.Client] = []


@pytest.fixture
def url(box: Container) -> Iterator[str]:
    with app_server(create_app(container=box)) as base:
        yield base
    while OPEN:
        OPEN.pop().close()


def client(url: str, box: Container, **key: object) -> httpx.Client:
    _, secret = box.keys.create(NewKey("acme", **key))  # type: ignore[arg-type]
    return keyed(url, secret)


def keyed(url: str, secret: str) -> httpx.Client:
    OPEN.append(httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}))
    return OPEN[-1]


def test_a_reader_reads_but_cannot_write(url: str, box: Container) -> None:
    writer, reader = client(url, box, role="writer"), client(url, box, role="reader")
    added = writer.post("/v1/memories", json={"user_id": "u", "messages": [{"content": "hi"}]})
    unit_id = added.json()["memories"][0]["id"]
    assert reader.get(f"/v1/memories/{unit_id}").status_code == 200
    assert reader.post("/v1/memories/search", json={"query": "hi"}).status_code == 200
    denied = reader.post("/v1/memories", json={"messages": [{"content": "x"}]})
    assert denied.status_code == 403 and "reader" in denied.json()["error"]["message"]
    assert reader.delete(f"/v1/memories/{unit_id}").status_code == 403
    assert reader.post("/v1/jobs", json={"kind": "compress"}).status_code == 403


def test_only_an_admin_manages_keys_and_purges(url: str, box: Container) -> None:
    writer, admin = client(url, box, role="writer"), client(url, box, role="admin")
    assert writer.post("/v1/keys", json={"role": "reader"}).status_code == 403
    assert writer.delete("/v1/users/u").status_code == 403
    made = admin.post("/v1/keys", json={"role": "reader", "user_id": "u"})
    assert made.status_code == 201
    secret, key_id = made.json()["secret"], made.json()["key"]["id"]
    assert secret not in admin.get("/v1/keys").text  # only a prefix is ever listed
    fresh = keyed(url, secret)
    assert fresh.get("/v1/memories").status_code == 200
    assert admin.delete(f"/v1/keys/{key_id}").json()["revoked_at"]
    assert fresh.get("/v1/memories").status_code == 401  # revocation is at once


def test_an_admin_key_cannot_be_narrowed(url: str, box: Container) -> None:
    admin = client(url, box, role="admin")
    response = admin.post("/v1/keys", json={"role": "admin", "user_id": "u"})
    assert response.status_code == 422


def test_a_key_narrowed_to_an_agent_never_sees_another_agents_memories(
    url: str, box: Container
) -> None:
    admin = client(url, box, role="admin")
    mine = client(url, box, role="writer", agent_id="agent-a")
    admin.post("/v1/memories", json={"agent_id": "agent-b", "messages": [{"content": "b secret"}]})
    other = admin.get("/v1/memories", params={"agent_id": "agent-b"}).json()["items"][0]
    added = mine.post("/v1/memories", json={"messages": [{"content": "a note"}]}).json()
    assert added["memories"][0]["agent_id"] == "agent-a"  # filled in from the key
    assert mine.get(f"/v1/memories/{other['id']}").status_code == 404
    assert mine.get(f"/v1/memories/{other['id']}/history").status_code == 404
    assert "b secret" not in mine.post("/v1/memories/search", json={"query": "secret"}).text
    assert "b secret" not in mine.get("/v1/memories").text
    asked = mine.get("/v1/memories", params={"agent_id": "agent-b"})
    assert asked.status_code == 403 and asked.json()["error"]["field"] == "agent_id"


def test_no_key_is_401_in_keys_mode(url: str) -> None:
    response = httpx.get(url + "/v1/memories")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_over_the_rate_limit_is_429_with_retry_after(tmp_path: Path) -> None:
    box = build(make_settings(tmp_path, auth={"mode": "keys", "rate_per_s": 1, "rate_burst": 3}))
    try:
        with app_server(create_app(container=box)) as base:
            api = client(base, box)
            statuses = [api.get("/v1/memories").status_code for _ in range(5)]
            assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]
            limited = api.get("/v1/memories")
            assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
            other = client(base, box)  # every key has its own bucket
            assert other.get("/v1/memories").status_code == 200
    finally:
        while OPEN:
            OPEN.pop().close()
        box.close()


def test_the_token_bucket_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(rate_per_s=2.0, burst=2, clock=lambda: now[0])
    limiter.spend("k")
    limiter.spend("k")
    with pytest.raises(RateLimitedError) as caught:
        limiter.spend("k")
    assert caught.value.retry_after == 1
    now[0] = 0.5  # one token back
    limiter.spend("k")
