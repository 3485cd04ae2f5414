"""Mapping between ORM rows and domain units (rows never leave `memsvc.stores`)."""

from __future__ import annotations

from typing import Any

from memsvc.stores.tables import UnitRow

from memsvc.domain import Granularity, MemoryUnit, Origin, Provenance, Scope, Status


def to_unit(row: UnitRow | Any) -> MemoryUnit:
    """A domain unit from an ORM row or a Core row of `memory_units` (same attribute names)."""
    return MemoryUnit(
        id=row.id,
        scope=Scope(row.tenant_id, row.user_id, row.agent_id, row.session_id),
        granularity=Granularity(row.granularity),
        content=row.content,
        attributes=dict(row.attributes or {}),
        occurred_at=row.occurred_at,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_accessed_at=row.last_accessed_at,
        access_count=row.access_count,
        status=Status(row.status),
        importance=row.importance,
        strength=row.strength,
        pinned=row.pinned,
        version=row.version,
        superseded_by=row.superseded_by,
        provenance=Provenance(
            sources=list(row.sources or []),
            origin=Origin(row.origin),
            producer=row.producer,
            confidence=row.confidence,
            actor=row.actor,
        ),
    )


def new_row(unit: MemoryUnit, dedupe_key: str | None) -> UnitRow:
    return UnitRow(**row_values(unit, dedupe_key))


def row_values(unit: MemoryUnit, dedupe_key: str | None) -> dict[str, Any]:
    """The column values of a new row for `unit` (for ORM objects and bulk inserts alike)."""
    return {
        "id": unit.id,
        "tenant_id": unit.scope.tenant_id,
        "user_id": unit.scope.user_id,
        "agent_id": unit.scope.agent_id,
        "session_id": unit.scope.session_id,
        "kind": unit.kind.value,
        "granularity": unit.granularity.value,
        "created_at": unit.created_at,
        "dedupe_key": dedupe_key,
        **mutable_values(unit),
    }


def mutable_values(unit: MemoryUnit) -> dict[str, Any]:
    """The column values of every field that may change after creation."""
    p = unit.provenance
    return {
        "content": unit.content,
        "attributes": dict(unit.attributes),
        "occurred_at": unit.occurred_at,
        "valid_from": unit.valid_from,
        "valid_to": unit.valid_to,
        "updated_at": unit.updated_at,
        "last_accessed_at": unit.last_accessed_at,
        "access_count": unit.access_count,
        "status": unit.status.value,
        "importance": unit.importance,
        "strength": unit.strength,
        "pinned": unit.pinned,
        "version": unit.version,
        "superseded_by": unit.superseded_by,
        "origin": p.origin.value,
        "producer": p.producer,
        "confidence": p.confidence,
        "actor": p.actor,
        "sources": list(p.sources),
    }


def copy_mutable(unit: MemoryUnit, row: UnitRow) -> None:
    """Copy every field that may change after creation from the unit onto the row."""
    for name, value in mutable_values(unit).items():
        setattr(row, name, value)
