"""FastAPI dependencies: the service facade and the calling principal (API key -> tenant).
Every route depends on `principal`, which also spends the key's rate-limit token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from memsvc.api.ratelimit import RateLimiter

from memsvc.domain.auth import Principal
from memsvc.service import MemoryService

# The two ways to send a key; declared so the OpenAPI schema says that routes need one.
# Neither refuses a request itself: `authenticate` decides (dev mode needs no key).
BEARER = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <secret>`.")
HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]
Header = Annotated[str | None, Security(HEADER)]


def service(request: Request) -> MemoryService:
    return request.app.state.container.service


def principal(request: Request, _bearer: Bearer, _header: Header) -> Principal:
    """Who calls: the principal of the request's API key (dev mode: the default tenant's
    admin, decided once at start), within its rate limit. (`_bearer` and `_header` put the
    two ways of sending a key in the schema; `raw_key` reads the key, for MCP too.)"""
    who = service(request).authenticate(raw_key(request))
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.spend(who.key_id or "dev")
    request.state.tenant_id = who.tenant_id  # for the request log
    return who


def raw_key(request: Request) -> str | None:
    """The API key a request carries: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.headers.get("x-api-key") or None


ServiceDep = Annotated[MemoryService, Depends(service)]
PrincipalDep = Annotated[Principal, Depends(principal)]
