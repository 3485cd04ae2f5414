"""Routes for jobs, the entity graph and procedure feedback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from memsvc.api.deps import PrincipalDep, ServiceDep
from memsvc.api.routes import ERRORS

from memsvc import handlers
from memsvc.schemas import (
    EntityOut,
    Id,
    JobOut,
    JobRequest,
    Neighbourhood,
    OutcomeRequest,
    RevertOut,
    StatsOut,
    Unit,
)

router = APIRouter(responses=ERRORS)


@router.post("/v1/jobs", status_code=201, tags=["jobs"])
def create_job(body: JobRequest, svc: ServiceDep, who: PrincipalDep) -> JobOut:
    return handlers.create_job(svc, who, body)


@router.get("/v1/jobs", tags=["jobs"])
def list_jobs(
    svc: ServiceDep,
    who: PrincipalDep,
    kind: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[JobOut]:
    return handlers.list_jobs(svc, who, kind, status, limit)


@router.get("/v1/jobs/{job_id}", tags=["jobs"])
def get_job(job_id: str, svc: ServiceDep, who: PrincipalDep) -> JobOut:
    return handlers.get_job(svc, who, job_id)


@router.post("/v1/jobs/{job_id}/cancel", tags=["jobs"])
def cancel_job(job_id: str, svc: ServiceDep, who: PrincipalDep) -> JobOut:
    return handlers.cancel_job(svc, who, job_id)


@router.post("/v1/jobs/{job_id}/revert", tags=["jobs"])
def revert_job(job_id: str, svc: ServiceDep, who: PrincipalDep) -> RevertOut:
    """Undo a finished consolidate, compress or forget job exactly; 409 if it cannot be."""
    return handlers.revert_job(svc, who, job_id)


@router.get("/v1/stats", tags=["jobs"])
def stats(
    svc: ServiceDep, who: PrincipalDep, user_id: Id | None = None, agent_id: Id | None = None
) -> StatsOut:
    """Memory health of a scope: counts, duplicate rate, shares, the last job of each kind."""
    return handlers.stats(svc, who, user_id, agent_id)


@router.get("/v1/graph/entities", tags=["graph"])
def entities(
    svc: ServiceDep,
    who: PrincipalDep,
    user_id: Id | None = None,
    name: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Unit]:
    return handlers.entities(svc, who, user_id, name, limit)


@router.get("/v1/graph/entities/{entity_id}", tags=["graph"])
def entity(entity_id: str, svc: ServiceDep, who: PrincipalDep) -> EntityOut:
    return handlers.entity(svc, who, entity_id)


@router.get("/v1/graph/neighbors", tags=["graph"])
def neighbors(
    entity_id: str,
    svc: ServiceDep,
    who: PrincipalDep,
    depth: Annotated[int, Query(ge=1, le=4)] = 1,
) -> Neighbourhood:
    return handlers.neighbours(svc, who, entity_id, depth)


@router.post("/v1/procedures/{procedure_id}/outcome", tags=["procedures"])
def outcome(procedure_id: str, body: OutcomeRequest, svc: ServiceDep, who: PrincipalDep) -> Unit:
    return handlers.record_outcome(svc, who, procedure_id, body)
