"""Vector partitions: one per (tenant, user, granularity), so a search is scoped before it runs.
The keys are domain functions (`memsvc.domain.filters`); the lexical token is the stores'."""

from __future__ import annotations

import hashlib

from memsvc.domain.filters import parse_partition, partition_key, partition_of

__all__ = ["parse_partition", "partition_key", "partition_of", "partition_token"]


def partition_token(partition: str) -> str:
    """A single lexical token naming the partition, stored in the FTS table's `part` column."""
    return "p" + hashlib.sha1(partition.encode("utf-8")).hexdigest()[:24]
