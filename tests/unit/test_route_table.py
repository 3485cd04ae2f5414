"""The REST routes and the SDK's methods cannot drift apart: every /v1 operation has an SDK
method of the same name (its operationId), and every SDK method has a route."""

from __future__ import annotations

import inspect

from memsvc.api.app import create_app

from memsvc.client import _Api
from tests.conftest import make_settings

# Where the SDK's name is older than the route's function name.
SDK_NAME = {"list_memories": "list"}


def operations(tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    schema = create_app(make_settings(tmp_path)).openapi()
    return {
        op["operationId"]: f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        if path.startswith("/v1/")
        for method, op in item.items()
    }


def sdk_methods() -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(_Api, inspect.isfunction)
        if not name.startswith("_")
    }


def test_every_route_has_an_sdk_method(tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = {
        route
        for op, route in operations(tmp_path).items()
        if SDK_NAME.get(op, op) not in sdk_methods()
    }
    assert missing == set()


def test_every_sdk_method_has_a_route(tmp_path) -> None:  # type: ignore[no-untyped-def]
    routed = {SDK_NAME.get(op, op) for op in operations(tmp_path)}
    assert sdk_methods() - routed == set()


def test_the_sdk_search_takes_every_field_of_the_search_request(tmp_path) -> None:  # type: ignore[no-untyped-def]
    schema = create_app(make_settings(tmp_path)).openapi()["components"]["schemas"]
    sdk = set(inspect.signature(_Api.search).parameters) - {"self"}
    assert sdk == set(schema["SearchRequest"]["properties"])
    assert "profile" in sdk  # ... and the result says where the time went
    steps = schema["SearchResult"]["properties"]["profile"]["anyOf"][0]["items"]["$ref"]
    assert set(schema[steps.rsplit("/", 1)[1]]["properties"]) == {
        "name",
        "ms",
        "statements",
        "calls",
    }
