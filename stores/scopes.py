"""Scope directory: the users and agents of one tenant, with counts and last activity."""

from __future__ import annotations

from datetime import datetime

from memsvc.stores.tables import UnitRow
from memsvc.stores.units import confine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from memsvc.domain.auth import TenantRef, as_tenancy
from memsvc.domain.scopes import ScopeSummary


class ScopeRepository:
    """Confined like every repository: a key narrowed to a user or agent sees only that one."""

    def __init__(self, session: Session, tenant: TenantRef) -> None:
        self._tenancy = as_tenancy(tenant)
        if not self._tenancy.tenant_id:
            raise ValueError("a tenant scope is required for every store operation")
        self._session = session

    def summaries(self, limit: int) -> list[ScopeSummary]:
        """Most recently active first; deleted units are not counted."""
        stmt = (
            select(
                UnitRow.user_id,
                UnitRow.agent_id,
                UnitRow.granularity,
                UnitRow.status,
                func.count(),
                func.max(UnitRow.updated_at),
                func.max(UnitRow.last_accessed_at),
            )
            .where(*confine(self._tenancy), UnitRow.status != "deleted")
            .group_by(UnitRow.user_id, UnitRow.agent_id, UnitRow.granularity, UnitRow.status)
        )
        found: dict[tuple[str | None, str | None], ScopeSummary] = {}
        for user, agent, granularity, status, count, changed, read in self._session.execute(stmt):
            summary = found.setdefault((user, agent), ScopeSummary(user, agent))
            summary.total += count
            summary.active += count if status == "active" else 0
            summary.by_granularity[granularity] = summary.by_granularity.get(granularity, 0) + count
            summary.last_activity = _latest(summary.last_activity, changed)
            summary.last_accessed = _latest(summary.last_accessed, read)
        ordered = sorted(found.values(), key=_recency, reverse=True)
        return ordered[:limit]


def _recency(summary: ScopeSummary) -> float:
    return summary.last_activity.timestamp() if summary.last_activity else 0.0


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(x for x in (a, b) if x is not None) if (a or b) else None
