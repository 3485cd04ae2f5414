"""Tenant isolation, roles and keys narrowed to a user, over every route of the OpenAPI schema
(uvicorn on 127.0.0.1, keys required).

Two parties hold data with a marker word in it: tenant "beta" (user bu), and user u2 of tenant
"acme". Every route is called with the other party's ids (memory, procedure, entity, job and
key ids, a cursor, user, agent and session ids) by
- an outsider: an admin key of acme, with beta's ids;
- a narrowed key: a writer key of acme restricted to user u1, with u2's ids.
Each gets a 404, a 403 or an answer with nothing of the other party's, never the marker; and
afterwards the other party's data is all there. Reader and writer keys are refused (403) the
routes their role does not allow. A route of the schema without a case here fails the test.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from memsvc.api.app import create_app

from memsvc.bootstrap import Container, build
from memsvc.domain.auth import ROLES, NewKey, Role
from tests.conftest import make_settings
from tests.servers import app_server

AUTH = {"mode": "keys", "rate_per_s": 0}
SCHEMA = create_app(make_settings(Path("/nonexistent"), auth=AUTH)).openapi()
ROUTES = sorted((method.upper(), path) for path, item in SCHEMA["paths"].items() for method in item)


@dataclass(frozen=True)
class Theirs:
    """The other party's data: the ids a caller may have learnt or guessed, and a marker word
    that is in its memories and must never come back to the caller."""

    user: str
    agent: str
    session: str
    client_id: str
    memory: str
    procedure: str
    entity: str
    job: str
    key: str
    cursor: str
    marker: str


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    params: dict[str, Any] | None = None
    json: Any = None
    content: str | None = None  # a raw body (an import's JSON lines)


Check = Callable[[Any, Theirs], bool]
Expect = tuple[int, Check | None]  # the status, and what the body must satisfy


@dataclass(frozen=True)
class Case:
    call: Callable[[Theirs], Call]
    outsider: Expect  # acme's admin key with beta's ids
    narrowed: Expect  # acme's key narrowed to u1, with u2's ids
    role: Role | None  # the least role the route needs (None: no key needed)


GONE: Expect = (404, None)
REFUSED: Expect = (403, None)
PUBLIC: Expect = (200, None)
PURGED_NOTHING_OF_THEIRS: Expect = (200, None)  # assert_intact checks theirs after each case


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}


def shows_their_procedure(scope: dict[str, Any], theirs: Theirs) -> bool:
    return scope["user_id"] == theirs.user and bool(scope["by_granularity"].get("procedure"))


def ours(units: list[dict[str, Any]]) -> bool:
    """Memories of the caller's tenant only. (The caller's own writes to the same user and
    session ids, by the cases that write, may be among them: that is not a leak.)"""
    return all(u["tenant_id"] == "acme" for u in units)


CASES: dict[tuple[str, str], Case] = {
    ("POST", "/v1/memories"): Case(
        lambda t: Call(
            "POST",
            "/v1/memories",
            json={
                "user_id": t.user,
                "agent_id": t.agent,
                "session_id": t.session,
                "messages": [{"content": "a note of my own", "client_id": t.client_id}],
            },
        ),
        # Same session and client ids as theirs: a memory of the caller's, never theirs
        # handed back as a duplicate.
        outsider=(201, lambda b, t: ours(b["memories"])),
        narrowed=REFUSED,
        role="writer",
    ),
    ("GET", "/v1/memories"): Case(
        lambda t: Call(
            "GET",
            "/v1/memories",
            params={"user_id": t.user, "session_id": t.session, "cursor": t.cursor},
        ),
        outsider=(200, lambda b, t: ours(b["items"])),
        narrowed=REFUSED,
        role="reader",
    ),
    ("POST", "/v1/memories/search"): Case(
        lambda t: Call(
            "POST",
            "/v1/memories/search",
            json={"query": f"Ana Porto {t.marker}", "user_id": t.user, "session_id": t.session},
        ),
        outsider=(200, lambda b, t: ours([h["memory"] for h in b["hits"]])),
        narrowed=REFUSED,
        role="reader",
    ),
    ("GET", "/v1/memories/{memory_id}"): Case(
        lambda t: Call("GET", f"/v1/memories/{t.memory}"), GONE, GONE, "reader"
    ),
    ("PATCH", "/v1/memories/{memory_id}"): Case(
        lambda t: Call("PATCH", f"/v1/memories/{t.memory}", json={"content": "mine now"}),
        GONE,
        GONE,
        "writer",
    ),
    ("DELETE", "/v1/memories/{memory_id}"): Case(
        lambda t: Call(
            "DELETE", f"/v1/memories/{t.memory}", params={"hard": "true", "cascade": "true"}
        ),
        GONE,
        GONE,
        "writer",
    ),
    ("GET", "/v1/memories/{memory_id}/history"): Case(
        lambda t: Call("GET", f"/v1/memories/{t.memory}/history"), GONE, GONE, "reader"
    ),
    ("GET", "/v1/memories/{memory_id}/provenance"): Case(
        lambda t: Call("GET", f"/v1/memories/{t.memory}/provenance"), GONE, GONE, "reader"
    ),
    ("POST", "/v1/jobs"): Case(
        lambda t: Call(
            "POST",
            "/v1/jobs",
            json={"kind": "compress", "user_id": t.user, "session_id": t.session},
        ),
        outsider=(201, lambda b, t: b["id"] != t.job),  # a job of the caller's own scope
        narrowed=REFUSED,
        role="writer",
    ),
    ("GET", "/v1/jobs"): Case(
        lambda t: Call("GET", "/v1/jobs", params={"kind": "compress"}),
        outsider=(200, lambda b, t: t.job not in ids(b)),
        narrowed=(200, lambda b, t: t.job not in ids(b)),
        role="reader",
    ),
    ("GET", "/v1/jobs/{job_id}"): Case(
        lambda t: Call("GET", f"/v1/jobs/{t.job}"), GONE, GONE, "reader"
    ),
    ("POST", "/v1/jobs/{job_id}/cancel"): Case(
        lambda t: Call("POST", f"/v1/jobs/{t.job}/cancel"), GONE, GONE, "writer"
    ),
    ("POST", "/v1/jobs/{job_id}/revert"): Case(
        lambda t: Call("POST", f"/v1/jobs/{t.job}/revert"), GONE, GONE, "writer"
    ),
    ("GET", "/v1/jobs/{job_id}/changes"): Case(
        lambda t: Call("GET", f"/v1/jobs/{t.job}/changes"), GONE, GONE, "reader"
    ),
    ("GET", "/v1/stats"): Case(
        lambda t: Call("GET", "/v1/stats", params={"user_id": t.user, "agent_id": t.agent}),
        outsider=(200, lambda b, t: (b["last_jobs"]["compress"] or {}).get("id") != t.job),
        narrowed=REFUSED,
        role="reader",
    ),
    ("GET", "/v1/graph/entities"): Case(
        lambda t: Call("GET", "/v1/graph/entities", params={"user_id": t.user}),
        outsider=(200, lambda b, t: ours(b)),
        narrowed=REFUSED,
        role="reader",
    ),
    ("GET", "/v1/graph/entities/{entity_id}"): Case(
        lambda t: Call("GET", f"/v1/graph/entities/{t.entity}"), GONE, GONE, "reader"
    ),
    ("GET", "/v1/graph/neighbors"): Case(
        lambda t: Call("GET", "/v1/graph/neighbors", params={"entity_id": t.entity, "depth": 4}),
        GONE,
        GONE,
        "reader",
    ),
    ("POST", "/v1/procedures/{procedure_id}/outcome"): Case(
        lambda t: Call(
            "POST", f"/v1/procedures/{t.procedure}/outcome", json={"outcome": "failure"}
        ),
        GONE,
        GONE,
        "writer",
    ),
    ("GET", "/v1/scopes"): Case(
        lambda t: Call("GET", "/v1/scopes"),
        # The caller's own writes under their user id make a scope of the caller's; theirs
        # alone has a procedure in it.
        outsider=(200, lambda b, t: not any(shows_their_procedure(s, t) for s in b)),
        narrowed=(200, lambda b, t: {s["user_id"] for s in b} == {"u1"}),
        role="reader",
    ),
    ("GET", "/v1/keys"): Case(
        lambda t: Call("GET", "/v1/keys"),
        outsider=(
            200,
            lambda b, t: t.key not in ids(b) and {k["tenant_id"] for k in b} == {"acme"},
        ),
        narrowed=REFUSED,
        role="admin",
    ),
    ("POST", "/v1/keys"): Case(
        lambda t: Call("POST", "/v1/keys", json={"role": "reader", "user_id": t.user}),
        outsider=(201, lambda b, t: b["key"]["tenant_id"] == "acme"),
        narrowed=REFUSED,
        role="admin",
    ),
    ("DELETE", "/v1/keys/{key_id}"): Case(
        lambda t: Call("DELETE", f"/v1/keys/{t.key}"), GONE, REFUSED, "admin"
    ),
    ("DELETE", "/v1/users/{user_id}"): Case(
        lambda t: Call("DELETE", f"/v1/users/{t.user}"),
        outsider=PURGED_NOTHING_OF_THEIRS,
        narrowed=REFUSED,
        role="admin",
    ),
    ("DELETE", "/v1/agents/{agent_id}"): Case(
        lambda t: Call("DELETE", f"/v1/agents/{t.agent}"),
        outsider=PURGED_NOTHING_OF_THEIRS,
        narrowed=REFUSED,
        role="admin",
    ),
    ("DELETE", "/v1/sessions/{session_id}"): Case(
        lambda t: Call("DELETE", f"/v1/sessions/{t.session}", params={"user_id": t.user}),
        outsider=PURGED_NOTHING_OF_THEIRS,
        narrowed=REFUSED,
        role="admin",
    ),
    ("POST", "/v1/purge/by-source"): Case(
        lambda t: Call("POST", "/v1/purge/by-source", json={"key_id": t.key}),
        outsider=PURGED_NOTHING_OF_THEIRS,
        narrowed=REFUSED,
        role="admin",
    ),
    ("GET", "/v1/export"): Case(
        lambda t: Call("GET", "/v1/export", params={"user_id": t.user, "session_id": t.session}),
        outsider=(200, None),  # the caller's own (empty) export: the marker never comes back
        narrowed=REFUSED,
        role="admin",
    ),
    ("POST", "/v1/import"): Case(
        lambda t: Call("POST", "/v1/import", content=export_file(t)),
        # Their memory's id cannot be reused (ids are unique in the database); nothing of
        # theirs is read or changed. The 409 does tell an admin who holds the id that it is
        # taken (docs/export-import.md).
        outsider=(409, lambda b, t: "outside your tenant" in b["error"]["message"]),
        narrowed=REFUSED,
        role="admin",
    ),
    ("GET", "/healthz"): Case(lambda t: Call("GET", "/healthz"), PUBLIC, PUBLIC, None),
    ("GET", "/readyz"): Case(lambda t: Call("GET", "/readyz"), PUBLIC, PUBLIC, None),
}


def export_file(t: Theirs) -> str:
    """An export file naming the other party's tenant, user, session and memory id."""
    at = "2024-01-01T00:00:00Z"
    header = {
        "format": "memsvc-export",
        "version": 1,
        "memsvc": "0.1.0",
        "exported_at": at,
        "tenant_id": "beta",
        "scope": {"user_id": t.user},
        "embedder": "hash-256",
        "counts": {"units": 1, "history": 0},
    }
    unit = {
        "id": t.memory,
        "kind": "episodic",
        "granularity": "turn",
        "content": "a note of my own",
        "user_id": t.user,
        "session_id": t.session,
        "created_at": at,
        "updated_at": at,
    }
    return json.dumps(header) + "\n" + json.dumps({"unit": unit}) + "\n"


# -- the world: two tenants, two users of acme ---------------------------------------------------


def messages(marker: str) -> list[dict[str, Any]]:
    """A conversation that extraction turns into a fact, entities, a relation and a procedure."""
    task = "deploy the web app"
    return [
        {"content": f"My sister Ana lives in Porto, code word {marker}", "client_id": "c1"},
        {"content": "Deploy the web app", "metadata": {"task": task}},
        {
            "role": "assistant",
            "content": f"Pushing the image {marker}",
            "metadata": {"task": task, "tool_calls": [{"name": "docker push"}], "outcome": "ok"},
        },
    ]


def seed(api: httpx.Client, box: Container, tenant: str, user: str, marker: str) -> Theirs:
    """Write a user's memories through the API and finish a compress job over them."""
    agent, session = f"{user}-agent", f"{user}-session"
    body = {
        "user_id": user,
        "agent_id": agent,
        "session_id": session,
        "extract": "sync",
        "messages": messages(marker),
    }
    added = ok(api.post("/v1/memories", json=body), 201)
    job = ok(api.post("/v1/jobs", json={"kind": "compress", "user_id": user}), 201)
    wait_for(api, job["id"])
    listed = ok(api.get("/v1/memories", params={"user_id": user, "limit": 1}), 200)
    procedures = {"user_id": user, "granularities": ["procedure"]}
    [procedure] = ok(api.get("/v1/memories", params=procedures), 200)["items"]
    entities = ok(api.get("/v1/graph/entities", params={"user_id": user}), 200)
    key, _ = box.keys.create(NewKey(tenant, "reader", user_id=user))
    return Theirs(
        user=user,
        agent=agent,
        session=session,
        client_id="c1",
        memory=added["memories"][0]["id"],
        procedure=procedure["id"],
        entity=entities[0]["id"],
        job=job["id"],
        key=key.id,
        cursor=listed["next_cursor"],
        marker=marker,
    )


def ok(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def wait_for(api: httpx.Client, job_id: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok(api.get(f"/v1/jobs/{job_id}"), 200)["status"] == "succeeded":
            return
        time.sleep(0.05)
    raise TimeoutError(f"job {job_id} did not succeed")


@dataclass
class World:
    keys: dict[str, httpx.Client]  # acme-admin, acme-reader, acme-writer, narrowed, beta-admin
    beta: Theirs  # what the outsider must not reach
    u2: Theirs  # what the narrowed key must not reach


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    box = build(make_settings(tmp_path_factory.mktemp("isolation"), auth=AUTH))
    secrets = {
        "acme-admin": box.keys.create(NewKey("acme", "admin"))[1],
        "acme-reader": box.keys.create(NewKey("acme", "reader"))[1],
        "acme-writer": box.keys.create(NewKey("acme", "writer"))[1],
        "narrowed": box.keys.create(NewKey("acme", "writer", user_id="u1"))[1],
        "beta-admin": box.keys.create(NewKey("beta", "admin"))[1],
    }
    try:
        with app_server(create_app(container=box)) as url:
            keys = {
                name: httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"})
                for name, secret in secrets.items()
            }
            seed(keys["acme-admin"], box, "acme", "u1", "qzacmeuone")
            u2 = seed(keys["acme-admin"], box, "acme", "u2", "qzacmeutwo")
            beta = seed(keys["beta-admin"], box, "beta", "bu", "qzbetaseven")
            yield World(keys, beta, u2)
            for client in keys.values():
                client.close()
    finally:
        box.close()


def send(client: httpx.Client, call: Call) -> httpx.Response:
    if call.content is not None:
        return client.request(call.method, call.url, params=call.params, content=call.content)
    return client.request(call.method, call.url, params=call.params, json=call.json)


def assert_expected(response: httpx.Response, expect: Expect, theirs: Theirs) -> None:
    status, check = expect
    assert response.status_code == status, response.text
    assert theirs.marker not in response.text
    if status >= 400:
        assert response.json()["error"]["message"]
    if check is not None:
        assert check(response.json(), theirs), response.text


def assert_intact(owner: httpx.Client, theirs: Theirs) -> None:
    """The other party's memories, job and key are all still there, unchanged."""
    memory = ok(owner.get(f"/v1/memories/{theirs.memory}"), 200)
    assert memory["status"] == "active" and memory["version"] == 1
    assert ok(owner.get(f"/v1/jobs/{theirs.job}"), 200)["status"] == "succeeded"
    procedure = ok(owner.get(f"/v1/memories/{theirs.procedure}"), 200)
    assert procedure["attributes"]["failure_count"] == 0
    [key] = [k for k in ok(owner.get("/v1/keys"), 200) if k["id"] == theirs.key]
    assert key["revoked_at"] is None
    search = {"query": f"code word {theirs.marker}", "user_id": theirs.user}
    hits = ok(owner.post("/v1/memories/search", json=search), 200)["hits"]
    assert theirs.marker in hits[0]["memory"]["content"]


def case_of(route: tuple[str, str]) -> Case:
    case = CASES.get(route)
    assert case is not None, f"{route} has no case in CASES: say what another tenant gets there"
    return case


@pytest.mark.parametrize("route", ROUTES, ids=" ".join)
def test_another_tenants_ids_reach_nothing_of_theirs(world: World, route: tuple[str, str]) -> None:
    case = case_of(route)
    response = send(world.keys["acme-admin"], case.call(world.beta))
    assert_expected(response, case.outsider, world.beta)
    assert_intact(world.keys["beta-admin"], world.beta)


@pytest.mark.parametrize("route", ROUTES, ids=" ".join)
def test_a_key_narrowed_to_a_user_reaches_nothing_of_another_user(
    world: World, route: tuple[str, str]
) -> None:
    case = case_of(route)
    response = send(world.keys["narrowed"], case.call(world.u2))
    assert_expected(response, case.narrowed, world.u2)
    assert_intact(world.keys["acme-admin"], world.u2)


@pytest.mark.parametrize("role", ["reader", "writer"])
@pytest.mark.parametrize("route", ROUTES, ids=" ".join)
def test_a_key_is_refused_what_its_role_does_not_allow(
    world: World, route: tuple[str, str], role: Role
) -> None:
    case = case_of(route)
    response = send(world.keys[f"acme-{role}"], case.call(world.beta))
    if case.role is not None and ROLES.index(role) < ROLES.index(case.role):
        assert response.status_code == 403, response.text
        assert f"needs {case.role!r}" in response.json()["error"]["message"]
    else:
        assert response.status_code not in (401, 403) and response.status_code < 500
    assert world.beta.marker not in response.text
    assert_intact(world.keys["beta-admin"], world.beta)


def test_every_case_names_a_route_of_the_schema() -> None:
    assert set(CASES) <= set(ROUTES), set(CASES) - set(ROUTES)


def test_a_narrowed_key_lists_and_searches_its_own_user_only(world: World) -> None:
    narrowed = world.keys["narrowed"]
    listed = ok(narrowed.get("/v1/memories", params={"limit": 500}), 200)["items"]
    assert listed and {u["user_id"] for u in listed} == {"u1"}
    found = ok(narrowed.post("/v1/memories/search", json={"query": "Ana Porto code word"}), 200)
    assert found["hits"] and {h["memory"]["user_id"] for h in found["hits"]} == {"u1"}
    entities = ok(narrowed.get("/v1/graph/entities"), 200)
    assert entities and {e["user_id"] for e in entities} == {"u1"}
    assert ok(narrowed.get("/v1/stats"), 200)["user_id"] == "u1"
    jobs = ok(narrowed.get("/v1/jobs"), 200)
    assert jobs and {j["user_id"] for j in jobs} == {"u1"}
    for response in (
        narrowed.get("/v1/memories", params={"limit": 500}),
        narrowed.post("/v1/memories/search", json={"query": "code word qzacmeutwo", "k": 50}),
    ):
        assert world.u2.marker not in response.text


def test_a_narrowed_key_cannot_widen_itself_through_a_session_or_a_cursor(world: World) -> None:
    narrowed = world.keys["narrowed"]
    params = {"session_id": world.u2.session, "cursor": world.u2.cursor}
    assert ok(narrowed.get("/v1/memories", params=params), 200)["items"] == []
    search = {"query": f"code word {world.u2.marker}", "session_id": world.u2.session}
    assert ok(narrowed.post("/v1/memories/search", json=search), 200)["hits"] == []


def test_a_purge_by_another_tenants_session_leaves_theirs(world: World) -> None:
    by_session = {"session_id": world.beta.session, "user_id": world.beta.user}
    response = world.keys["acme-admin"].post("/v1/purge/by-source", json=by_session)
    assert response.status_code == 200 and world.beta.marker not in response.text
    assert_intact(world.keys["beta-admin"], world.beta)
