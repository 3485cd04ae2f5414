"""Vector partitions: one per (tenant, user, granularity), so a search is scoped before it runs."""

from __future__ import annotations

import hashlib
from urllib.parse import quote, unquote

from memsvc.domain import Granularity, MemoryUnit


def partition_key(tenant_id: str, user_id: str | None, granularity: Granularity | str) -> str:
    parts = (tenant_id, user_id or "", str(granularity))
    return "/".join(quote(p, safe="") for p in parts)


def parse_partition(partition: str) -> tuple[str, str | None, str]:
    """(tenant_id, user_id or None, granularity) of a partition key."""
    tenant, user, granularity = (unquote(p) for p in partition.split("/"))
    return tenant, user or None, granularity


def partition_of(unit: MemoryUnit) -> str:
    return partition_key(unit.scope.tenant_id, unit.scope.user_id, unit.granularity)


def partition_token(partition: str) -> str:
    """A single lexical token naming the partition, stored in the FTS table's `part` column."""
    return "p" + hashlib.sha1(partition.encode("utf-8")).hexdigest()[:24]
