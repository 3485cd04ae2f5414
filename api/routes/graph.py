"""The entity graph of a scope, and procedure feedback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from memsvc.api.deps import PrincipalDep, ServiceDep

from memsvc import handlers
from memsvc.schemas import EntityOut, Id, Neighbourhood, OutcomeRequest, Unit, limit

router = APIRouter()
Limit = Annotated[int, Query(ge=1, json_schema_extra=limit("max_page"))]


@router.get("/v1/graph/entities", tags=["graph"])
def entities(
    svc: ServiceDep,
    who: PrincipalDep,
    user_id: Id | None = None,
    name: Id | None = None,
    limit: Limit = 100,
) -> list[Unit]:
    return handlers.entities(svc, who, user_id, name, limit)


@router.get("/v1/graph/entities/{entity_id}", tags=["graph"])
def entity(entity_id: str, svc: ServiceDep, who: PrincipalDep) -> EntityOut:
    return handlers.entity(svc, who, entity_id)


@router.get("/v1/graph/neighbors", tags=["graph"])
def neighbors(
    entity_id: Id,
    svc: ServiceDep,
    who: PrincipalDep,
    depth: Annotated[int, Query(ge=1, le=4)] = 1,
) -> Neighbourhood:
    return handlers.neighbours(svc, who, entity_id, depth)


@router.post("/v1/procedures/{procedure_id}/outcome", tags=["procedures"])
def record_outcome(
    procedure_id: str, body: OutcomeRequest, svc: ServiceDep, who: PrincipalDep
) -> Unit:
    return handlers.record_outcome(svc, who, procedure_id, body)
