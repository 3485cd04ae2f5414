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
    EntityOut,
    GranularityName,
    HistoryEntry,
    Id,
    JobOut,
    JobRequest,
    Neighbourhood,
    OutcomeRequest,
    Provenance,
    RevertOut,
    SearchRequest,
    SearchResult,
    StatsOut,
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


def create_job(svc: MemoryService, who: Principal, body: JobRequest) -> JobOut:
    job = svc.create_job(body.scope(who.tenant_id), body.kind, body.params, body.dry_run)
    return JobOut.from_domain(job)


def list_jobs(
    svc: MemoryService, who: Principal, kind: str | None, status: str | None, limit: int
) -> list[JobOut]:
    return [JobOut.from_domain(j) for j in svc.jobs.list(who.tenant_id, kind, status, limit)]


def get_job(svc: MemoryService, who: Principal, job_id: str) -> JobOut:
    return JobOut.from_domain(svc.jobs.get(who.tenant_id, job_id))


def cancel_job(svc: MemoryService, who: Principal, job_id: str) -> JobOut:
    return JobOut.from_domain(svc.jobs.cancel(who.tenant_id, job_id))


def revert_job(svc: MemoryService, who: Principal, job_id: str) -> RevertOut:
    result = svc.revert_job(who.tenant_id, job_id, who.key_id)
    return RevertOut(
        job=JobOut.from_domain(result.job), restored=result.restored, removed=result.removed
    )


def stats(
    svc: MemoryService, who: Principal, user_id: str | None, agent_id: str | None
) -> StatsOut:
    return StatsOut.from_domain(svc.stats(d.Scope(who.tenant_id, user_id, agent_id)))


def entities(
    svc: MemoryService, who: Principal, user_id: str | None, name: str | None, limit: int
) -> list[Unit]:
    scope = d.Scope(who.tenant_id, user_id)
    return [Unit.from_domain(e) for e in svc.graph.entities(scope, name, limit)]


def entity(svc: MemoryService, who: Principal, entity_id: str) -> EntityOut:
    view = svc.graph.entity(who.tenant_id, entity_id)
    return EntityOut(
        entity=Unit.from_domain(view.entity),
        outgoing=[Unit.from_domain(u) for u in view.outgoing],
        incoming=[Unit.from_domain(u) for u in view.incoming],
    )


def neighbours(svc: MemoryService, who: Principal, entity_id: str, depth: int) -> Neighbourhood:
    found = svc.graph.neighbours(who.tenant_id, entity_id, depth)
    return Neighbourhood(
        entities=[Unit.from_domain(u) for u in found.entities],
        relations=[Unit.from_domain(u) for u in found.relations],
    )


def record_outcome(
    svc: MemoryService, who: Principal, procedure_id: str, body: OutcomeRequest
) -> Unit:
    unit = svc.graph.record_outcome(
        who.tenant_id, procedure_id, body.outcome, body.notes, who.key_id
    )
    return Unit.from_domain(unit)
