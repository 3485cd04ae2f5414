"""The MCP server: memsvc's memory tools (`mcp_tools`) on the official MCP SDK, over stdio
(`memsvc mcp`) and streamable HTTP (`memsvc mcp --transport http`, and /mcp on
`memsvc serve`).

Over stdio one SDK object serves every call: an embedded `memsvc.Memory` on the local
database, or a `MemoryClient` of a remote server (`--url`, `--api-key`). Over HTTP the
API-key model of the REST API applies: each request's `Authorization: Bearer <key>` names
the tenant (and the user or agent a narrowed key is kept to), the key's rate limit applies,
and the tools run as that caller on the server's own `MemoryService`. In single-tenant dev
mode (no keys, loopback only) requests must also name a loopback host and origin, which
shuts out DNS-rebinding pages in a browser.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from memsvc import __version__
from memsvc.api.deps import raw_key
from memsvc.api.ratelimit import RateLimiter
from memsvc.bootstrap import Container
from memsvc.client import _Api, _Call
from memsvc.domain.auth import Principal
from memsvc.domain.errors import AuthError, MemsvcError, RateLimitedError
from memsvc.integrations.mcp_tools import MemoryTools, SdkFor
from memsvc.service import MemoryService
from memsvc.settings import McpSettings, Settings

T = TypeVar("T")
PATH = "/mcp"
INSTRUCTIONS = (
    "Long-term memory. Call `recall` before answering questions that may depend on what the "
    "user said before; call `remember` with what is worth keeping. Memories have ids: "
    "`forget` one, read its `memory_history`, browse with `list_memories`, and look up "
    "people, places and organisations with `search_graph`."
)


class ScopedSdk(_Api):
    """The SDK's methods over a running service, as one caller (an HTTP request's key)."""

    def __init__(self, service: MemoryService, principal: Principal) -> None:
        self._service = service
        self._principal = principal

    def _run(self, call: _Call[T]) -> T:
        return call.local(self._service, self._principal)


def build_server(sdk_for: SdkFor, settings: McpSettings) -> MCPServer:
    """An MCP server with memsvc's tools, each call served by `sdk_for(ctx)`."""
    server: MCPServer = MCPServer(
        "memsvc", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING"
    )
    MemoryTools(sdk_for, settings).register(server)
    return server


def run_stdio(sdk: _Api, settings: McpSettings) -> None:
    """Serve the tools on stdin/stdout until the client closes them."""
    build_server(lambda ctx: sdk, settings).run("stdio")


class HttpTransport:
    """The streamable HTTP transport as an ASGI app: the API key names the tenant, then the
    MCP SDK's session manager (stateless, JSON responses: any replica can answer)."""

    def __init__(
        self, container: Callable[[], Container], settings: Settings, limiter: RateLimiter
    ) -> None:
        self._container = container
        self._limiter = limiter
        self._server = build_server(self._sdk_for, settings.mcp)
        self._server.streamable_http_app(  # builds the session manager with these options
            stateless_http=True,
            json_response=True,
            max_request_body_size=settings.limits.max_body_bytes,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self._refusal(Request(scope))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self._server.session_manager.handle_request(scope, receive, send)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """What the app's lifespan runs: the session manager's task group."""
        async with self._server.session_manager.run():
            yield

    def _refusal(self, request: Request) -> Response | None:
        """Why an HTTP request is refused before MCP sees it (None: it is not)."""
        service = self._container().service
        try:
            who = service.authenticate(raw_key(request))
            self._limiter.spend(who.key_id or "dev")
        except MemsvcError as exc:
            return _error(exc)
        if service.dev_mode and not _loopback_request(request.headers):
            return _error(AuthError("dev mode (no API keys) answers loopback hosts only"))
        return None

    def _sdk_for(self, ctx: Context) -> _Api:
        request = ctx.request_context.request
        if not isinstance(request, Request):
            raise AuthError("the HTTP transport needs the request's API key")
        service = self._container().service
        return ScopedSdk(service, service.authenticate(raw_key(request)))


def http_app(container: Container) -> Starlette:
    """`memsvc mcp --transport http`: the MCP transport at /mcp (and /healthz), alone."""
    settings = container.settings
    limiter = RateLimiter(settings.auth.rate_per_s, settings.auth.rate_burst)
    transport = HttpTransport(lambda: container, settings, limiter)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with transport.running():
            yield

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route(PATH, transport), Route("/healthz", healthz)], lifespan=lifespan)


def _error(exc: MemsvcError) -> Response:
    body = {"error": {"type": type(exc).__name__, "message": exc.message}}
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def _loopback_request(headers: Headers) -> bool:
    host = headers.get("host", "")
    origin = headers.get("origin")
    return _loopback_host(host) and (origin is None or _loopback_host(origin.split("://")[-1]))


def _loopback_host(netloc: str) -> bool:
    host = netloc.rsplit(":", 1)[0] if not netloc.endswith("]") else netloc
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
