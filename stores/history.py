"""History of every change to a unit, in the tenant's scope."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from memsvc.stores.tables import HistoryRow
from sqlalchemy import select
from sqlalchemy.orm import Session

from memsvc.domain import HistoryEntry


class HistoryRepository:
    def __init__(self, session: Session, tenant_id: str) -> None:
        if not tenant_id:
            raise ValueError("a tenant scope is required for every store operation")
        self._session = session
        self.tenant_id = tenant_id

    def add(self, entry: HistoryEntry) -> None:
        self._session.add(
            HistoryRow(
                id=entry.id,
                tenant_id=self.tenant_id,
                unit_id=entry.unit_id,
                version=entry.version,
                operation=entry.operation,
                before=entry.before,
                after=entry.after,
                actor=entry.actor,
                reason=entry.reason,
                job_id=entry.job_id,
                created_at=entry.created_at,
            )
        )

    def scrub(self, unit_id: str) -> None:
        """Remove the text and attributes from every past state of a unit (for purges)."""
        rows = self._session.scalars(
            select(HistoryRow).where(
                HistoryRow.tenant_id == self.tenant_id, HistoryRow.unit_id == unit_id
            )
        )
        for row in rows:
            row.before = _scrubbed(row.before)
            row.after = _scrubbed(row.after)

    def scrub_many(self, unit_ids: Collection[str]) -> int:
        """`scrub` for many units; returns how many entries were rewritten."""
        rows = self._rows(unit_ids)
        for row in rows:
            row.before = _scrubbed(row.before)
            row.after = _scrubbed(row.after)
        return len(rows)

    def remove_many(self, unit_ids: Collection[str]) -> int:
        """Delete every history entry of these units; returns how many."""
        rows = self._rows(unit_ids)
        for row in rows:
            self._session.delete(row)
        return len(rows)

    def _rows(self, unit_ids: Collection[str]) -> list[HistoryRow]:
        ids, out = list(unit_ids), list[HistoryRow]()
        for i in range(0, len(ids), 500):
            out.extend(
                self._session.scalars(
                    select(HistoryRow).where(
                        HistoryRow.tenant_id == self.tenant_id,
                        HistoryRow.unit_id.in_(ids[i : i + 500]),
                    )
                )
            )
        return out

    def for_units(self, unit_ids: Collection[str]) -> dict[str, list[HistoryEntry]]:
        """unit id -> its history entries, oldest first."""
        out: dict[str, list[HistoryEntry]] = {}
        rows = sorted(self._rows(unit_ids), key=lambda r: (r.created_at, r.id))
        for row in rows:
            out.setdefault(row.unit_id, []).append(_to_entry(row))
        return out

    def existing_ids(self, entry_ids: Collection[str]) -> set[str]:
        """Which of these entry ids exist, in any tenant: entry ids are unique in the whole
        database, so an import cannot reuse them (the answer says nothing beyond whether an
        id the caller already holds is taken)."""
        ids, out = list(entry_ids), set[str]()
        for i in range(0, len(ids), 500):
            out.update(
                self._session.scalars(
                    select(HistoryRow.id).where(HistoryRow.id.in_(ids[i : i + 500]))
                )
            )
        return out

    def for_unit(self, unit_id: str) -> list[HistoryEntry]:
        return self._query(HistoryRow.unit_id == unit_id)

    def for_job(self, job_id: str) -> list[HistoryEntry]:
        return self._query(HistoryRow.job_id == job_id)

    def _query(self, condition: object) -> list[HistoryEntry]:
        rows = self._session.scalars(
            select(HistoryRow)
            .where(HistoryRow.tenant_id == self.tenant_id, condition)  # type: ignore[arg-type]
            .order_by(HistoryRow.created_at, HistoryRow.id)
        )
        return [_to_entry(r) for r in rows]


def _scrubbed(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {k: v for k, v in state.items() if k not in ("content", "attributes")}


def _to_entry(row: HistoryRow) -> HistoryEntry:
    return HistoryEntry(
        id=row.id,
        unit_id=row.unit_id,
        version=row.version,
        operation=row.operation,
        before=row.before,
        after=row.after,
        actor=row.actor,
        reason=row.reason,
        job_id=row.job_id,
        created_at=row.created_at,
    )
