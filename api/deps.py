"""FastAPI dependencies: the service facade and the calling principal (API key -> tenant)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from memsvc.bootstrap import Container
from memsvc.domain.errors import AuthError
from memsvc.handlers import Principal
from memsvc.service import MemoryService


def container(request: Request) -> Container:
    return request.app.state.container


def service(request: Request) -> MemoryService:
    return container(request).service


def principal(request: Request) -> Principal:
    """The tenant of the request's API key. With no active keys at all the server is in
    single-tenant dev mode (it then only listens on loopback; see `memsvc serve`)."""
    box = container(request)
    raw = _raw_key(request)
    if raw:
        key = box.keys.resolve(raw)
        if key is None:
            raise AuthError("unknown or revoked API key")
        return Principal(key.tenant_id, key.id, key.role)
    if box.keys.any_active():
        raise AuthError("missing API key: send 'Authorization: Bearer <key>'")
    return Principal(box.settings.default_tenant, None, "admin")


def _raw_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.headers.get("x-api-key") or None


ServiceDep = Annotated[MemoryService, Depends(service)]
PrincipalDep = Annotated[Principal, Depends(principal)]
ContainerDep = Annotated[Container, Depends(container)]
