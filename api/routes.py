"""REST routes: validate, call one handler over the service facade, return a public model."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from memsvc.api.deps import ContainerDep, PrincipalDep, ServiceDep
from memsvc.stores.migrate import current_revision, head_revision
from sqlalchemy import text

from memsvc import handlers
from memsvc.domain.errors import UnavailableError
from memsvc.handlers import ListParams
from memsvc.schemas import (
    AddRequest,
    AddResult,
    DeleteResult,
    ErrorResponse,
    HistoryEntry,
    Provenance,
    SearchRequest,
    SearchResult,
    Unit,
    UnitPage,
    UpdateRequest,
)

ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorResponse} for s in (401, 404, 409, 413, 422)
}
router = APIRouter(responses=ERRORS)
MemoryId = Annotated[str, "memory id"]


@router.post("/v1/memories", status_code=201, tags=["memories"])
def add(body: AddRequest, svc: ServiceDep, who: PrincipalDep) -> AddResult:
    return handlers.add(svc, who, body)


@router.post("/v1/memories/search", tags=["memories"])
def search(body: SearchRequest, svc: ServiceDep, who: PrincipalDep) -> SearchResult:
    return handlers.search(svc, who, body)


@router.get("/v1/memories", tags=["memories"])
def list_memories(
    params: Annotated[ListParams, Query()], svc: ServiceDep, who: PrincipalDep
) -> UnitPage:
    return handlers.list_units(svc, who, params)


@router.get("/v1/memories/{memory_id}", tags=["memories"])
def get(memory_id: MemoryId, svc: ServiceDep, who: PrincipalDep) -> Unit:
    return handlers.get(svc, who, memory_id)


@router.patch("/v1/memories/{memory_id}", tags=["memories"])
def update(memory_id: MemoryId, body: UpdateRequest, svc: ServiceDep, who: PrincipalDep) -> Unit:
    return handlers.update(svc, who, memory_id, body)


@router.delete("/v1/memories/{memory_id}", tags=["memories"])
def delete(
    memory_id: MemoryId,
    svc: ServiceDep,
    who: PrincipalDep,
    hard: bool = False,
    cascade: bool = False,
) -> DeleteResult:
    return handlers.delete(svc, who, memory_id, hard, cascade)


@router.get("/v1/memories/{memory_id}/history", tags=["memories"])
def history(memory_id: MemoryId, svc: ServiceDep, who: PrincipalDep) -> list[HistoryEntry]:
    return handlers.history(svc, who, memory_id)


@router.get("/v1/memories/{memory_id}/provenance", tags=["memories"])
def provenance(
    memory_id: MemoryId,
    svc: ServiceDep,
    who: PrincipalDep,
    depth: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Provenance:
    return handlers.provenance(svc, who, memory_id, depth)


@router.get("/healthz", tags=["ops"])
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", tags=["ops"])
def readyz(box: ContainerDep) -> dict[str, str]:
    """Readiness: the database answers and its schema is at the code's revision."""
    try:
        with box.read_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current, head = current_revision(box.read_engine), head_revision(box.read_engine)
    except Exception as exc:  # any failure here means "not ready", with the reason
        raise UnavailableError(f"database not ready: {exc}") from exc
    if current != head:
        raise UnavailableError(f"schema at revision {current}, code expects {head}")
    return {"status": "ready", "schema": str(current), "embedder": box.embedder.name}
