"""The FastAPI application. `create_app()` builds the container in the lifespan (nothing
connects at import time); tests may pass a ready container."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from memsvc.api import errors, metrics, openapi, ui
from memsvc.api.limits import BodyLimitMiddleware
from memsvc.api.observe import ObserveMiddleware
from memsvc.api.queryparams import single_values
from memsvc.api.ratelimit import RateLimiter
from memsvc.api.routes import ERRORS, ROUTERS

from memsvc import __version__
from memsvc.bootstrap import Container, build
from memsvc.integrations.mcp_mount import mount_mcp
from memsvc.settings import Settings

logger = logging.getLogger(__name__)


def operation_id(route: APIRoute) -> str:
    """A route's operationId is its function's name (add, search, list_memories, ...): the
    method name a client generated from the schema will have, as in the Python SDK."""
    return route.name


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    settings = container.settings if container else (settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        box = container or build(settings)
        app.state.container = box
        logger.info("memsvc ready on %s", box.settings.resolved_database_url)
        try:
            async with mcp_running():
                yield
        finally:
            if container is None:
                box.close()

    # Swagger UI and ReDoc assets come from an installed package, not a CDN: /docs works
    # offline, as the embedded default promises.
    app = FastAPIOffline(
        title="memsvc",
        version=__version__,
        description="Long-term memory for AI agents: typed memory units with provenance, "
        "routed multi-granularity retrieval and lifecycle jobs. Memory inspector at /ui.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        static_url="/docs-static",
    )
    app.state.rate_limiter = RateLimiter(settings.auth.rate_per_s, settings.auth.rate_burst)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.limits.max_body_bytes)
    app.add_middleware(ObserveMiddleware)  # outermost: sees every request, 413s included
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router, responses=ERRORS, dependencies=[Depends(single_values)])
    if settings.telemetry.metrics:
        app.include_router(metrics.router)
    ui.install(app)
    openapi.install(app, settings.limits)
    mcp_running = mount_mcp(app, settings)  # the MCP streamable HTTP transport at /mcp
    return app
