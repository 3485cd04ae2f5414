"""What the memory inspector (/ui) reads beyond the memory API: scopes, and a job's changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from memsvc.api.deps import PrincipalDep, ServiceDep

from memsvc import inspection
from memsvc.inspection import ScopeOut
from memsvc.schemas import HistoryEntry, limit

router = APIRouter()
Limit = Annotated[int, Query(ge=1, json_schema_extra=limit("max_page"))]


@router.get("/v1/scopes", tags=["scopes"])
def list_scopes(svc: ServiceDep, who: PrincipalDep, limit: Limit = 200) -> list[ScopeOut]:
    """Users and agents of your tenant (or of your key's user or agent) with their counts and
    last activity, most recently active first."""
    return inspection.list_scopes(svc, who, limit)


@router.get("/v1/jobs/{job_id}/changes", tags=["jobs"])
def job_changes(job_id: str, svc: ServiceDep, who: PrincipalDep) -> list[HistoryEntry]:
    """What a job changed: one history row per memory it merged, superseded, archived,
    purged or summarised (and its revert, if any), oldest first."""
    return inspection.job_changes(svc, who, job_id)
