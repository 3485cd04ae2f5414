"""Reads the memory inspector needs beyond the memory API: the scopes of a tenant and what a
job changed. Public models and handlers, like `memsvc.handlers`, over the same facade."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from memsvc.domain.auth import Principal
from memsvc.domain.scopes import ScopeSummary
from memsvc.schemas import HistoryEntry
from memsvc.service import MemoryService


class ScopeOut(BaseModel):
    """A user/agent pair of the tenant that holds memories."""

    user_id: str | None
    agent_id: str | None
    total: int = Field(description="Memories not deleted.")
    active: int
    by_granularity: dict[str, int]
    last_activity: datetime | None = Field(description="When a memory last changed.")
    last_accessed: datetime | None = Field(description="When a search last returned one.")

    @classmethod
    def from_domain(cls, summary: ScopeSummary) -> ScopeOut:
        return cls(
            user_id=summary.user_id,
            agent_id=summary.agent_id,
            total=summary.total,
            active=summary.active,
            by_granularity=summary.by_granularity,
            last_activity=summary.last_activity,
            last_accessed=summary.last_accessed,
        )


def list_scopes(svc: MemoryService, who: Principal, limit: int) -> list[ScopeOut]:
    return [ScopeOut.from_domain(s) for s in svc.scopes(who.tenancy, limit)]


def job_changes(svc: MemoryService, who: Principal, job_id: str) -> list[HistoryEntry]:
    return [HistoryEntry.from_domain(e) for e in svc.job_changes(who.tenancy, job_id)]
