"""What the inspector lists first: the users and agents of a tenant that hold memories."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class ScopeSummary:
    """One (user, agent) pair of a tenant: its units by granularity (not deleted), how many
    are active, and when it last changed or was last read."""

    user_id: str | None
    agent_id: str | None
    total: int = 0
    active: int = 0
    by_granularity: dict[str, int] = field(default_factory=dict)
    last_activity: datetime | None = None
    last_accessed: datetime | None = None
