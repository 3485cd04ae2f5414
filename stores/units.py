"""The unit repository: every read and write of memory units, always inside one tenant."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar, TypeVarTuple

from memsvc.stores.mapping import copy_mutable, new_row, row_values, to_unit
from memsvc.stores.tables import HistoryRow, UnitRow, UnitSourceRow
from sqlalchemy import ColumnElement, Select, and_, delete, func, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from memsvc.domain import (
    MemoryUnit,
    NotFoundError,
    Page,
    Status,
    ValidationError,
)
from memsvc.domain.auth import TenantRef, as_tenancy
from memsvc.domain.filters import UnitFilter

__all__ = ["UnitFilter", "UnitRepository", "apply_filter", "confine"]

CHUNK = 500

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


_ANY = UnitFilter(statuses=None)


class UnitRepository:
    def __init__(self, session: Session, tenant: TenantRef) -> None:
        self._tenancy = as_tenancy(tenant)
        if not self._tenancy.tenant_id:
            raise ValueError("a tenant scope is required for every store operation")
        self._session = session
        self.tenant_id = self._tenancy.tenant_id

    def _mine(self, columns: Any = None) -> list[ColumnElement[bool]]:
        """The conditions that confine a query to this repository's tenancy."""
        return confine(self._tenancy, columns)

    # -- writes ---------------------------------------------------------------------------
    def add(self, unit: MemoryUnit, dedupe_key: str | None = None) -> int:
        """Insert a unit with its provenance edges; returns its sequence number."""
        self._check_tenant(unit)
        row = new_row(unit, dedupe_key)
        self._session.add(row)
        self._session.flush()
        self._add_edges(unit.id, unit.provenance.sources)
        return row.seq

    def add_many(self, units: Sequence[MemoryUnit], dedupe_keys: Sequence[str | None]) -> list[int]:
        """Insert new units in one statement (the write path's bulk case); their seqs in order."""
        for unit in units:
            self._check_tenant(unit)
        if not units:
            return []
        stmt = insert(UnitRow).returning(UnitRow.seq, sort_by_parameter_order=True)
        values = [row_values(u, k) for u, k in zip(units, dedupe_keys, strict=True)]
        seqs = [int(s) for s in self._session.scalars(stmt, values)]
        for unit in units:
            self._add_edges(unit.id, unit.provenance.sources)
        return seqs

    def save(self, unit: MemoryUnit) -> int:
        """Write the unit's mutable fields (and provenance edges) onto its row."""
        self._check_tenant(unit)
        row = self._row(unit.id)
        old_sources = set(row.sources or [])
        copy_mutable(unit, row)
        new_sources = set(unit.provenance.sources)
        if new_sources != old_sources:
            self._session.execute(
                delete(UnitSourceRow).where(
                    UnitSourceRow.unit_id == unit.id,
                    UnitSourceRow.source_id.in_(old_sources - new_sources),
                )
            )
            self._add_edges(unit.id, sorted(new_sources - old_sources))
        self._session.flush()
        return row.seq

    def record_access(self, counts: dict[int, int], when: datetime) -> None:
        """Add `counts[seq]` retrievals to each unit and stamp the time (no new version: access
        is bookkeeping, not a change of the memory)."""
        by_count: dict[int, list[int]] = {}
        for seq, n in counts.items():
            by_count.setdefault(n, []).append(seq)
        for n, seqs in by_count.items():
            for chunk in _chunks(seqs):
                self._session.execute(
                    update(UnitRow)
                    .where(*self._mine(), UnitRow.seq.in_(chunk))
                    .values(access_count=UnitRow.access_count + n, last_accessed_at=when)
                )

    def free_dedupe_keys(self, unit_ids: Collection[str]) -> None:
        """Forget the idempotency keys of deleted units, so the same message can be stored
        again (a deleted message is not a duplicate of anything)."""
        for chunk in _chunks(list(unit_ids)):
            self._session.execute(
                update(UnitRow).where(*self._mine(), UnitRow.id.in_(chunk)).values(dedupe_key=None)
            )

    def remove_many(self, unit_ids: Collection[str]) -> None:
        """Delete the rows themselves (a scope purge): their provenance edges both ways go
        too, their vectors by cascade."""
        for chunk in _chunks(list(unit_ids)):
            self._session.execute(
                delete(UnitSourceRow).where(
                    UnitSourceRow.tenant_id == self.tenant_id,
                    UnitSourceRow.source_id.in_(chunk) | UnitSourceRow.unit_id.in_(chunk),
                )
            )
            self._session.execute(delete(UnitRow).where(*self._mine(), UnitRow.id.in_(chunk)))

    def remove(self, unit_id: str) -> int:
        """Delete the row itself (hard delete); edges and vectors go with it by cascade."""
        row = self._row(unit_id)
        seq = row.seq
        self._session.delete(row)
        self._session.flush()
        return seq

    def _add_edges(self, unit_id: str, sources: Iterable[str]) -> None:
        for source_id in dict.fromkeys(sources):
            self._session.add(
                UnitSourceRow(unit_id=unit_id, source_id=source_id, tenant_id=self.tenant_id)
            )

    def _check_tenant(self, unit: MemoryUnit) -> None:
        if not self._tenancy.admits(unit.scope):
            raise ValueError("unit lies outside this repository's tenancy")

    # -- reads ----------------------------------------------------------------------------
    def get(self, unit_id: str) -> MemoryUnit:
        return to_unit(self._row(unit_id))

    def seq_of(self, unit_id: str) -> int:
        return self._row(unit_id).seq

    def _row(self, unit_id: str) -> UnitRow:
        row = self._session.scalars(
            select(UnitRow).where(*self._mine(), UnitRow.id == unit_id)
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"no memory with id {unit_id!r}", field="id")
        return row

    def get_many(self, unit_ids: Iterable[str]) -> dict[str, MemoryUnit]:
        out: dict[str, MemoryUnit] = {}
        for chunk in _chunks(list(dict.fromkeys(unit_ids))):
            rows = self._session.scalars(
                select(UnitRow).where(*self._mine(), UnitRow.id.in_(chunk))
            )
            out.update({r.id: to_unit(r) for r in rows})
        return out

    def by_seqs(self, seqs: Iterable[int]) -> dict[int, MemoryUnit]:
        """Units by seq, read with a Core query (no ORM identity map): the search hot path."""
        out: dict[int, MemoryUnit] = {}
        table = UnitRow.__table__
        for chunk in _chunks(list(dict.fromkeys(seqs))):
            rows = self._session.execute(
                select(table).where(*self._mine(table.c), table.c.seq.in_(chunk))
            )
            out.update({r.seq: to_unit(r) for r in rows})
        return out

    def turns_of_sessions(
        self, user_id: str | None, session_ids: Collection[str], statuses: Collection[Status]
    ) -> dict[str, list[int]]:
        """session id -> seqs of its turns in the given states, in conversation order."""
        out: dict[str, list[int]] = {}
        for chunk in _chunks(list(session_ids)):
            stmt = select(UnitRow.session_id, UnitRow.seq).where(
                *self._mine(),
                UnitRow.granularity == "turn",
                UnitRow.session_id.in_(chunk),
                UnitRow.status.in_([str(s) for s in statuses]),
            )
            if user_id is not None:
                stmt = stmt.where(UnitRow.user_id == user_id)
            for session_id, seq in self._session.execute(stmt.order_by(UnitRow.seq)):
                if session_id is not None:  # always: NULL never matches the IN above
                    out.setdefault(session_id, []).append(seq)
        return out

    def texts_and_sources(self, seqs: Iterable[int]) -> dict[int, tuple[str, list[str]]]:
        """seq -> (content, source ids) of each unit: all key expansion needs."""
        out: dict[int, tuple[str, list[str]]] = {}
        for chunk in _chunks(list(dict.fromkeys(seqs))):
            rows = self._session.execute(
                select(UnitRow.seq, UnitRow.content, UnitRow.sources).where(
                    *self._mine(), UnitRow.seq.in_(chunk)
                )
            )
            out.update({int(s): (c, list(src or [])) for s, c, src in rows})
        return out

    def turn_directory(
        self, user_id: str | None
    ) -> list[tuple[int, str | None, int, int, str | None, str | None]]:
        """(seq, session id, position, content length, role, speaker) of every turn of the
        user (or of the tenant), whatever its state."""
        a = UnitRow.attributes
        stmt = select(
            UnitRow.seq,
            UnitRow.session_id,
            a["position"].as_integer(),
            func.length(UnitRow.content),
            a["role"].as_string(),
            a["speaker"].as_string(),
        ).where(*self._mine(), UnitRow.granularity == "turn")
        if user_id is not None:
            stmt = stmt.where(UnitRow.user_id == user_id)
        return [
            (int(seq), sid, int(pos or 0), int(n or 0), role, speaker)
            for seq, sid, pos, n, role, speaker in self._session.execute(stmt)
        ]

    def sessions_of(self, seqs: Iterable[int]) -> dict[int, str | None]:
        """seq -> session id of each unit."""
        out: dict[int, str | None] = {}
        for chunk in _chunks(list(dict.fromkeys(seqs))):
            rows = self._session.execute(
                select(UnitRow.seq, UnitRow.session_id).where(*self._mine(), UnitRow.seq.in_(chunk))
            )
            out.update({int(r[0]): r[1] for r in rows})
        return out

    def seqs_of(self, unit_ids: Iterable[str], where: UnitFilter | None = None) -> dict[str, int]:
        """id -> seq of the given units (those matching `where`, when given)."""
        out: dict[str, int] = {}
        for chunk in _chunks(list(dict.fromkeys(unit_ids))):
            stmt = select(UnitRow.id, UnitRow.seq).where(UnitRow.id.in_(chunk))
            rows = self._session.execute(apply_filter(stmt, self._tenancy, where or _ANY))
            out.update({r[0]: r[1] for r in rows})
        return out

    def by_dedupe_keys(self, keys: Iterable[str]) -> dict[str, MemoryUnit]:
        out: dict[str, MemoryUnit] = {}
        for chunk in _chunks(list(dict.fromkeys(keys))):
            rows = self._session.scalars(
                select(UnitRow).where(*self._mine(), UnitRow.dedupe_key.in_(chunk))
            )
            out.update({r.dedupe_key: to_unit(r) for r in rows if r.dedupe_key})
        return out

    def replaced_by(self, unit_ids: Collection[str]) -> dict[str, list[MemoryUnit]]:
        """unit id -> the units it superseded (closed values of the same slot), oldest first."""
        out: dict[str, list[MemoryUnit]] = {}
        for chunk in _chunks(list(unit_ids)):
            rows = self._session.scalars(
                select(UnitRow)
                .where(*self._mine(), UnitRow.superseded_by.in_(chunk))
                .order_by(UnitRow.valid_from, UnitRow.seq)
            )
            for row in rows:
                out.setdefault(str(row.superseded_by), []).append(to_unit(row))
        return out

    def find(self, where: UnitFilter, limit: int | None = None) -> list[MemoryUnit]:
        stmt = self._filtered(select(UnitRow), where).order_by(UnitRow.seq)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [to_unit(r) for r in self._session.scalars(stmt)]

    def export_page(
        self, where: UnitFilter, after_seq: int, limit: int
    ) -> list[tuple[int, MemoryUnit, str | None]]:
        """(seq, unit, idempotency key) of the matching units after `after_seq`, oldest
        first: one page of an export (keyset pagination, so pages never overlap or skip)."""
        stmt = self._filtered(select(UnitRow), where).where(UnitRow.seq > after_seq)
        rows = self._session.scalars(stmt.order_by(UnitRow.seq).limit(limit))
        return [(r.seq, to_unit(r), r.dedupe_key) for r in rows]

    def count_history(self, where: UnitFilter) -> int:
        """History entries of the matching units."""
        ids = self._filtered(select(UnitRow.id), where).scalar_subquery()
        stmt = select(func.count()).where(
            HistoryRow.tenant_id == self.tenant_id, HistoryRow.unit_id.in_(ids)
        )
        return int(self._session.scalar(stmt) or 0)

    def taken_ids(self, unit_ids: Iterable[str]) -> set[str]:
        """Which of these ids belong to units outside this tenancy. Ids are unique in the
        whole database, so an import cannot reuse them; the answer says nothing beyond
        whether an id the caller already holds is taken."""
        out: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(unit_ids))):
            stmt = select(UnitRow.id).where(UnitRow.id.in_(chunk), ~and_(*self._mine()))
            out.update(self._session.scalars(stmt))
        return out

    def relations_of(self, entity_id: str, end: str) -> list[MemoryUnit]:
        """Active relations whose `end` ("source_id" or "target_id") is the entity."""
        stmt = select(UnitRow).where(
            *self._mine(),
            UnitRow.granularity == "relation",
            UnitRow.status == "active",
            UnitRow.attributes[end].as_string() == entity_id,
        )
        return [to_unit(r) for r in self._session.scalars(stmt.order_by(UnitRow.seq))]

    def seqs(self, where: UnitFilter) -> list[int]:
        """Sequence numbers of the matching units (for vector allow/deny lists)."""
        return list(self._session.scalars(self._filtered(select(UnitRow.seq), where)))

    def seqs_by_granularity(self, where: UnitFilter) -> dict[str, list[int]]:
        """granularity -> seqs of the matching units."""
        out: dict[str, list[int]] = {}
        stmt = self._filtered(select(UnitRow.granularity, UnitRow.seq), where)
        for granularity, seq in self._session.execute(stmt):
            out.setdefault(granularity, []).append(seq)
        return out

    def count(self, where: UnitFilter) -> int:
        stmt = self._filtered(select(func.count()).select_from(UnitRow), where)
        return int(self._session.scalar(stmt) or 0)

    def count_by(self, where: UnitFilter) -> dict[tuple[str, str], int]:
        """(granularity, status) -> number of matching units (memory health statistics)."""
        stmt = self._filtered(
            select(UnitRow.granularity, UnitRow.status, func.count()).select_from(UnitRow), where
        ).group_by(UnitRow.granularity, UnitRow.status)
        return {(g, s): int(n) for g, s, n in self._session.execute(stmt)}

    def count_since(self, where: UnitFilter, since: datetime | None) -> int:
        """Matching units created after `since` (all of them when None): threshold triggers."""
        stmt = self._filtered(select(func.count()).select_from(UnitRow), where)
        if since is not None:
            stmt = stmt.where(UnitRow.created_at > since)
        return int(self._session.scalar(stmt) or 0)

    def page(self, where: UnitFilter, cursor: str | None, limit: int) -> Page:
        """Newest first; the cursor is opaque and continues after the last item."""
        stmt = self._filtered(select(UnitRow), where)
        if cursor:
            stmt = stmt.where(UnitRow.seq < _decode_cursor(cursor))
        rows = list(self._session.scalars(stmt.order_by(UnitRow.seq.desc()).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = _encode_cursor(rows[-1].seq) if more and rows else None
        return Page(items=[to_unit(r) for r in rows], next_cursor=next_cursor)

    def sources_of(self, unit_ids: Iterable[str]) -> dict[str, list[str]]:
        """unit id -> ids it was derived from."""
        return self._edges(unit_ids, UnitSourceRow.unit_id, UnitSourceRow.source_id)

    def derived_from(self, unit_ids: Iterable[str]) -> dict[str, list[str]]:
        """source id -> ids of units derived from it."""
        return self._edges(unit_ids, UnitSourceRow.source_id, UnitSourceRow.unit_id)

    def _edges(
        self, ids: Iterable[str], key: InstrumentedAttribute[str], value: InstrumentedAttribute[str]
    ) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            rows = self._session.execute(
                select(key, value).where(
                    UnitSourceRow.tenant_id == self.tenant_id,
                    key.in_(chunk),
                )
            )
            for k, v in rows:
                out.setdefault(k, []).append(v)
        return out

    def _filtered(self, stmt: Select[*Ts], where: UnitFilter) -> Select[*Ts]:
        return apply_filter(stmt, self._tenancy, where)


def confine(tenant: TenantRef, columns: Any = None) -> list[ColumnElement[bool]]:
    """Conditions over `memory_units` (or a Core table's `columns`) that keep a query inside a
    tenancy: the tenant, and the user or agent a narrowed key is restricted to."""
    tenancy = as_tenancy(tenant)
    c = columns if columns is not None else UnitRow
    out: list[ColumnElement[bool]] = [c.tenant_id == tenancy.tenant_id]
    if tenancy.user_id is not None:
        out.append(c.user_id == tenancy.user_id)
    if tenancy.agent_id is not None:
        out.append(c.agent_id == tenancy.agent_id)
    return out


def apply_filter(stmt: Select[*Ts], tenant: TenantRef, where: UnitFilter) -> Select[*Ts]:
    """Constrain a statement over `memory_units` to one tenancy and a filter."""
    stmt = stmt.where(*confine(tenant))
    for column, value in (
        (UnitRow.user_id, where.user_id),
        (UnitRow.agent_id, where.agent_id),
        (UnitRow.session_id, where.session_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if where.actor is not None:
        stmt = stmt.where(UnitRow.actor == where.actor)
    if where.granularities:
        stmt = stmt.where(UnitRow.granularity.in_([str(g) for g in where.granularities]))
    if where.statuses:
        stmt = stmt.where(UnitRow.status.in_([str(s) for s in where.statuses]))
    if where.occurred_from is not None:
        stmt = stmt.where(UnitRow.occurred_at >= where.occurred_from)
    if where.occurred_to is not None:
        stmt = stmt.where(UnitRow.occurred_at < where.occurred_to)
    if where.valid_at is not None:
        at = where.valid_at
        # A superseded unit counts for the past only if its validity was closed (a value that
        # changed); one merged away as a duplicate never held on its own.
        stmt = stmt.where(
            (UnitRow.status != "superseded") | UnitRow.valid_to.is_not(None),
        )
        stmt = stmt.where(
            (UnitRow.valid_from.is_(None)) | (UnitRow.valid_from <= at),
            (UnitRow.valid_to.is_(None)) | (UnitRow.valid_to > at),
        )
    return stmt


def _chunks(items: Sequence[T], size: int = CHUNK) -> list[list[T]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s:{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, value = raw.split(":", 1)
        # Sequence numbers are SQLite integers: a bigger number is no cursor of ours.
        if prefix != "s" or not value.isascii() or not value.isdigit() or len(value) > 18:
            raise ValueError(raw)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError(
            "malformed cursor: pass back the next_cursor of a previous page", field="cursor"
        ) from exc
