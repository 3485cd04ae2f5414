"""Writing derived units: extraction candidates become facts, entities, relations and
procedures with provenance to their turns.

Idempotent: every derived unit has a dedupe key (scope + normalised identity), so extracting
the same session again, or hearing the same fact again later, extends the existing unit's
sources instead of duplicating it. A single-valued slot (subject + predicate, e.g. lives_in)
gets a new value by superseding the old one: the old unit keeps its text and history, gets
`valid_to` = the new `valid_from` and status `superseded`; unrelated facts are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from memsvc.operations import procedure_merge
from memsvc.operations.editing import index_unit, record
from memsvc.operations.extract.types import (
    MULTI_VALUED,
    EntityCandidate,
    ExtractionResult,
    FactCandidate,
    ProcedureCandidate,
    RelationCandidate,
)
from memsvc.operations.procedure_writes import ProcedureWriter, Vectors

from memsvc.domain import (
    Granularity,
    MemoryUnit,
    NotFoundError,
    Origin,
    Provenance,
    Scope,
    Status,
    new_id,
    utcnow,
)
from memsvc.domain.filters import UnitFilter
from memsvc.domain.keys import derived_key, norm
from memsvc.domain.ports import Embeddings, UnitOfWork
from memsvc.domain.units import content_hash


@dataclass(slots=True)
class Draft:
    """A unit to create, or to merge into the existing unit with the same key."""

    key: str
    unit: MemoryUnit
    slot: tuple[str, str] | None = None  # (subject, predicate) of a single-valued slot


@dataclass(slots=True)
class WriteCounts:
    created: dict[str, int] = field(default_factory=dict)
    merged: int = 0
    superseded: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"created": dict(self.created), "merged": self.merged, "superseded": self.superseded}


def _unit(
    scope: Scope,
    granularity: Granularity,
    content: str,
    result: ExtractionResult,
    sources: list[str],
    confidence: float,
    **fields: Any,
) -> MemoryUnit:
    return MemoryUnit(
        id=new_id(),
        scope=scope,
        granularity=granularity,
        content=content,
        provenance=Provenance(
            sources=list(dict.fromkeys(sources)),
            origin=Origin.EXTRACTION,
            producer=result.producer,
            confidence=confidence,
        ),
        **fields,
    )


def drafts(result: ExtractionResult, scope: Scope, times: dict[str, datetime]) -> list[Draft]:
    """Units for every candidate, keyed for idempotency. `times` maps turn id -> occurred_at."""
    scope = Scope(scope.tenant_id, scope.user_id, scope.agent_id, None)  # not session-bound
    return [
        *(_fact_draft(fact, result, scope, times) for fact in result.facts),
        *(_entity_draft(entity, result, scope, times) for entity in result.entities),
        *(_relation_draft(rel, result, scope, times) for rel in result.relations),
        *(_procedure_draft(proc, result, scope, times) for proc in result.procedures),
    ]


def _fact_draft(
    fact: FactCandidate, result: ExtractionResult, scope: Scope, times: dict[str, datetime]
) -> Draft:
    when = fact.occurred_at or _first_time(fact.source_turn_ids, times)
    unit = _unit(
        scope,
        Granularity.FACT,
        fact.text,
        result,
        fact.source_turn_ids,
        fact.confidence,
        occurred_at=when,
        valid_from=fact.valid_from or when,
        attributes={
            "subject": fact.subject,
            "predicate": fact.predicate,
            "object": fact.object,
            "kind": fact.kind,
            "rule": fact.rule,
        },
    )
    slot = (
        (norm(fact.subject), fact.predicate)
        if fact.predicate and fact.predicate not in MULTI_VALUED
        else None
    )
    return Draft(derived_key(scope, Granularity.FACT, norm(fact.text)), unit, slot)


def _entity_draft(
    entity: EntityCandidate, result: ExtractionResult, scope: Scope, times: dict[str, datetime]
) -> Draft:
    unit = _unit(
        scope,
        Granularity.ENTITY,
        entity.name,
        result,
        entity.source_turn_ids,
        entity.confidence,
        occurred_at=_first_time(entity.source_turn_ids, times),
        attributes={
            "name": entity.name,
            "type": entity.type,
            "aliases": sorted(set(entity.aliases)),
        },
    )
    return Draft(derived_key(scope, Granularity.ENTITY, norm(entity.name)), unit)


def _relation_draft(
    rel: RelationCandidate, result: ExtractionResult, scope: Scope, times: dict[str, datetime]
) -> Draft:
    label = rel.label.replace("_", " ")
    when = rel.valid_from or _first_time(rel.source_turn_ids, times)
    unit = _unit(
        scope,
        Granularity.RELATION,
        f"{rel.source} {label} {rel.target}",
        result,
        rel.source_turn_ids,
        rel.confidence,
        occurred_at=when,
        valid_from=when,
        attributes={"source": rel.source, "label": rel.label, "target": rel.target},
    )
    slot = (norm(rel.source), rel.label) if rel.label not in MULTI_VALUED else None
    key = derived_key(scope, Granularity.RELATION, norm(rel.source), rel.label, norm(rel.target))
    return Draft(key, unit, slot)


def _procedure_draft(
    proc: ProcedureCandidate, result: ExtractionResult, scope: Scope, times: dict[str, datetime]
) -> Draft:
    when = _first_time(proc.source_turn_ids, times)
    attributes = procedure_merge.from_candidate(proc, when.isoformat() if when else None)
    unit = _unit(
        scope,
        Granularity.PROCEDURE,
        procedure_merge.render(attributes),
        result,
        proc.source_turn_ids,
        proc.confidence,
        occurred_at=when,
        attributes=attributes,
    )
    return Draft(derived_key(scope, Granularity.PROCEDURE, norm(proc.goal)), unit)


class DerivedWriter:
    """Writes drafts into a unit of work (embedding first, outside the transaction).
    Procedures go through `ProcedureWriter`, which merges runs of one goal."""

    def __init__(self, embedder: Embeddings) -> None:
        self._embedder = embedder
        self.procedures = ProcedureWriter(embedder)

    def embed(self, tenant_id: str, items: list[Draft]) -> np.ndarray:
        texts = [_embedding_text(d.unit) for d in items]
        return self._embedder.for_tenant(tenant_id).embed_batch(texts)

    def prepare(self, uow: UnitOfWork, items: list[Draft]) -> Vectors:
        """Embeddings the write will need beyond the drafts' own (merged procedures' new
        texts); call in a read transaction before the write transaction opens."""
        return self.procedures.prepare(uow, items)

    def write(
        self,
        uow: UnitOfWork,
        items: list[Draft],
        vectors: np.ndarray,
        job_id: str | None = None,
        prepared: Vectors | None = None,
    ) -> WriteCounts:
        counts = WriteCounts()
        procedures = [
            (d, v) for d, v in zip(items, vectors) if d.unit.granularity is Granularity.PROCEDURE
        ]
        done = self.procedures.write(uow, procedures, job_id, prepared)
        if done.created:
            counts.created["procedure"] = done.created
        counts.merged += done.merged
        items_vectors = [
            (d, v)
            for d, v in zip(items, vectors)
            if d.unit.granularity is not Granularity.PROCEDURE
        ]
        existing = uow.units.by_dedupe_keys([d.key for d, _ in items_vectors])
        relations: list[MemoryUnit] = []
        for draft, vector in items_vectors:
            old = existing.get(draft.key)
            if old is not None and old.status is Status.SUPERSEDED and not _returns(old, draft):
                old = _keeper(uow, old)  # heard again: it belongs to the unit that absorbed it
            if old is not None and _returns(old, draft):
                # The value holds again after something replaced it (Boston, Denver, Boston):
                # a new interval, so a new unit keyed by when it starts.
                draft.key = content_hash(draft.key, _start(draft.unit).isoformat())
                old = uow.units.by_dedupe_keys([draft.key]).get(draft.key)
            if old is not None and old.granularity is Granularity.RELATION:
                relations.append(old)
            if old is not None:
                counts.merged += merge_into(uow, old, draft.unit, job_id)
                continue
            if draft.unit.granularity is Granularity.RELATION:
                relations.append(draft.unit)
            seq = uow.units.add(draft.unit, dedupe_key=draft.key)
            existing[draft.key] = draft.unit
            index_unit(uow, seq, draft.unit, vector)
            record(uow, draft.unit, "create", None, reason="extraction", job_id=job_id)
            name = str(draft.unit.granularity)
            counts.created[name] = counts.created.get(name, 0) + 1
            if draft.slot is not None:
                counts.superseded += supersede_slot(uow, draft.unit, draft.slot, job_id)
        _link_relations(uow, relations)
        return counts


def merge_into(
    uow: UnitOfWork,
    old: MemoryUnit,
    new: MemoryUnit,
    job_id: str | None,
    *,
    reason: str = "extraction: heard again",
) -> int:
    """Extend an existing unit with new sources (and aliases / outcomes); 1 if it changed."""
    sources = list(dict.fromkeys(old.provenance.sources + new.provenance.sources))
    attributes = dict(old.attributes)
    if old.granularity is Granularity.ENTITY:
        aliases = set(attributes.get("aliases", [])) | set(new.attributes.get("aliases", []))
        attributes["aliases"] = sorted(aliases)
    if sources == old.provenance.sources and attributes == old.attributes:
        return 0
    before = old.snapshot()
    old.provenance.sources = sources
    old.attributes = attributes
    old.version += 1
    old.updated_at = utcnow()
    uow.units.save(old)
    record(uow, old, "merge", before, reason=reason, job_id=job_id)
    return 1


def supersede_slot(
    uow: UnitOfWork, unit: MemoryUnit, slot: tuple[str, str], job_id: str | None
) -> int:
    """Close the other active values of the unit's single-valued slot. The newer value wins:
    if the unit itself is older than a current value (late ingest), the unit is closed."""
    subject, predicate = slot
    others = [
        u
        for u in uow.units.find(
            UnitFilter(
                user_id=unit.scope.user_id,
                agent_id=unit.scope.agent_id,
                granularities=(unit.granularity,),
            )
        )
        if u.id != unit.id and _slot_of(u) == slot and _value(u) != _value(unit)
    ]
    reason = f"slot {subject}/{predicate}"
    return sum(supersede_older(uow, unit, other, reason, job_id) for other in others)


def supersede_older(
    uow: UnitOfWork, unit: MemoryUnit, other: MemoryUnit, reason: str, job_id: str | None
) -> int:
    """Close the older of two conflicting units (by `valid_from`, else `occurred_at`): status
    superseded, `valid_to` = the newer one's start, history kept. 1 if a unit changed."""
    newer, older = (unit, other) if _start(unit) >= _start(other) else (other, unit)
    if older.status is not Status.ACTIVE:
        return 0
    before = older.snapshot()
    older.status = Status.SUPERSEDED
    older.superseded_by = newer.id
    started = newer.valid_from or newer.occurred_at
    older.valid_to = started if started is not None else utcnow()
    older.version += 1
    older.updated_at = utcnow()
    uow.units.save(older)
    record(
        uow, older, "supersede", before, reason=f"{reason}: new value in {newer.id}", job_id=job_id
    )
    return 1


def _keeper(uow: UnitOfWork, unit: MemoryUnit) -> MemoryUnit:
    """Follow `superseded_by` from a unit merged away as a duplicate to the unit that kept
    it (a unit closed by a newer slot value is its own keeper: it is history)."""
    seen = {unit.id}
    while unit.superseded_by and unit.valid_to is None and unit.superseded_by not in seen:
        try:
            unit = uow.units.get(unit.superseded_by)
        except NotFoundError:
            break
        seen.add(unit.id)
    return unit


def _returns(old: MemoryUnit, draft: Draft) -> bool:
    """A superseded slot value stated again after the value that replaced it started."""
    return (
        draft.slot is not None
        and old.status is Status.SUPERSEDED
        and old.valid_to is not None
        and _start(draft.unit) >= old.valid_to
    )


def _slot_of(unit: MemoryUnit) -> tuple[str, str] | None:
    a = unit.attributes
    if unit.granularity is Granularity.RELATION:
        return norm(str(a.get("source", ""))), str(a.get("label"))
    if a.get("predicate"):
        return norm(str(a.get("subject", ""))), str(a.get("predicate"))
    return None


def _value(unit: MemoryUnit) -> str:
    a = unit.attributes
    return norm(
        str(a.get("target") if unit.granularity is Granularity.RELATION else a.get("object"))
    )


def _start(unit: MemoryUnit) -> datetime:
    when = unit.valid_from or unit.occurred_at
    return when if when is not None else datetime.min.replace(tzinfo=unit.created_at.tzinfo)


def _link_relations(uow: UnitOfWork, relations: list[MemoryUnit]) -> None:
    """Point relations at their entity units (by normalised name or alias) when known."""
    if not relations:
        return
    entities = uow.units.find(
        UnitFilter(user_id=relations[0].scope.user_id, granularities=(Granularity.ENTITY,))
    )
    index = entity_index(entities)
    for rel in relations:
        a = rel.attributes
        source, target = index.get(norm(str(a["source"]))), index.get(norm(str(a["target"])))
        ids = {
            "source_id": source.id if source else None,
            "target_id": target.id if target else None,
        }
        if all(a.get(k) == v for k, v in ids.items()):
            continue
        stored = uow.units.get(rel.id)
        stored.attributes = {**stored.attributes, **ids}
        uow.units.save(stored)


def entity_index(entities: list[MemoryUnit]) -> dict[str, MemoryUnit]:
    """Normalised name and aliases -> entity unit."""
    index: dict[str, MemoryUnit] = {}
    for entity in entities:
        for name in [
            entity.attributes.get("name", entity.content),
            *entity.attributes.get("aliases", []),
        ]:
            index.setdefault(norm(str(name)), entity)
    return index


def _embedding_text(unit: MemoryUnit) -> str:
    if unit.granularity is Granularity.PROCEDURE:
        return procedure_merge.embedding_text(unit.attributes)
    return unit.content


def _first_time(turn_ids: list[str], times: dict[str, datetime]) -> datetime | None:
    found = [times[t] for t in turn_ids if t in times]
    return min(found) if found else None
