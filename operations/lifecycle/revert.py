"""Undo one lifecycle job exactly, from its history entries.

Every unit a job changed has history entries carrying the job's id; the first one's `before`
is the unit as it was before the job. Revert writes that state back (the version moves on:
history is append-only), re-indexes what changed text, and removes the units the job created.
It runs in one transaction: all of the job is undone, or nothing.

It refuses (409) when the job is not finished, was already reverted, purged something (a purge
keeps no text to restore), or when a unit changed after the job (reverting would silently undo
a later change: revert the later job, or edit by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from memsvc.operations.editing import index_unit, record, unindex
from memsvc.operations.ingest import refresh_session

from memsvc.domain import (
    ConflictError,
    Granularity,
    HistoryEntry,
    MemoryUnit,
    Status,
    utcnow,
)
from memsvc.domain.auth import TenantRef
from memsvc.domain.filters import partition_of
from memsvc.domain.jobs import FINISHED, Job
from memsvc.domain.ports import Embeddings, UnitOfWork, UnitOfWorkFactory

REVERTIBLE = frozenset({"consolidate", "compress", "forget"})
SHOWN = 5  # unit ids named in a conflict message


@dataclass(slots=True)
class RevertResult:
    job: Job
    restored: int
    removed: int


class Reverter:
    def __init__(self, uow: UnitOfWorkFactory, embedder: Embeddings) -> None:
        self._uow = uow
        self._embedder = embedder

    def revert(self, tenant: TenantRef, job_id: str, actor: str | None = None) -> RevertResult:
        """Restore every unit the job changed to its state before the job."""
        with self._uow(tenant, write=False) as uow:
            job = uow.jobs.get(job_id)
            _check_job(job)
            entries = [e for e in uow.history.for_job(job_id) if e.operation != "revert"]
            units = uow.units.get_many({e.unit_id for e in entries})
        plan = _first_and_last(entries)
        _check_units(plan, units)
        vectors = self._embed_restored(plan, units)
        with self._uow(tenant) as uow:
            restored = removed = 0
            for unit_id, (first, _) in plan.items():
                unit = uow.units.get(unit_id)
                if first.before is None:
                    _remove(uow, unit, job, actor)
                    removed += 1
                else:
                    _restore(uow, unit, first.before, vectors.get(unit_id), (job, actor))
                    restored += 1
            done = {"reverted_at": utcnow().isoformat(), "reverted_by": actor}
            job = uow.jobs.annotate(job_id, {**done, "restored": restored, "removed": removed})
            uow.commit()
        return RevertResult(job, restored, removed)

    def _embed_restored(
        self, plan: dict[str, tuple[HistoryEntry, HistoryEntry]], units: dict[str, MemoryUnit]
    ) -> dict[str, np.ndarray]:
        """Vectors for restored texts (before the write transaction, like every write)."""
        texts = {
            unit_id: str(first.before["content"])
            for unit_id, (first, _) in plan.items()
            if first.before is not None
            and first.before.get("content") != units[unit_id].content
            and not _is_plain_session(units[unit_id], first.before)
        }
        if not texts:
            return {}
        tenant_id = next(iter(units.values())).scope.tenant_id
        rows = self._embedder.for_tenant(tenant_id).embed_batch(list(texts.values()))
        return dict(zip(texts, rows))


def _check_job(job: Job) -> None:
    if job.kind not in REVERTIBLE:
        raise ConflictError(f"jobs of kind {job.kind!r} cannot be reverted", field="id")
    if job.status not in FINISHED:
        raise ConflictError(f"job {job.id} is {job.status}: wait until it finishes", field="id")
    if job.dry_run:
        raise ConflictError(f"job {job.id} was a dry run and changed nothing", field="id")
    if "reverted_at" in job.counts:
        raise ConflictError(
            f"job {job.id} was already reverted at {job.counts['reverted_at']}", field="id"
        )


def _first_and_last(entries: list[HistoryEntry]) -> dict[str, tuple[HistoryEntry, HistoryEntry]]:
    out: dict[str, tuple[HistoryEntry, HistoryEntry]] = {}
    for entry in entries:  # in time order
        first = out[entry.unit_id][0] if entry.unit_id in out else entry
        out[entry.unit_id] = (first, entry)
    return out


def _check_units(
    plan: dict[str, tuple[HistoryEntry, HistoryEntry]], units: dict[str, MemoryUnit]
) -> None:
    purged = [u for u, (_, last) in plan.items() if last.operation == "purge"]
    if purged:
        raise ConflictError(
            f"the job purged {len(purged)} memories (e.g. {', '.join(purged[:SHOWN])}); "
            "purged text cannot be restored",
            field="id",
        )
    moved = [
        u for u, (_, last) in plan.items() if u not in units or units[u].version != last.version
    ]
    if moved:
        raise ConflictError(
            f"{len(moved)} memories changed after the job (e.g. {', '.join(moved[:SHOWN])}); "
            "revert later jobs first",
            field="id",
        )


def _restore(
    uow: UnitOfWork,
    unit: MemoryUnit,
    state: dict[str, Any],
    vector: np.ndarray | None,
    by: tuple[Job, str | None],
) -> None:
    job, actor = by
    before = unit.snapshot()
    apply_snapshot(unit, state)
    unit.version += 1
    unit.updated_at = utcnow()
    seq = uow.units.save(unit)
    if before["content"] != unit.content:
        _reindex(uow, seq, unit, vector, actor)
    record(uow, unit, "revert", before, actor=actor, reason=_reason(job), job_id=job.id)


def _reindex(
    uow: UnitOfWork, seq: int, unit: MemoryUnit, vector: np.ndarray | None, actor: str | None
) -> None:
    """Text changed back. A plain session is rebuilt from its turns; a session's lexical entry
    is its transcript (compression never changed it), so only its vector moves."""
    if _is_plain_session(unit, unit.snapshot()):
        refresh_session(uow, unit.scope, actor)
    elif vector is not None and unit.granularity is Granularity.SESSION:
        uow.vectors.put(seq, partition_of(unit), vector)
    elif vector is not None:
        index_unit(uow, seq, unit, vector)


def _reason(job: Job) -> str:
    return f"revert of {job.kind} job"


def _remove(uow: UnitOfWork, unit: MemoryUnit, job: Job, actor: str | None) -> None:
    """A unit the job created: gone again (its history stays, as the audit of both)."""
    before = unit.snapshot()
    unindex(uow, uow.units.seq_of(unit.id))
    uow.units.remove(unit.id)
    unit.status = Status.DELETED
    unit.version += 1
    record(uow, unit, "revert", before, actor=actor, reason=_reason(job), job_id=job.id)


def apply_snapshot(unit: MemoryUnit, state: dict[str, Any]) -> None:
    """Set the unit's mutable fields to a history snapshot (`MemoryUnit.snapshot`)."""
    unit.content = state["content"]
    unit.attributes = dict(state["attributes"])
    for name in ("occurred_at", "valid_from", "valid_to"):
        setattr(unit, name, _time(state.get(name)))
    unit.status = Status(state["status"])
    unit.importance = state["importance"]
    unit.strength = state["strength"]
    unit.pinned = state["pinned"]
    unit.superseded_by = state["superseded_by"]
    unit.provenance.sources = list(state["sources"])
    unit.provenance.confidence = state["confidence"]


def _is_plain_session(unit: MemoryUnit, state: dict[str, Any]) -> bool:
    """A session without a summary: its text and vector are derived from its turns."""
    attributes = state.get("attributes") or {}
    return unit.granularity is Granularity.SESSION and not attributes.get("summary")


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
