"""Memories: add, search, list, read, change, delete, history and provenance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from memsvc.api.deps import PrincipalDep, ServiceDep

from memsvc import handlers
from memsvc.handlers import ListParams
from memsvc.schemas import (
    AddRequest,
    AddResult,
    DeleteResult,
    HistoryEntry,
    Provenance,
    SearchRequest,
    SearchResult,
    Unit,
    UnitPage,
    UpdateRequest,
)

router = APIRouter(tags=["memories"])
MemoryId = Annotated[str, "memory id"]


@router.post("/v1/memories", status_code=201)
def add(body: AddRequest, svc: ServiceDep, who: PrincipalDep) -> AddResult:
    return handlers.add(svc, who, body)


@router.post("/v1/memories/search")
def search(body: SearchRequest, svc: ServiceDep, who: PrincipalDep) -> SearchResult:
    return handlers.search(svc, who, body)


@router.get("/v1/memories")
def list_memories(
    params: Annotated[ListParams, Query()], svc: ServiceDep, who: PrincipalDep
) -> UnitPage:
    return handlers.list_units(svc, who, params)


@router.get("/v1/memories/{memory_id}")
def get(memory_id: MemoryId, svc: ServiceDep, who: PrincipalDep) -> Unit:
    return handlers.get(svc, who, memory_id)


@router.patch("/v1/memories/{memory_id}")
def update(memory_id: MemoryId, body: UpdateRequest, svc: ServiceDep, who: PrincipalDep) -> Unit:
    return handlers.update(svc, who, memory_id, body)


@router.delete("/v1/memories/{memory_id}")
def delete(
    memory_id: MemoryId,
    svc: ServiceDep,
    who: PrincipalDep,
    hard: bool = False,
    cascade: bool = False,
) -> DeleteResult:
    return handlers.delete(svc, who, memory_id, hard, cascade)


@router.get("/v1/memories/{memory_id}/history")
def history(memory_id: MemoryId, svc: ServiceDep, who: PrincipalDep) -> list[HistoryEntry]:
    return handlers.history(svc, who, memory_id)


@router.get("/v1/memories/{memory_id}/provenance")
def provenance(
    memory_id: MemoryId,
    svc: ServiceDep,
    who: PrincipalDep,
    depth: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Provenance:
    return handlers.provenance(svc, who, memory_id, depth)
