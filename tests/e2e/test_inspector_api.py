"""The reads the inspector adds to the API: scopes with counts and last activity, what a job
changed, and unit lists filtered by time and validity; all within the caller's tenant."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from memsvc.api.app import create_app

from memsvc.bootstrap import Container, build
from memsvc.domain.auth import NewKey
from tests.conftest import make_settings
from tests.e2e.inspector_seed import seed
from tests.servers import app_server


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[tuple[httpx.Client, httpx.Client, httpx.Client]]:
    box: Container = build(make_settings(tmp_path, auth={"mode": "keys"}))
    _, acme = box.keys.create(NewKey("acme"))
    _, other = box.keys.create(NewKey("other"))
    _, narrow = box.keys.create(NewKey("acme", "reader", user_id="bob"))
    try:
        with app_server(create_app(container=box)) as url:
            a = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {acme}"})
            o = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {other}"})
            n = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {narrow}"})
            with a, o, n:
                yield a, o, n
    finally:
        box.close()


def test_scopes_list_users_and_agents_of_the_tenant_only(
    clients: tuple[httpx.Client, httpx.Client, httpx.Client],
) -> None:
    acme, other, narrow = clients
    seed(acme)
    other.post("/v1/memories", json={"user_id": "zoe", "messages": [{"content": "hello"}]})
    scopes = acme.get("/v1/scopes").json()
    assert [(s["user_id"], s["agent_id"]) for s in scopes] == [("alice", None), ("bob", "helper")]
    alice = scopes[0]
    assert alice["by_granularity"]["turn"] == 6 and alice["by_granularity"]["session"] == 2
    assert alice["total"] == alice["active"] == sum(alice["by_granularity"].values())
    assert alice["last_activity"] >= scopes[1]["last_activity"]
    assert [s["user_id"] for s in other.get("/v1/scopes").json()] == ["zoe"]
    assert [s["user_id"] for s in narrow.get("/v1/scopes").json()] == ["bob"]
    assert acme.get("/v1/scopes", params={"limit": 0}).status_code == 422


def test_job_changes_list_what_the_job_did_within_the_tenant(
    clients: tuple[httpx.Client, httpx.Client, httpx.Client],
) -> None:
    acme, other, narrow = clients
    job = seed(acme)
    changes = acme.get(f"/v1/jobs/{job['id']}/changes").json()
    assert [c["operation"] for c in changes] == ["summarise", "summarise"]
    assert {c["job_id"] for c in changes} == {job["id"]}
    session = acme.get(f"/v1/memories/{changes[0]['unit_id']}").json()
    assert session["granularity"] == "session"
    assert other.get(f"/v1/jobs/{job['id']}/changes").status_code == 404
    assert narrow.get(f"/v1/jobs/{job['id']}/changes").status_code == 404  # alice's job


def test_units_filter_by_occurred_time_and_validity(
    clients: tuple[httpx.Client, httpx.Client, httpx.Client],
) -> None:
    acme, _, _ = clients
    seed(acme)
    march = acme.get(
        "/v1/memories",
        params={
            "user_id": "alice",
            "granularities": "turn",
            "occurred_from": "2024-03-01T00:00:00Z",
            "occurred_to": "2024-04-01T00:00:00Z",
        },
    ).json()["items"]
    assert len(march) == 3 and all(u["occurred_at"].startswith("2024-03-10") for u in march)
    before = acme.get(
        "/v1/memories",
        params={
            "user_id": "alice",
            "granularities": "relation",
            "valid_at": "2024-02-01T00:00:00Z",
        },
    ).json()["items"]
    labels = {u["attributes"]["label"] for u in before}
    assert "has_sister" in labels and "likes" not in labels  # "likes" holds from March on
