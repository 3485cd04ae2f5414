"""Administration (admin role only): API keys of the caller's tenant, and purges."""

from __future__ import annotations

from fastapi import APIRouter
from memsvc.api.deps import PrincipalDep, ServiceDep

from memsvc import handlers
from memsvc.domain import Scope
from memsvc.schemas import Id
from memsvc.schemas.admin import KeyCreated, KeyOut, KeyRequest, PurgeOut, SourceRequest

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


@router.delete("/v1/users/{user_id}")
def purge_user(user_id: str, svc: ServiceDep, who: PrincipalDep) -> PurgeOut:
    """Forget a user: every memory, vector, lexical entry, graph edge, summary, history entry
    and job of the user is removed (one transaction; the files are scrubbed after it)."""
    return handlers.purge_scope(svc, who, Scope(who.tenant_id, user_id=user_id))


@router.delete("/v1/agents/{agent_id}")
def purge_agent(agent_id: str, svc: ServiceDep, who: PrincipalDep) -> PurgeOut:
    """Forget an agent's memories, as for a user."""
    return handlers.purge_scope(svc, who, Scope(who.tenant_id, agent_id=agent_id))


@router.delete("/v1/sessions/{session_id}")
def purge_session(
    session_id: str, svc: ServiceDep, who: PrincipalDep, user_id: Id | None = None
) -> PurgeOut:
    """Forget a session (of `user_id`, when given), and what was derived only from it."""
    return handlers.purge_scope(svc, who, Scope(who.tenant_id, user_id, None, session_id))


@router.post("/v1/purge/by-source")
def purge_by_source(body: SourceRequest, svc: ServiceDep, who: PrincipalDep) -> PurgeOut:
    """Purge one source (a poisoned session, everything one key wrote) and what was derived
    only from it; memories that also had other sources are recomputed."""
    return handlers.purge_source(svc, who, body)
