"""The OpenAPI schema, written from the configured limits: fields marked with
`memsvc.schemas.limit("<name>")` get the bound `LimitSettings.<name>` as `maximum`,
`maxLength` or `maxItems`, so the schema says exactly what the server enforces."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from memsvc.settings import LimitSettings

BOUND_BY_TYPE = {"integer": "maximum", "string": "maxLength", "array": "maxItems"}


def install(app: FastAPI, limits: LimitSettings) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = apply_limits(schema, limits)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def apply_limits(node: Any, limits: LimitSettings) -> Any:
    """Replace every `x-limit` marker in a JSON schema with the bound it names."""
    if isinstance(node, list):
        return [apply_limits(item, limits) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: apply_limits(v, limits) for k, v in node.items() if k != "x-limit"}
    name = node.get("x-limit")
    if name is not None:
        # An optional field is anyOf [the type, null]: the bound goes on the type.
        targets = [m for m in out.get("anyOf", []) if m.get("type") in BOUND_BY_TYPE] or [out]
        for target in targets:
            bound = BOUND_BY_TYPE.get(str(target.get("type")))
            if bound is None:
                raise ValueError(f"limit {name!r} marks a schema of type {target.get('type')!r}")
            target[bound] = getattr(limits, name)
    return out
