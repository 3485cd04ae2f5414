"""Entity aliases: entities whose names are aliases of each other are one entity.

"Mel" with the alias "Melanie" and an entity named "Melanie" are merged into the one with the
most evidence (then the oldest); it takes the other's name and aliases as aliases and its
sources, and every active relation that pointed at the other now points at it. Entities of
different types ("Paris" the place, "Paris" the person) are never merged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from memsvc.operations.derive import norm
from memsvc.operations.editing import record
from memsvc.operations.lifecycle.common import touch

from memsvc.domain import MemoryUnit, Status
from memsvc.domain.ports import UnitOfWork

REASON = "consolidate"
UNTYPED = "other"


def names(entity: MemoryUnit) -> set[str]:
    a = entity.attributes
    found = {norm(str(a.get("name") or entity.content))}
    found.update(norm(str(alias)) for alias in a.get("aliases", []))
    return {n for n in found if n}


def _name(entity: MemoryUnit) -> str:
    return norm(str(entity.attributes.get("name") or entity.content))


def _compatible(a: MemoryUnit, b: MemoryUnit) -> bool:
    ta, tb = a.attributes.get("type", UNTYPED), b.attributes.get("type", UNTYPED)
    return ta == tb or UNTYPED in (ta, tb)


def alias_groups(entities: Sequence[MemoryUnit]) -> list[list[MemoryUnit]]:
    """Groups of entities linked by a name that is the other's name or alias; the survivor
    (most sources, then oldest) first."""
    parent = list(range(len(entities)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_name: dict[str, list[int]] = {}
    for i, entity in enumerate(entities):
        for name in names(entity):
            by_name.setdefault(name, []).append(i)
    for i, entity in enumerate(entities):
        for j in by_name.get(_name(entity), []):
            if j != i and _compatible(entity, entities[j]):
                parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(entities)):
        groups.setdefault(find(i), []).append(i)
    out = []
    for members in groups.values():
        if len(members) > 1:
            ranked = sorted(members, key=lambda i: (-len(entities[i].provenance.sources), i))
            out.append([entities[i] for i in ranked])
    return out


def merge_entities(
    uow: UnitOfWork, survivor: MemoryUnit, losers: list[MemoryUnit], job_id: str
) -> int:
    """Fold `losers` into `survivor` and re-point their relations; returns relations moved."""
    before = touch(survivor)
    own = _name(survivor)
    aliases = {str(a) for a in survivor.attributes.get("aliases", [])}
    sources = list(survivor.provenance.sources)
    for loser in losers:
        a = loser.attributes
        aliases.update([str(a.get("name") or loser.content), *map(str, a.get("aliases", []))])
        sources.extend(loser.provenance.sources)
    survivor.attributes = {
        **survivor.attributes,
        "aliases": sorted({a for a in aliases if norm(a) and norm(a) != own}),
    }
    survivor.provenance.sources = list(dict.fromkeys(sources))
    uow.units.save(survivor)
    record(uow, survivor, "merge", before, reason=REASON, job_id=job_id)
    moved = 0
    for loser in losers:
        supersede(uow, loser, survivor.id, job_id)
        moved += _repoint(uow, loser.id, survivor.id, job_id)
    return moved


def supersede(uow: UnitOfWork, unit: MemoryUnit, by: str, job_id: str) -> None:
    before = touch(unit)
    unit.status = Status.SUPERSEDED
    unit.superseded_by = by
    uow.units.save(unit)
    record(uow, unit, "supersede", before, reason=REASON, job_id=job_id)


def _repoint(uow: UnitOfWork, old: str, new: str, job_id: str) -> int:
    """Point every active relation that ends at `old` at `new` instead."""
    moved: dict[str, tuple[MemoryUnit, dict[str, Any]]] = {}
    for end in ("source_id", "target_id"):
        for found in uow.units.relations_of(old, end):
            relation, before = moved.get(found.id) or (found, touch(found))
            relation.attributes = {**relation.attributes, end: new}
            moved[relation.id] = (relation, before)
    for relation, before in moved.values():
        uow.units.save(relation)
        record(uow, relation, "repoint", before, reason=REASON, job_id=job_id)
    return len(moved)
