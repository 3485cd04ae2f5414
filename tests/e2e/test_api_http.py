"""The REST API over real HTTP (uvicorn on 127.0.0.1): happy path, and a clear 4xx, never a
500, for every kind of bad request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from memsvc.api.app import create_app
from memsvc.stores.migrate import head_revision

from memsvc.bootstrap import Container, build
from memsvc.domain.auth import NewKey
from tests.conftest import make_settings
from tests.servers import app_server

MESSAGES = [
    {
        "role": "user",
        "content": "My sister Ana lives in Porto",
        "occurred_at": "2024-01-05T10:00:00Z",
    },
    {"role": "assistant", "content": "Porto is beautiful in spring"},
]


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Container]:
    container = build(make_settings(tmp_path, limits={"max_body_bytes": 20_000}))
    yield container
    container.close()


@pytest.fixture
def api(box: Container) -> Iterator[httpx.Client]:
    with app_server(create_app(container=box)) as url, httpx.Client(base_url=url) as client:
        yield client


def add(api: httpx.Client, **extra: object) -> dict:
    response = api.post("/v1/memories", json={"user_id": "u1", "messages": MESSAGES, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def assert_error(response: httpx.Response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if field is not None:
        assert error["field"] == field
    return error


def test_add_then_search_finds_the_turn_with_provenance_and_ranks(api: httpx.Client) -> None:
    added = add(api, session_id="s1")
    assert added["created"] == 2 and added["session_id"] == "s1"
    body = {"user_id": "u1", "query": "where does Ana live?", "k": 5}
    result = api.post("/v1/memories/search", json=body).json()
    top = result["hits"][0]
    assert top["memory"]["content"] == "My sister Ana lives in Porto"
    assert top["memory"]["occurred_at"] == "2024-01-05T10:00:00Z"
    assert {v["retriever"] for v in top["retrievers"]} >= {"turn.lexical"}
    assert all(v["rank"] >= 1 for v in top["retrievers"])
    assert result["route"]["reasons"]
    prov = api.get(f"/v1/memories/{top['memory']['id']}/provenance").json()
    derived = {u["granularity"] for u in prov["derived"]}
    assert "session" in derived and "fact" in derived  # extraction runs by default


def test_get_update_history_delete_cycle(api: httpx.Client) -> None:
    turn = add(api)["memories"][0]
    got = api.get(f"/v1/memories/{turn['id']}").json()
    assert got == turn
    patched = api.patch(f"/v1/memories/{turn['id']}", json={"pinned": True, "reason": "keep"})
    assert patched.json()["version"] == 2 and patched.json()["pinned"] is True
    deleted = api.delete(f"/v1/memories/{turn['id']}").json()
    assert deleted["deleted"] == [turn["id"]]
    history = api.get(f"/v1/memories/{turn['id']}/history").json()
    assert [h["operation"] for h in history] == ["update", "delete"]
    listed = api.get("/v1/memories", params={"user_id": "u1", "granularities": ["turn"]}).json()
    assert turn["id"] not in [u["id"] for u in listed["items"]]


def test_list_paginates_with_a_cursor(api: httpx.Client) -> None:
    add(api, session_id="a", extract="off")
    add(api, session_id="b", extract="off")
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/memories", params=params).json()
        seen += [u["id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 6  # 4 turns + 2 sessions


@pytest.mark.parametrize(
    "path", ["/v1/memories/nope", "/v1/memories/nope/history", "/v1/memories/nope/provenance"]
)
def test_unknown_ids_are_404(api: httpx.Client, path: str) -> None:
    assert_error(api.get(path), 404)


def test_another_tenants_id_is_404(api: httpx.Client, box: Container) -> None:
    turn = add(api)["memories"][0]  # dev-mode tenant "default"
    _, key = box.keys.create(NewKey("other-tenant"))
    headers = {"Authorization": f"Bearer {key}"}
    assert_error(api.get(f"/v1/memories/{turn['id']}", headers=headers), 404)
    assert_error(api.delete(f"/v1/memories/{turn['id']}", headers=headers), 404)
    assert_error(
        api.patch(f"/v1/memories/{turn['id']}", json={"pinned": True}, headers=headers), 404
    )
    found = api.post("/v1/memories/search", json={"query": "Ana Porto"}, headers=headers).json()
    assert found["hits"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"messages": [{"role": "user", "content": ""}]}, "messages.0.content"),
        ({"messages": [{"role": "user", "content": 42}]}, "messages.0.content"),
        ({"messages": []}, "messages"),
        ({"messages": "hello"}, "messages"),
        (
            {"messages": [{"content": "hi", "occurred_at": "last tuesday"}]},
            "messages.0.occurred_at",
        ),
        (
            {"messages": [{"content": "hi", "occurred_at": "2024-13-45T00:00:00"}]},
            "messages.0.occurred_at",
        ),
        ({"messages": [{"content": "hi"}], "extract": "maybe"}, "extract"),
        ({"messages": [{"content": "hi"}], "surprise": 1}, "surprise"),
    ],
)
def test_bad_add_payloads_are_422_with_the_field(api: httpx.Client, body: dict, field: str) -> None:
    assert_error(api.post("/v1/memories", json=body), 422, field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": "x", "k": 0}, "k"),
        ({"query": "x", "k": 100000}, "k"),
        ({"query": "x", "k": "ten"}, "k"),
        ({"query": ""}, "query"),
        ({"query": "x", "start": "not a date"}, "start"),
        ({"query": "x", "granularities": ["paragraph"]}, "granularities.0"),
    ],
)
def test_bad_searches_are_422_with_the_field(api: httpx.Client, body: dict, field: str) -> None:
    assert_error(api.post("/v1/memories/search", json=body), 422, field)


def test_k_above_the_configured_limit_is_422(api: httpx.Client) -> None:
    assert_error(api.post("/v1/memories/search", json={"query": "x", "k": 500}), 422, "k")


def test_malformed_json_is_422(api: httpx.Client) -> None:
    response = api.post(
        "/v1/memories", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_error(response, 422)


def test_bad_cursor_and_limit_are_422(api: httpx.Client) -> None:
    assert_error(api.get("/v1/memories", params={"cursor": "%%%"}), 422, "cursor")
    assert_error(api.get("/v1/memories", params={"limit": 0}), 422, "limit")


def test_editing_a_turns_text_is_409(api: httpx.Client) -> None:
    turn = add(api)["memories"][0]
    response = api.patch(f"/v1/memories/{turn['id']}", json={"content": "rewritten"})
    assert_error(response, 409, "content")


def test_oversized_body_is_413_and_writes_nothing(api: httpx.Client) -> None:
    huge = {"messages": [{"role": "user", "content": "x" * 30_000}]}
    assert_error(api.post("/v1/memories", json=huge), 413)
    assert api.get("/v1/memories").json()["items"] == []


def test_oversized_streamed_body_is_413(api: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"messages": [{"role": "user", "content": "'
        for _ in range(30):
            yield b"y" * 1000
        yield b'"}]}'

    response = api.post(
        "/v1/memories", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(response, 413)


def test_health_and_readiness(api: httpx.Client, box: Container) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz").json()
    assert ready["status"] == "ready" and ready["schema"] == head_revision(box.read_engine)
    assert "/v1/memories/search" in api.get("/openapi.json").json()["paths"]
