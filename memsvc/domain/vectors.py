"""Values the vector ports pass around: what a transaction changed, and search filters."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np


@dataclass(slots=True)
class VectorChanges:
    """What one committed transaction did to one partition of vectors."""

    partition: str
    version: int
    upserts: dict[int, np.ndarray] = field(default_factory=dict)
    removals: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class VectorFilter:
    """Restricts a vector search inside its partitions: only `allow` ids, or all but `deny`."""

    allow: Collection[int] | None = None
    deny: Collection[int] | None = None
