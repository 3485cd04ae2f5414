"""Every request is observed once, as pure ASGI middleware: it gets a request id (the caller's
`X-Request-ID` when it is a sane token, else a new one, echoed in the response), is counted
and timed per route template for Prometheus, and leaves one log line on `memsvc.access` with
the id, tenant, route, status and duration -- never a body, a query string or a key."""

from __future__ import annotations

import logging
import re
import uuid
from time import perf_counter
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from memsvc.logs import ACCESS

logger = logging.getLogger(ACCESS)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
UNMATCHED = "<unmatched>"  # paths no route knows: one label, whatever was asked


class ObserveMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        start = perf_counter()
        status = 500  # what the client gets if the app dies before answering

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            _record(scope, request_id, status, perf_counter() - start)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if REQUEST_ID.match(given):
                return given
    return uuid.uuid4().hex


def route_of(scope: Scope) -> str:
    """The route's path template (`/v1/memories/{memory_id}`), not the path asked for."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else UNMATCHED


def _record(scope: Scope, request_id: str, status: int, seconds: float) -> None:
    route, method = route_of(scope), scope.get("method", "")
    state = scope.get("state") or {}
    app = scope.get("app")
    box = getattr(getattr(app, "state", None), "container", None)
    telemetry = getattr(box, "telemetry", None)
    if telemetry is not None and route != "/metrics":
        telemetry.request(method, route, status, seconds)
    fields = {
        "request_id": request_id,
        "tenant": state.get("tenant_id"),
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
    }
    logger.info("%s %s %s %.1fms", method, route, status, seconds * 1000, extra={"fields": fields})
