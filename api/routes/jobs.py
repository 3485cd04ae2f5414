"""Lifecycle jobs and the memory health of a scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from memsvc.api.deps import PrincipalDep, ServiceDep

from memsvc import handlers
from memsvc.schemas import Id, JobOut, JobRequest, RevertOut, StatsOut, limit

router = APIRouter(tags=["jobs"])
Limit = Annotated[int, Query(ge=1, json_schema_extra=limit("max_page"))]


@router.post("/v1/jobs", status_code=201)
def create_job(body: JobRequest, svc: ServiceDep, who: PrincipalDep) -> JobOut:
    return handlers.create_job(svc, who, body)


@router.get("/v1/jobs")
def list_jobs(
    svc: ServiceDep,
    who: PrincipalDep,
    kind: Id | None = None,
    status: Id | None = None,
    limit: Limit = 50,
) -> list[JobOut]:
    return handlers.list_jobs(svc, who, kind, status, limit)


@router.get("/v1/jobs/{job_id}")
def get_job(job_id: str, svc: ServiceDep, who: PrincipalDep) -> JobOut:
    return handlers.get_job(svc, who, job_id)


@router.post("/v1/jobs/{job_id}/cancel")
def cancel_job(job_id: str, svc: ServiceDep, who: PrincipalDep) -> JobOut:
    return handlers.cancel_job(svc, who, job_id)


@router.post("/v1/jobs/{job_id}/revert")
def revert_job(job_id: str, svc: ServiceDep, who: PrincipalDep) -> RevertOut:
    """Undo a finished consolidate, compress or forget job exactly; 409 if it cannot be."""
    return handlers.revert_job(svc, who, job_id)


@router.get("/v1/stats")
def stats(
    svc: ServiceDep, who: PrincipalDep, user_id: Id | None = None, agent_id: Id | None = None
) -> StatsOut:
    """Memory health of a scope: counts, duplicate rate, shares, the last job of each kind."""
    return handlers.stats(svc, who, user_id, agent_id)
