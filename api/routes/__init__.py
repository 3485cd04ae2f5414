"""REST routes, one module per resource. Each route validates, calls one handler over the
service facade and returns a public model; its function name is its OpenAPI operationId."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from memsvc.api.routes import admin, graph, inspect, jobs, memories, ops, transfer

from memsvc.schemas import ErrorResponse

ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorResponse} for s in (401, 403, 404, 409, 413, 422, 429)
}
ROUTERS: list[APIRouter] = [
    memories.router,
    jobs.router,
    graph.router,
    inspect.router,
    admin.router,
    transfer.router,
    ops.router,
]
