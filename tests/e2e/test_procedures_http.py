"""Agent runs over real HTTP: OpenAI-style tool-call messages and an outcome are accepted,
bad tool-call shapes are 422 with the field to fix (and nothing is written), and the
procedure comes back from a how-to search and takes feedback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from memsvc.api.app import create_app

from memsvc.bootstrap import Container, build
from tests.conftest import make_settings
from tests.servers import app_server


@pytest.fixture
def api(tmp_path: Path) -> Iterator[httpx.Client]:
    box: Container = build(make_settings(tmp_path))
    try:
        with app_server(create_app(container=box)) as url, httpx.Client(base_url=url) as client:
            yield client
    finally:
        box.close()


def calls(name: str, arguments: Any, call_id: str = "call_1") -> list[dict[str, Any]]:
    return [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}]


RUN = [
    {"role": "user", "content": "Deploy the web app to staging."},
    {"role": "assistant", "content": None, "tool_calls": calls("build_image", '{"tag": "1.4.2"}')},
    {"role": "tool", "tool_call_id": "call_1", "content": "built web:1.4.2"},
    {
        "role": "assistant",
        "content": "",
        "tool_calls": calls("kubectl_apply", {"namespace": "staging"}, "call_2"),
    },
    {"role": "tool", "tool_call_id": "call_2", "name": "kubectl_apply", "content": "configured"},
]


def test_a_tool_call_run_with_its_outcome_becomes_a_procedure_found_by_a_how_to(
    api: httpx.Client,
) -> None:
    body = {"user_id": "agent", "messages": RUN, "extract": "sync", "outcome": "success"}
    added = api.post("/v1/memories", json=body)
    assert added.status_code == 201, added.text
    turns = added.json()["memories"]
    assert turns[1]["content"] == 'build_image({"tag": "1.4.2"})'  # a call without text
    assert turns[1]["attributes"]["metadata"]["tool_calls"][0]["function"]["arguments"] == {
        "tag": "1.4.2"
    }

    found = api.post(
        "/v1/memories/search", json={"user_id": "agent", "query": "How do I deploy the web app?"}
    ).json()
    top = found["hits"][0]["memory"]
    assert top["granularity"] == "procedure"
    assert top["attributes"]["steps"] == [
        'build_image(tag="<version>")',
        'kubectl_apply(namespace="staging")',
    ]
    told = api.post(f"/v1/procedures/{top['id']}/outcome", json={"outcome": "failure"})
    assert told.status_code == 200
    assert told.json()["attributes"]["reliability"]["summary"] == "succeeded 1 of 2 times"


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (
            {"role": "user", "content": "hi", "tool_calls": calls("x", "{}")},
            "messages.0.tool_calls",
        ),
        (
            {"role": "assistant", "tool_calls": calls("", "{}")},
            "messages.0.tool_calls.0.function.name",
        ),
        (
            {
                "role": "assistant",
                "tool_calls": [{"id": "c", "function": {"name": "x"}, "extra": 1}],
            },
            "messages.0.tool_calls.0.extra",
        ),
        ({"role": "assistant", "content": None}, "messages.0.content"),
        ({"role": "assistant", "tool_calls": []}, "messages.0.content"),
        ({"role": "user", "content": "ok", "tool_call_id": "call_1"}, "messages.0.tool_call_id"),
    ],
)
def test_bad_tool_call_messages_are_422_with_the_field_and_write_nothing(
    api: httpx.Client, message: dict[str, Any], field: str
) -> None:
    response = api.post("/v1/memories", json={"user_id": "agent", "messages": [message]})

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field and error["message"]
    listed = api.get("/v1/memories", params={"user_id": "agent"}).json()
    assert listed["items"] == []


@pytest.mark.parametrize("arguments", ["not json", "[1, 2]", '{"cut off": '])
def test_tool_arguments_that_are_not_a_json_object_are_kept_as_the_model_sent_them(
    api: httpx.Client, arguments: str
) -> None:
    # Models do emit malformed arguments; the memory records what the agent saw.
    message = {"role": "assistant", "tool_calls": calls("lookup", arguments)}
    response = api.post("/v1/memories", json={"user_id": "agent", "messages": [message]})

    assert response.status_code == 201, response.text
    kept = response.json()["memories"][0]["attributes"]["metadata"]["tool_calls"][0]
    assert kept["function"]["arguments"] == arguments


def test_an_unknown_outcome_is_422(api: httpx.Client) -> None:
    body = {"messages": [{"content": "hi"}], "outcome": "maybe"}
    response = api.post("/v1/memories", json=body)

    assert response.status_code == 422 and response.json()["error"]["field"] == "outcome"


def test_plain_messages_are_stored_as_before(api: httpx.Client) -> None:
    body = {"user_id": "u", "messages": [{"role": "tool", "content": json.dumps({"ok": True})}]}
    response = api.post("/v1/memories", json=body)

    assert response.status_code == 201
    assert "metadata" not in response.json()["memories"][0]["attributes"]
