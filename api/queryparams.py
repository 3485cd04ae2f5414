"""A query parameter that the schema declares as one value is sent at most once:
`?status=a&status=b` is a 422 that says so, not a silent choice of the last value (FastAPI's
default), so the server enforces what the OpenAPI schema states."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute

from memsvc.domain.errors import ValidationError


def single_values(request: Request) -> None:
    """Refuse a repeated query parameter unless the route's schema declares it an array."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    for name in _scalar_query_parameters(request, route):
        sent = len(request.query_params.getlist(name))
        if sent > 1:
            raise ValidationError(
                f"query parameter {name!r} was sent {sent} times; it takes one value",
                field=name,
            )


def _scalar_query_parameters(request: Request, route: APIRoute) -> list[str]:
    paths: dict[str, Any] = request.app.openapi()["paths"]
    operation = paths.get(route.path_format, {}).get(request.method.lower(), {})
    return [
        p["name"]
        for p in operation.get("parameters", [])
        if p.get("in") == "query" and not _is_array(p.get("schema", {}))
    ]


def _is_array(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "array" or any(_is_array(s) for s in schema.get("anyOf", []))
