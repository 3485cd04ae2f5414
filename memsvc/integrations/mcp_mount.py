"""/mcp on `memsvc serve`: the MCP streamable HTTP transport beside the REST routes, when
the `mcp` extra is installed (and `MEMSVC_MCP_MOUNT` is not false). No import of the MCP SDK
happens here unless it is mounted, so the REST API runs without it."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from starlette.routing import Route

from memsvc.settings import Settings


def mount_mcp(app: FastAPI, settings: Settings) -> Callable[[], AbstractAsyncContextManager[None]]:
    """Add the /mcp route to `app` (its tools use `app.state.container`, which the app's
    lifespan sets, and its requests spend `app.state.rate_limiter`); returns what the
    lifespan must run while the app serves."""
    if not settings.mcp.mount or importlib.util.find_spec("mcp") is None:
        return contextlib.nullcontext
    from memsvc.integrations.mcp_server import PATH, HttpTransport

    transport = HttpTransport(lambda: app.state.container, settings, app.state.rate_limiter)
    app.router.routes.append(Route(PATH, transport, include_in_schema=False))
    return transport.running
