"""Changing stored units by hand: update (a new version), delete (soft or hard, with
cascade over provenance), and the provenance walk. Every change appends history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from memsvc.operations.ingest import key_text, refresh_session

from memsvc.domain import (
    ConflictError,
    Granularity,
    HistoryEntry,
    MemoryUnit,
    ProvenanceView,
    Scope,
    Status,
    UpdateCommand,
    ValidationError,
    new_id,
    utcnow,
)
from memsvc.domain.auth import TenantRef
from memsvc.domain.filters import UnitFilter, partition_of
from memsvc.domain.ports import Embeddings, UnitOfWork, UnitOfWorkFactory

MAX_WALK = 10_000  # units visited by one provenance walk or cascade


def record(
    uow: UnitOfWork,
    unit: MemoryUnit,
    operation: str,
    before: dict[str, Any] | None,
    *,
    actor: str | None = None,
    reason: str | None = None,
    job_id: str | None = None,
) -> None:
    """Append a history entry for `unit` (its state now is `after`)."""
    uow.history.add(
        HistoryEntry(
            id=new_id(),
            unit_id=unit.id,
            version=unit.version,
            operation=operation,
            before=before,
            after=unit.snapshot() if unit.status is not Status.DELETED else None,
            actor=actor,
            reason=reason,
            job_id=job_id,
            created_at=utcnow(),
        )
    )


def index_unit(uow: UnitOfWork, seq: int, unit: MemoryUnit, vector: Any) -> None:
    """(Re)write a unit's vector and lexical entry."""
    text = key_text(unit.attributes.get("speaker"), unit.content)
    uow.vectors.put(seq, partition_of(unit), vector)
    uow.lexical.put(seq, partition_of(unit), text)


def unindex(uow: UnitOfWork, seq: int) -> None:
    uow.vectors.drop([seq])
    uow.lexical.drop([seq])


@dataclass(slots=True)
class DeleteResult:
    deleted: list[str]
    hard: bool


class Editor:
    def __init__(self, uow: UnitOfWorkFactory, embedder: Embeddings) -> None:
        self._uow = uow
        self._embedder = embedder

    def update(self, tenant: TenantRef, unit_id: str, cmd: UpdateCommand) -> MemoryUnit:
        with self._uow(tenant, write=False) as uow:
            current = uow.units.get(unit_id)
        _check_editable(current, cmd)
        vector = None
        if cmd.content is not None and cmd.content != current.content:
            embedder = self._embedder.for_tenant(current.scope.tenant_id)
            vector = embedder.embed_batch([cmd.content])[0]
        with self._uow(tenant) as uow:
            unit = uow.units.get(unit_id)
            before = unit.snapshot()
            _apply(unit, cmd)
            unit.version += 1
            unit.updated_at = utcnow()
            seq = uow.units.save(unit)
            if vector is not None:
                index_unit(uow, seq, unit, vector)
            record(uow, unit, "update", before, actor=cmd.actor, reason=cmd.reason)
            uow.commit()
        return unit

    def delete(
        self,
        tenant: TenantRef,
        unit_id: str,
        *,
        cascade: bool = False,
        actor: str | None = None,
        reason: str | None = None,
    ) -> DeleteResult:
        """Soft delete: status `deleted`, out of search, history kept (a purge is in
        `operations.purge`)."""
        with self._uow(tenant) as uow:
            root = uow.units.get(unit_id)
            targets = list(derived_closure(uow, [root]).values()) if cascade else [root]
            sessions: set[tuple[str | None, str | None, str | None]] = set()
            uow.units.free_dedupe_keys([u.id for u in targets])
            for unit in targets:
                live_turn = (
                    unit.granularity is Granularity.TURN and unit.status is not Status.DELETED
                )
                _delete_one(uow, unit, actor, reason)
                if live_turn:
                    sessions.add((unit.scope.user_id, unit.scope.agent_id, unit.scope.session_id))
            # Only sessions that lost a turn here are refreshed, and not those deleted here:
            # refreshing a deleted session (its dedupe key freed) would make a new, empty one.
            sessions -= {
                (u.scope.user_id, u.scope.agent_id, u.scope.session_id)
                for u in targets
                if u.granularity is Granularity.SESSION
            }
            for user_id, agent_id, session_id in sessions:
                refresh_session(uow, Scope(uow.tenant_id, user_id, agent_id, session_id), actor)
            uow.commit()
        return DeleteResult(deleted=[u.id for u in targets], hard=False)

    def provenance(self, tenant: TenantRef, unit_id: str, depth: int = 10) -> ProvenanceView:
        with self._uow(tenant, write=False) as uow:
            root = uow.units.get(unit_id)
            up, up_edges = _walk(uow, root.id, depth, upward=True)
            down, down_edges = _walk(uow, root.id, depth, upward=False)
            units = uow.units.get_many(up | down)
        return ProvenanceView(
            unit=root,
            sources=[units[i] for i in sorted(up) if i in units],
            derived=[units[i] for i in sorted(down) if i in units],
            edges=sorted(set(up_edges) | set(down_edges)),
        )


def _check_editable(unit: MemoryUnit, cmd: UpdateCommand) -> None:
    if unit.status is Status.DELETED:
        raise ConflictError(f"memory {unit.id} is deleted and cannot be updated")
    if unit.granularity is Granularity.TURN and cmd.content not in (None, unit.content):
        raise ConflictError(
            "turns are verbatim records and their content cannot change; "
            "delete the turn and add the corrected message instead",
            field="content",
        )
    if cmd.status is Status.DELETED:
        raise ConflictError("use DELETE to delete a memory, not an update of its status")
    # Against the stored bound too: a later valid_from alone can cross the valid_to it has.
    valid_from = cmd.valid_from or unit.valid_from
    valid_to = cmd.valid_to or unit.valid_to
    if valid_from and valid_to and valid_from >= valid_to:
        raise ValidationError(
            f"valid_from must be before valid_to ({valid_from.isoformat()} is not before "
            f"{valid_to.isoformat()})",
            field="valid_from" if cmd.valid_from else "valid_to",
        )


def _apply(unit: MemoryUnit, cmd: UpdateCommand) -> None:
    for name in (
        "content",
        "importance",
        "pinned",
        "occurred_at",
        "valid_from",
        "valid_to",
        "status",
    ):
        value = getattr(cmd, name)
        if value is not None:
            setattr(unit, name, value)
    if cmd.attributes is not None:
        unit.attributes = {**unit.attributes, **cmd.attributes}


def _delete_one(uow: UnitOfWork, unit: MemoryUnit, actor: str | None, reason: str | None) -> None:
    if unit.status is Status.DELETED:
        return
    before = unit.snapshot()
    seq = uow.units.seq_of(unit.id)
    unit.status = Status.DELETED
    unit.version += 1
    unit.updated_at = utcnow()
    uow.units.save(unit)
    unindex(uow, seq)
    record(uow, unit, "delete", before, actor=actor, reason=reason)


def derived_closure(
    uow: UnitOfWork, roots: list[MemoryUnit], gone: Callable[[MemoryUnit], bool] | None = None
) -> dict[str, MemoryUnit]:
    """The roots, the turns of root sessions, and every unit derived only from the set. With
    `gone`, sources it accepts (purged earlier) count as part of the set: a fact quoting three
    turns purged one at a time goes with the last of them."""
    chosen = {u.id: u for u in roots}
    for session in [u for u in roots if u.granularity is Granularity.SESSION]:
        for turn in uow.units.find(
            UnitFilter(
                session_id=session.scope.session_id,
                user_id=session.scope.user_id,
                granularities=[Granularity.TURN],
                statuses=None,
            )
        ):
            chosen[turn.id] = turn
    frontier = set(chosen)
    while frontier and len(chosen) < MAX_WALK:
        derived = {d for ids in uow.units.derived_from(frontier).values() for d in ids}
        candidates = uow.units.get_many(derived - set(chosen))
        frontier = set()
        for unit in candidates.values():
            if _only_from(uow, unit, chosen, gone):
                chosen[unit.id] = unit
                frontier.add(unit.id)
    return chosen


def _only_from(
    uow: UnitOfWork,
    unit: MemoryUnit,
    chosen: dict[str, MemoryUnit],
    gone: Callable[[MemoryUnit], bool] | None,
) -> bool:
    rest = set(unit.provenance.sources) - set(chosen)
    if not rest:
        return True
    if gone is None:
        return False
    # Sources missing altogether were removed with their scope: gone as well.
    return all(gone(source) for source in uow.units.get_many(rest).values())


def _walk(
    uow: UnitOfWork, start: str, depth: int, *, upward: bool
) -> tuple[set[str], list[tuple[str, str]]]:
    seen: set[str] = set()
    edges: list[tuple[str, str]] = []
    frontier = {start}
    for _ in range(depth):
        if not frontier or len(seen) >= MAX_WALK:
            break
        step = uow.units.sources_of(frontier) if upward else uow.units.derived_from(frontier)
        nxt: set[str] = set()
        for origin, others in step.items():
            for other in others:
                edges.append((origin, other) if upward else (other, origin))
                if other not in seen and other != start:
                    seen.add(other)
                    nxt.add(other)
        frontier = nxt
    return seen, edges
