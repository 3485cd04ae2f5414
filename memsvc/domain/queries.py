"""Commands, queries and results that cross the service boundary (inside the process)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from memsvc.domain.probe import Step
from memsvc.domain.units import Granularity, MemoryUnit, Scope, Status

ExtractMode = Literal["auto", "sync", "async", "off"]
SearchMode = Literal["auto", "all", "turn"]


@dataclass(slots=True)
class Message:
    """One chat message to remember. `client_id` makes re-sending it idempotent."""

    role: str
    content: str
    speaker: str | None = None
    occurred_at: datetime | None = None
    client_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class AddCommand:
    scope: Scope
    messages: list[Message]
    occurred_at: datetime | None = None
    extract: ExtractMode = "auto"
    actor: str | None = None
    # How the task the messages record ended; kept on the last message (its procedure's run).
    outcome: Literal["success", "failure"] | None = None


@dataclass(slots=True)
class AddResult:
    session_id: str
    turns: list[MemoryUnit]
    created: int
    duplicates: int
    extraction: str = "off"
    job_id: str | None = None
    created_ids: list[str] = field(default_factory=list)  # the turns this add stored


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A half-open interval [start, end) on `occurred_at`; either side may be open."""

    start: datetime | None = None
    end: datetime | None = None
    source: str | None = None  # the query phrase it came from, when parsed

    def contains(self, when: datetime | None) -> bool:
        if when is None:
            return False
        return (self.start is None or when >= self.start) and (self.end is None or when < self.end)


@dataclass(slots=True)
class SearchQuery:
    scope: Scope
    text: str
    k: int = 10
    granularities: tuple[Granularity, ...] | None = None
    time_window: TimeWindow | None = None
    query_time: datetime | None = None
    as_of: datetime | None = None
    mode: SearchMode = "auto"
    include_archived: bool = False
    context_budget: int | None = None
    # Retrievers to leave out of the route (ablations and debugging), e.g. ("graph",).
    exclude: tuple[str, ...] = ()
    profile: bool = False  # time each stage of this search (SearchResult.profile)


@dataclass(frozen=True, slots=True)
class RetrieverRank:
    """One retriever's vote for a hit: which retriever, at what rank (1-based), what score."""

    retriever: str
    rank: int
    score: float


@dataclass(slots=True)
class Hit:
    unit: MemoryUnit
    score: float
    rank: int
    retrievers: list[RetrieverRank] = field(default_factory=list)
    matched_key: str | None = None
    time_window: TimeWindow | None = None

    @property
    def granularity(self) -> Granularity:
        return self.unit.granularity

    @property
    def provenance(self) -> list[str]:
        return list(self.unit.provenance.sources)


@dataclass(slots=True)
class Route:
    """Which retrievers ran with which weights, and why."""

    name: str
    weights: dict[str, float]
    reasons: list[str] = field(default_factory=list)
    features: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ContextItem:
    """One unit in a packed context, with the units it was derived from."""

    unit_id: str
    granularity: Granularity
    sources: tuple[str, ...] = ()


@dataclass(slots=True)
class SearchResult:
    hits: list[Hit]
    route: Route
    time_window: TimeWindow | None = None
    context: str | None = None
    context_items: list[ContextItem] = field(default_factory=list)
    # With `profile`: the search ("search") and then each stage, in the order they started.
    profile: list[Step] | None = None


@dataclass(slots=True)
class ListQuery:
    scope: Scope
    granularities: tuple[Granularity, ...] | None = None
    statuses: tuple[Status, ...] = (Status.ACTIVE,)
    cursor: str | None = None
    limit: int = 50
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    valid_at: datetime | None = None  # facts and relations valid then (as-of)


@dataclass(frozen=True, slots=True)
class SourceFilter:
    """One source of memories, to purge with what was derived only from it: the turns of a
    session (of `user_id`, when given), or everything one API key (`actor`) wrote."""

    session_id: str | None = None
    user_id: str | None = None
    actor: str | None = None


@dataclass(slots=True)
class Page:
    items: list[MemoryUnit]
    next_cursor: str | None


@dataclass(slots=True)
class UpdateCommand:
    """Fields to change; None leaves a field as it is."""

    content: str | None = None
    attributes: dict[str, Any] | None = None
    importance: float | None = None
    pinned: bool | None = None
    occurred_at: datetime | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    status: Status | None = None
    reason: str | None = None
    actor: str | None = None


@dataclass(slots=True)
class HistoryEntry:
    id: str
    unit_id: str
    version: int
    operation: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor: str | None
    reason: str | None
    job_id: str | None
    created_at: datetime


@dataclass(slots=True)
class ProvenanceView:
    """A unit with everything it came from and everything derived from it (transitively)."""

    unit: MemoryUnit
    sources: list[MemoryUnit]
    derived: list[MemoryUnit]
    edges: list[tuple[str, str]]  # (derived unit id, source unit id)
