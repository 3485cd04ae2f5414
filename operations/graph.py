"""Reads over the scope's entity graph (entities and the relations between them), and the
feedback path of procedures (outcomes update their success/failure counts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from memsvc.operations.derive import norm
from memsvc.operations.procedure_writes import Feedback, ProcedureWriter

from memsvc.domain import Granularity, MemoryUnit, NotFoundError, Scope, UnavailableError
from memsvc.domain.auth import TenantRef
from memsvc.domain.filters import UnitFilter
from memsvc.domain.ports import UnitOfWorkFactory


@dataclass(slots=True)
class EntityView:
    entity: MemoryUnit
    outgoing: list[MemoryUnit]
    incoming: list[MemoryUnit]


@dataclass(slots=True)
class Neighbourhood:
    entities: list[MemoryUnit]
    relations: list[MemoryUnit]


class GraphService:
    def __init__(self, uow: UnitOfWorkFactory, procedures: ProcedureWriter | None = None) -> None:
        self._uow = uow
        self._procedures = procedures

    def entities(self, scope: Scope, name: str | None = None, limit: int = 100) -> list[MemoryUnit]:
        """The scope's entities, optionally those whose name or an alias contains `name`."""
        with self._uow(scope.tenant_id, write=False) as uow:
            found = uow.units.find(_filter(scope, Granularity.ENTITY))
        if name:
            wanted = norm(name)
            found = [e for e in found if any(wanted in norm(str(n)) for n in _names(e))]
        return found[:limit]

    def entity(self, tenant: TenantRef, entity_id: str) -> EntityView:
        with self._uow(tenant, write=False) as uow:
            entity = _entity(uow.units.get(entity_id))
            outgoing = uow.units.relations_of(entity_id, "source_id")
            incoming = uow.units.relations_of(entity_id, "target_id")
        return EntityView(entity, outgoing, incoming)

    def neighbours(self, tenant: TenantRef, entity_id: str, depth: int = 1) -> Neighbourhood:
        """Entities reachable over relations (either direction) within `depth` hops."""
        with self._uow(tenant, write=False) as uow:
            seen = {entity_id: _entity(uow.units.get(entity_id))}
            relations: dict[str, MemoryUnit] = {}
            frontier = {entity_id}
            for _ in range(depth):
                step: set[str] = set()
                for node in frontier:
                    for column in ("source_id", "target_id"):
                        for rel in uow.units.relations_of(node, column):
                            relations[rel.id] = rel
                            other = rel.attributes.get(
                                "target_id" if column == "source_id" else "source_id"
                            )
                            if other and other not in seen:
                                step.add(str(other))
                seen.update(uow.units.get_many(step))
                frontier = step
        return Neighbourhood(list(seen.values()), list(relations.values()))

    def record_outcome(
        self,
        tenant: TenantRef,
        procedure_id: str,
        outcome: Literal["success", "failure"],
        notes: str | None = None,
        actor: str | None = None,
    ) -> MemoryUnit:
        """Count one more success or failure of a procedure's recommended steps (a new
        version, with history); see `ProcedureWriter.feedback`."""
        if self._procedures is None:
            raise UnavailableError("procedure feedback is not configured in this service")
        report = Feedback(outcome, notes, actor)
        return self._procedures.feedback(self._uow, tenant, procedure_id, report)


def _filter(scope: Scope, granularity: Granularity) -> UnitFilter:
    return UnitFilter(user_id=scope.user_id, agent_id=scope.agent_id, granularities=(granularity,))


def _entity(unit: MemoryUnit) -> MemoryUnit:
    if unit.granularity is not Granularity.ENTITY:
        raise NotFoundError(
            f"no entity with id {unit.id!r} (it is a {unit.granularity})", field="id"
        )
    return unit


def _names(entity: MemoryUnit) -> list[str]:
    return [entity.attributes.get("name", entity.content), *entity.attributes.get("aliases", [])]
