"""The defects an outside probe found (issue 10), one test each, over real HTTP. Each of these
failed on the code the probe ran against (commit b4a45ed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from memsvc.api.app import create_app

from memsvc.bootstrap import Container, build
from memsvc.domain.auth import NewKey
from tests.conftest import make_settings
from tests.servers import app_server


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Container]:
    container = build(make_settings(tmp_path))
    yield container
    container.close()


@pytest.fixture
def api(box: Container) -> Iterator[httpx.Client]:
    with app_server(create_app(container=box)) as url, httpx.Client(base_url=url) as client:
        yield client


def scope_works(api: httpx.Client, user: str = "u") -> None:
    """The user's scope still takes writes and answers searches and lists."""
    added = api.post("/v1/memories", json={"user_id": user, "messages": [{"content": "tea"}]})
    assert added.status_code == 201, added.text
    found = api.post("/v1/memories/search", json={"user_id": user, "query": "tea"})
    assert found.status_code == 200, found.text
    assert api.get("/v1/memories", params={"user_id": user}).status_code == 200
    assert api.post("/v1/memories/search", json={"query": "tea"}).status_code == 200


def error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["message"]
    return body


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_number_in_metadata_is_422_and_poisons_nothing(
    api: httpx.Client, number: str
) -> None:
    raw = (
        '{"user_id": "u", "messages": [{"content": "hello there", '
        f'"metadata": {{"x": {{"y": [1, {number}]}}}}}}]}}'
    )
    response = api.post("/v1/memories", content=raw, headers={"content-type": "application/json"})
    body = error(response, 422)
    assert body["field"] == "messages.0.metadata" and "x.y[1]" in body["message"]
    scope_works(api)


def test_revoking_the_last_key_never_turns_authentication_off(tmp_path: Path) -> None:
    first = build(make_settings(tmp_path))
    record, secret = first.keys.create(NewKey("acme"))
    first.close()
    box = build(make_settings(tmp_path))  # started with a key: keys mode for its lifetime
    try:
        with app_server(create_app(container=box)) as url, httpx.Client(base_url=url) as api:
            good = {"Authorization": f"Bearer {secret}"}
            assert api.get("/v1/memories", headers=good).status_code == 200
            box.keys.revoke(record.id)  # no active key is left
            error(api.get("/v1/memories", headers=good), 401)
            error(api.get("/v1/memories"), 401)
            error(api.post("/v1/memories", json={"messages": [{"content": "x"}]}), 401)
    finally:
        box.close()


def test_a_server_started_without_keys_stays_in_dev_mode_but_honours_keys(
    api: httpx.Client, box: Container
) -> None:
    _, secret = box.keys.create(NewKey("acme"))
    assert box.service.dev_mode  # decided at start; a key created later does not change it
    assert api.get("/v1/memories").status_code == 200
    who = api.post(
        "/v1/memories",
        json={"messages": [{"content": "acme note"}]},
        headers={"Authorization": f"Bearer {secret}"},
    ).json()
    assert who["memories"][0]["tenant_id"] == "acme"


def test_a_deleted_message_can_be_stored_again(api: httpx.Client) -> None:
    body = {"user_id": "u", "session_id": "s", "messages": [{"content": "call mum on Sunday"}]}
    first = api.post("/v1/memories", json=body).json()
    assert first["created"] == 1
    turn = first["memories"][0]["id"]
    assert api.delete(f"/v1/memories/{turn}").status_code == 200
    again = api.post("/v1/memories", json=body).json()
    assert again["created"] == 1 and again["duplicates"] == 0
    assert again["memories"][0]["id"] != turn
    assert api.delete(f"/v1/memories/{again['memories'][0]['id']}?hard=true").status_code == 200
    third = api.post("/v1/memories", json=body).json()
    assert third["created"] == 1


def test_forget_job_examples_name_ids_never_text(api: httpx.Client) -> None:
    api.post("/v1/memories", json={"user_id": "u", "messages": [{"content": "secret plan zeta"}]})
    params = {"now": "2199-01-01T00:00:00Z", "grace_days": 0, "purge_turns": True}
    created = api.post(
        "/v1/jobs", json={"kind": "forget", "user_id": "u", "params": params, "dry_run": True}
    )
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    for _ in range(200):
        job = api.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            break
        __import__("time").sleep(0.05)
    assert job["status"] == "succeeded", job
    assert job["counts"]["examples"] and "zeta" not in json.dumps(job)
    assert "zeta" not in api.get("/v1/jobs").text


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "1899-12-31T23:59:59Z"]
)
@pytest.mark.parametrize("where", ["occurred_at", "start", "as_of", "query_time", "valid_to"])
def test_dates_out_of_range_are_422_not_500(api: httpx.Client, when: str, where: str) -> None:
    if where == "occurred_at":
        response = api.post(
            "/v1/memories", json={"messages": [{"content": "hi", "occurred_at": when}]}
        )
    elif where == "valid_to":
        turn = api.post("/v1/memories", json={"messages": [{"content": "hi"}]}).json()
        response = api.patch(f"/v1/memories/{turn['memories'][0]['id']}", json={where: when})
    else:
        response = api.post("/v1/memories/search", json={"query": "hi", where: when})
    assert "between 1900" in error(response, 422)["message"]


@pytest.mark.parametrize("query", ["what happened last year", "in 1850", "9000 years ago"])
@pytest.mark.parametrize("now", ["1900-01-02T00:00:00Z", "2199-12-31T00:00:00Z"])
def test_relative_times_near_the_bounds_are_answered(
    api: httpx.Client, query: str, now: str
) -> None:
    response = api.post("/v1/memories/search", json={"query": query, "query_time": now})
    assert response.status_code == 200, response.text


def test_deeply_nested_metadata_is_422_and_stores_nothing(api: httpx.Client) -> None:
    deep: dict = {}
    node = deep
    for _ in range(900):
        node["a"] = {}
        node = node["a"]
    body = {"user_id": "u", "messages": [{"content": "deep", "metadata": deep}]}
    error(api.post("/v1/memories", json=body), 422)
    assert api.get("/v1/memories", params={"user_id": "u"}).json()["items"] == []
    scope_works(api)


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/v1/memories", {"messages": [{"content": "x", "occurred_at": "-1"}]}, None),
        ("post", "/v1/memories", {"messages": [{"content": "x", "occurred_at": 17e8}]}, None),
        ("post", "/v1/memories/search", {"query": "x", "k": True}, "k"),
        ("post", "/v1/memories/search", {"query": "x\u0000y"}, "query"),
        ("post", "/v1/memories", {"messages": [{"content": "a\u0000b"}]}, None),
        ("post", "/v1/memories", {"user_id": "u\u0000", "messages": [{"content": "a"}]}, None),
        ("post", "/v1/jobs", {"kind": "consolidate", "params": {"batch_size": -1}}, None),
        ("post", "/v1/jobs", {"kind": "forget", "params": {"grace_days": -5}}, None),
        ("post", "/v1/jobs", {"kind": "forget", "params": {"archive_below": 2}}, None),
        ("post", "/v1/jobs", {"kind": "consolidate", "params": {"merge_similarity": "abc"}}, None),
        ("post", "/v1/jobs", {"kind": "compress", "params": {"sumary_chars": 500}}, None),
    ],
)
def test_inputs_that_were_accepted_are_now_422(
    api: httpx.Client, method: str, path: str, body: dict, field: str | None
) -> None:
    found = error(getattr(api, method)(path, json=body), 422)
    if field:
        assert found["field"] == field
    assert api.get("/v1/jobs").json() == []  # nothing was queued to fail later


def test_valid_from_after_valid_to_is_422(api: httpx.Client) -> None:
    turn = api.post("/v1/memories", json={"messages": [{"content": "hi"}]}).json()
    path = f"/v1/memories/{turn['memories'][0]['id']}"
    body = {"valid_from": "2024-05-01T00:00:00Z", "valid_to": "2024-01-01T00:00:00Z"}
    assert "valid_from" in error(api.patch(path, json=body), 422)["message"]


def test_the_schema_states_the_limits_the_server_enforces(
    api: httpx.Client, box: Container
) -> None:
    limits = box.settings.limits
    schema = api.get("/openapi.json").json()
    search = schema["components"]["schemas"]["SearchRequest"]["properties"]
    assert search["k"]["maximum"] == limits.max_k
    assert search["query"]["maxLength"] == limits.max_query_chars
    params = {p["name"]: p for p in schema["paths"]["/v1/memories"]["get"]["parameters"]}
    assert params["limit"]["schema"]["maximum"] == limits.max_page
    assert error(api.post("/v1/memories/search", json={"query": "x", "k": limits.max_k + 1}), 422)
    long_query = {"query": "x" * (limits.max_query_chars + 1)}
    assert error(api.post("/v1/memories/search", json=long_query), 422)["field"] == "query"
    assert api.post("/v1/memories/search", json={"query": "x", "k": limits.max_k}).is_success


def test_a_soft_deleted_memory_is_404_but_its_history_stays(api: httpx.Client) -> None:
    turn = api.post("/v1/memories", json={"messages": [{"content": "old note"}]}).json()
    unit_id = turn["memories"][0]["id"]
    api.delete(f"/v1/memories/{unit_id}")
    assert "deleted" in error(api.get(f"/v1/memories/{unit_id}"), 404)["message"]
    assert [h["operation"] for h in api.get(f"/v1/memories/{unit_id}/history").json()] == ["delete"]


def test_an_undecodable_body_is_422_saying_what_to_send(api: httpx.Client) -> None:
    response = api.post(
        "/v1/memories", content=b"\xff\xfe{", headers={"content-type": "application/json"}
    )
    assert "JSON" in error(response, 422)["message"]
