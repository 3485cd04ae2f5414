"""Request handlers shared by the REST routes and the embedded `memsvc.Memory`: each turns a
public request model into a domain call on `MemoryService` and the result into a public model.
One handler per operation, so HTTP and in-process callers get identical behaviour."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from memsvc import domain as d
from memsvc.schemas import (
    AddRequest,
    AddResult,
    DeleteResult,
    GranularityName,
    HistoryEntry,
    Id,
    Provenance,
    SearchRequest,
    SearchResult,
    StatusName,
    Unit,
    UnitPage,
    UpdateRequest,
)
from memsvc.service import MemoryService


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the tenant every store query is scoped to, and the key (the actor)."""

    tenant_id: str
    key_id: str | None = None
    role: str = "admin"


class ListParams(BaseModel):
    user_id: Id | None = None
    agent_id: Id | None = None
    session_id: Id | None = None
    granularities: list[GranularityName] | None = None
    statuses: list[StatusName] | None = Field(None, description="Default: active only.")
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=1000)


def add(svc: MemoryService, who: Principal, body: AddRequest) -> AddResult:
    return AddResult.from_domain(svc.add(body.to_command(who.tenant_id, who.key_id)))


def search(svc: MemoryService, who: Principal, body: SearchRequest) -> SearchResult:
    return SearchResult.from_domain(svc.search(body.to_query(who.tenant_id)))


def get(svc: MemoryService, who: Principal, unit_id: str) -> Unit:
    return Unit.from_domain(svc.get(who.tenant_id, unit_id))


def list_units(svc: MemoryService, who: Principal, params: ListParams) -> UnitPage:
    query = d.ListQuery(
        scope=d.Scope(who.tenant_id, params.user_id, params.agent_id, params.session_id),
        granularities=tuple(d.Granularity(g) for g in params.granularities)
        if params.granularities
        else None,
        statuses=tuple(d.Status(s) for s in params.statuses)
        if params.statuses
        else (d.Status.ACTIVE,),
        cursor=params.cursor,
        limit=params.limit,
    )
    return UnitPage.from_domain(svc.list(query))


def update(svc: MemoryService, who: Principal, unit_id: str, body: UpdateRequest) -> Unit:
    return Unit.from_domain(svc.update(who.tenant_id, unit_id, body.to_command(who.key_id)))


def delete(
    svc: MemoryService, who: Principal, unit_id: str, hard: bool, cascade: bool
) -> DeleteResult:
    result = svc.delete(who.tenant_id, unit_id, hard=hard, cascade=cascade, actor=who.key_id)
    return DeleteResult(deleted=result.deleted, hard=result.hard)


def history(svc: MemoryService, who: Principal, unit_id: str) -> list[HistoryEntry]:
    return [HistoryEntry.from_domain(e) for e in svc.history(who.tenant_id, unit_id)]


def provenance(svc: MemoryService, who: Principal, unit_id: str, depth: int) -> Provenance:
    return Provenance.from_domain(svc.provenance(who.tenant_id, unit_id, depth))
