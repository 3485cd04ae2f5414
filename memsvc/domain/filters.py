"""Which units a read covers (inside its tenancy), and vector partitions: one per
(tenant, user, granularity), so a search is scoped before it runs."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, unquote

from memsvc.domain.units import Granularity, MemoryUnit, Status


@dataclass(frozen=True, slots=True)
class UnitFilter:
    """Which units of the tenant a read covers; None means no constraint on that field."""

    user_id: str | None = None
    agent_id: str | None = None
    session_id: str | None = None
    granularities: Collection[Granularity] | None = None
    statuses: Collection[Status] | None = (Status.ACTIVE,)
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    valid_at: datetime | None = None
    actor: str | None = None  # the API key that wrote the unit


@dataclass(frozen=True, slots=True)
class LexicalSearch:
    """One lexical list a search reads: its partitions and the filter its units pass."""

    partitions: tuple[str, ...]
    where: UnitFilter


def partition_key(tenant_id: str, user_id: str | None, granularity: Granularity | str) -> str:
    parts = (tenant_id, user_id or "", str(granularity))
    return "/".join(quote(p, safe="") for p in parts)


def parse_partition(partition: str) -> tuple[str, str | None, str]:
    """(tenant_id, user_id or None, granularity) of a partition key."""
    tenant, user, granularity = (unquote(p) for p in partition.split("/"))
    return tenant, user or None, granularity


def partition_of(unit: MemoryUnit) -> str:
    return partition_key(unit.scope.tenant_id, unit.scope.user_id, unit.granularity)
