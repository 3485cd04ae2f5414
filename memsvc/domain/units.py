"""The memory unit: the one stored thing, with its scope, kind, times, lifecycle and provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


class Kind(StrEnum):
    EPISODIC = "episodic"
    SEMANTIC = "semantic"
    GRAPH = "graph"
    PROCEDURAL = "procedural"


class Granularity(StrEnum):
    TURN = "turn"
    SESSION = "session"
    TOPIC = "topic"
    FACT = "fact"
    ENTITY = "entity"
    RELATION = "relation"
    PROCEDURE = "procedure"


KIND_OF: dict[Granularity, Kind] = {
    Granularity.TURN: Kind.EPISODIC,
    Granularity.SESSION: Kind.EPISODIC,
    Granularity.TOPIC: Kind.EPISODIC,
    Granularity.FACT: Kind.SEMANTIC,
    Granularity.ENTITY: Kind.GRAPH,
    Granularity.RELATION: Kind.GRAPH,
    Granularity.PROCEDURE: Kind.PROCEDURAL,
}


class Status(StrEnum):
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    ARCHIVED = "archived"
    DELETED = "deleted"


class Origin(StrEnum):
    MESSAGE = "message"
    IMPORT = "import"
    EXTRACTION = "extraction"
    CONSOLIDATION = "consolidation"
    COMPRESSION = "compression"
    API = "api"


@dataclass(frozen=True, slots=True)
class Scope:
    """Who a unit belongs to. The tenant comes from the API key and is never optional."""

    tenant_id: str
    user_id: str | None = None
    agent_id: str | None = None
    session_id: str | None = None

    def with_session(self, session_id: str | None) -> Scope:
        return replace(self, session_id=session_id)


@dataclass(slots=True)
class Provenance:
    """Where a unit came from: its source units (down to turns), how and by whom it was made."""

    sources: list[str] = field(default_factory=list)
    origin: Origin = Origin.API
    producer: str = "api"
    confidence: float = 1.0
    actor: str | None = None


@dataclass(slots=True)
class MemoryUnit:
    id: str
    scope: Scope
    granularity: Granularity
    content: str
    attributes: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    last_accessed_at: datetime | None = None
    access_count: int = 0
    status: Status = Status.ACTIVE
    importance: float = 0.5
    strength: float = 1.0
    pinned: bool = False
    version: int = 1
    superseded_by: str | None = None
    provenance: Provenance = field(default_factory=Provenance)

    @property
    def kind(self) -> Kind:
        return KIND_OF[self.granularity]

    def is_valid_at(self, when: datetime) -> bool:
        """True when the unit held at `when` (open intervals on either side count as holding)."""
        starts = self.valid_from is None or self.valid_from <= when
        ends = self.valid_to is None or when < self.valid_to
        return starts and ends

    def snapshot(self) -> dict[str, Any]:
        """The mutable state of the unit as JSON-ready values, for history entries."""
        return {
            "content": self.content,
            "attributes": self.attributes,
            "occurred_at": _iso(self.occurred_at),
            "valid_from": _iso(self.valid_from),
            "valid_to": _iso(self.valid_to),
            "status": self.status.value,
            "importance": self.importance,
            "strength": self.strength,
            "pinned": self.pinned,
            "version": self.version,
            "superseded_by": self.superseded_by,
            "sources": list(self.provenance.sources),
            "confidence": self.provenance.confidence,
        }


def content_hash(*parts: str | None) -> str:
    """Stable hash of text parts, used for idempotent writes and the embedding cache."""
    h = hashlib.sha256()
    for part in parts:
        h.update((part or "").encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
