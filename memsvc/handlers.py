"""Request handlers shared by the REST routes and the embedded `memsvc.Memory`: each turns a
public request model into a domain call on `MemoryService` and the result into a public model.
One handler per operation, so HTTP and in-process callers get identical behaviour."""

from __future__ import annotations

from pydantic import BaseModel, Field

from memsvc import domain as d
from memsvc.domain.auth import NewKey, Principal
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
    Time,
    Unit,
    UnitPage,
    UpdateRequest,
    limit,
)
from memsvc.schemas.admin import KeyCreated, KeyOut, KeyRequest, PurgeOut, SourceRequest
from memsvc.service import MemoryService


class ListParams(BaseModel):
    user_id: Id | None = None
    agent_id: Id | None = None
    session_id: Id | None = None
    granularities: list[GranularityName] | None = None
    statuses: list[StatusName] | None = Field(None, description="Default: active only.")
    cursor: str | None = None
    limit: int = Field(50, ge=1, json_schema_extra=limit("max_page"))
    occurred_from: Time | None = Field(None, description="Only units that occurred at/after.")
    occurred_to: Time | None = Field(None, description="Only units that occurred before.")
    valid_at: Time | None = Field(None, description="Only units valid at this time (as-of).")


def add(svc: MemoryService, who: Principal, body: AddRequest) -> AddResult:
    who.require("writer")
    return AddResult.from_domain(svc.add(body.to_command(who)))


def search(svc: MemoryService, who: Principal, body: SearchRequest) -> SearchResult:
    return SearchResult.from_domain(svc.search(body.to_query(who)))


def get(svc: MemoryService, who: Principal, unit_id: str) -> Unit:
    return Unit.from_domain(svc.get(who.tenancy, unit_id))


def list_units(svc: MemoryService, who: Principal, params: ListParams) -> UnitPage:
    query = d.ListQuery(
        scope=who.scope(params.user_id, params.agent_id, params.session_id),
        granularities=tuple(d.Granularity(g) for g in params.granularities)
        if params.granularities
        else None,
        statuses=tuple(d.Status(s) for s in params.statuses)
        if params.statuses
        else (d.Status.ACTIVE,),
        cursor=params.cursor,
        limit=params.limit,
        occurred_from=params.occurred_from,
        occurred_to=params.occurred_to,
        valid_at=params.valid_at,
    )
    return UnitPage.from_domain(svc.list(query))


def update(svc: MemoryService, who: Principal, unit_id: str, body: UpdateRequest) -> Unit:
    who.require("writer")
    return Unit.from_domain(svc.update(who.tenancy, unit_id, body.to_command(who.key_id)))


def delete(
    svc: MemoryService, who: Principal, unit_id: str, hard: bool, cascade: bool
) -> DeleteResult:
    who.require("writer")
    result = svc.delete(who.tenancy, unit_id, hard=hard, cascade=cascade, actor=who.key_id)
    return DeleteResult(deleted=result.deleted, hard=result.hard)


def history(svc: MemoryService, who: Principal, unit_id: str) -> list[HistoryEntry]:
    return [HistoryEntry.from_domain(e) for e in svc.history(who.tenancy, unit_id)]


def provenance(svc: MemoryService, who: Principal, unit_id: str, depth: int) -> Provenance:
    return Provenance.from_domain(svc.provenance(who.tenancy, unit_id, depth))


def create_job(svc: MemoryService, who: Principal, body: JobRequest) -> JobOut:
    who.require("writer")
    scope = who.scope(body.user_id, body.agent_id, body.session_id)
    job = svc.create_job(scope, body.kind, body.params_dict(), body.dry_run)
    return JobOut.from_domain(job)


def list_jobs(
    svc: MemoryService, who: Principal, kind: str | None, status: str | None, limit: int
) -> list[JobOut]:
    return [JobOut.from_domain(j) for j in svc.list_jobs(who.tenancy, kind, status, limit)]


def get_job(svc: MemoryService, who: Principal, job_id: str) -> JobOut:
    return JobOut.from_domain(svc.get_job(who.tenancy, job_id))


def cancel_job(svc: MemoryService, who: Principal, job_id: str) -> JobOut:
    who.require("writer")
    return JobOut.from_domain(svc.cancel_job(who.tenancy, job_id))


def revert_job(svc: MemoryService, who: Principal, job_id: str) -> RevertOut:
    who.require("writer")
    result = svc.revert_job(who.tenancy, job_id, who.key_id)
    return RevertOut(
        job=JobOut.from_domain(result.job), restored=result.restored, removed=result.removed
    )


def stats(
    svc: MemoryService, who: Principal, user_id: str | None, agent_id: str | None
) -> StatsOut:
    return StatsOut.from_domain(svc.stats(who.scope(user_id, agent_id)))


def entities(
    svc: MemoryService, who: Principal, user_id: str | None, name: str | None, limit: int
) -> list[Unit]:
    scope = who.scope(user_id)
    return [Unit.from_domain(e) for e in svc.entities(scope, name, limit)]


def entity(svc: MemoryService, who: Principal, entity_id: str) -> EntityOut:
    view = svc.entity(who.tenancy, entity_id)
    return EntityOut(
        entity=Unit.from_domain(view.entity),
        outgoing=[Unit.from_domain(u) for u in view.outgoing],
        incoming=[Unit.from_domain(u) for u in view.incoming],
    )


def neighbours(svc: MemoryService, who: Principal, entity_id: str, depth: int) -> Neighbourhood:
    found = svc.neighbours(who.tenancy, entity_id, depth)
    return Neighbourhood(
        entities=[Unit.from_domain(u) for u in found.entities],
        relations=[Unit.from_domain(u) for u in found.relations],
    )


def record_outcome(
    svc: MemoryService, who: Principal, procedure_id: str, body: OutcomeRequest
) -> Unit:
    who.require("writer")
    unit = svc.record_outcome(who.tenancy, procedure_id, body.outcome, body.notes, who.key_id)
    return Unit.from_domain(unit)


def create_key(svc: MemoryService, who: Principal, body: KeyRequest) -> KeyCreated:
    who.require("admin")
    new = NewKey(who.tenant_id, body.role, body.name, body.user_id, body.agent_id)
    key, secret = svc.create_key(new)
    return KeyCreated(key=KeyOut.model_validate(key, from_attributes=True), secret=secret)


def list_keys(svc: MemoryService, who: Principal) -> list[KeyOut]:
    who.require("admin")
    return [KeyOut.model_validate(k, from_attributes=True) for k in svc.list_keys(who.tenant_id)]


def revoke_key(svc: MemoryService, who: Principal, key_id: str) -> KeyOut:
    who.require("admin")
    return KeyOut.model_validate(svc.revoke_key(who.tenant_id, key_id), from_attributes=True)


def purge_scope(svc: MemoryService, who: Principal, scope: d.Scope) -> PurgeOut:
    who.require("admin")
    return PurgeOut.model_validate(svc.purge_scope(scope, who.key_id).as_dict())


def purge_source(svc: MemoryService, who: Principal, body: SourceRequest) -> PurgeOut:
    who.require("admin")
    source = d.SourceFilter(body.session_id, body.user_id, body.key_id)
    return PurgeOut.model_validate(svc.purge_source(who.tenancy, source, who.key_id).as_dict())
