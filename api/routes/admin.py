"""Administration: API keys of the caller's tenant (admin role only)."""

from __future__ import annotations

from fastapi import APIRouter
from memsvc.api.deps import PrincipalDep, ServiceDep

from memsvc import handlers
from memsvc.schemas.admin import KeyCreated, KeyOut, KeyRequest

router = APIRouter(tags=["admin"])


@router.post("/v1/keys", status_code=201)
def create_key(body: KeyRequest, svc: ServiceDep, who: PrincipalDep) -> KeyCreated:
    """Create a key of this tenant; its secret is in this response only."""
    return handlers.create_key(svc, who, body)


@router.get("/v1/keys")
def list_keys(svc: ServiceDep, who: PrincipalDep) -> list[KeyOut]:
    return handlers.list_keys(svc, who)


@router.delete("/v1/keys/{key_id}")
def revoke_key(key_id: str, svc: ServiceDep, who: PrincipalDep) -> KeyOut:
    """Revoke a key of this tenant; it stops working at once."""
    return handlers.revoke_key(svc, who, key_id)
