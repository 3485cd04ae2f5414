"""Public data models (pydantic), shared by the REST API, `memsvc.Memory` and the HTTP clients,
so every entrypoint takes and returns exactly the same types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from memsvc import domain as d


def _utc(value: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC; aware ones are converted to UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Time = Annotated[datetime, AfterValidator(_utc)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=256, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(min_length=1)]
GranularityName = Literal["turn", "session", "topic", "fact", "entity", "relation", "procedure"]
StatusName = Literal["active", "superseded", "archived", "deleted"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MessageIn(_Model):
    role: Annotated[str, StringConstraints(min_length=1, max_length=32)] = "user"
    content: Text
    speaker: Annotated[str, StringConstraints(max_length=256)] | None = None
    occurred_at: Time | None = None
    client_id: Id | None = Field(None, description="Makes re-sending this message idempotent.")
    metadata: dict[str, Any] = Field(default_factory=dict)

    def to_domain(self) -> d.Message:
        return d.Message(
            role=self.role,
            content=self.content,
            speaker=self.speaker,
            occurred_at=self.occurred_at,
            client_id=self.client_id,
            metadata=self.metadata,
        )


class AddRequest(_Model):
    messages: list[MessageIn] = Field(min_length=1)
    user_id: Id | None = None
    agent_id: Id | None = None
    session_id: Id | None = Field(None, description="Created when absent; returned.")
    occurred_at: Time | None = Field(None, description="Default time of the messages.")
    extract: Literal["sync", "async", "off"] = "off"

    def to_command(self, tenant_id: str, actor: str | None) -> d.AddCommand:
        return d.AddCommand(
            scope=d.Scope(tenant_id, self.user_id, self.agent_id, self.session_id),
            messages=[m.to_domain() for m in self.messages],
            occurred_at=self.occurred_at,
            extract=self.extract,
            actor=actor,
        )


class Unit(BaseModel):
    """A stored memory unit, as every entrypoint returns it."""

    id: str
    kind: str
    granularity: GranularityName
    content: str
    attributes: dict[str, Any]
    tenant_id: str
    user_id: str | None
    agent_id: str | None
    session_id: str | None
    occurred_at: datetime | None
    valid_from: datetime | None
    valid_to: datetime | None
    created_at: datetime
    updated_at: datetime
    last_accessed_at: datetime | None
    access_count: int
    status: StatusName
    importance: float
    strength: float
    pinned: bool
    version: int
    superseded_by: str | None
    sources: list[str]
    origin: str
    producer: str
    confidence: float
    actor: str | None

    @classmethod
    def from_domain(cls, unit: d.MemoryUnit) -> Unit:
        p = unit.provenance
        return cls(
            id=unit.id,
            kind=unit.kind.value,
            granularity=unit.granularity.value,
            content=unit.content,
            attributes=unit.attributes,
            tenant_id=unit.scope.tenant_id,
            user_id=unit.scope.user_id,
            agent_id=unit.scope.agent_id,
            session_id=unit.scope.session_id,
            occurred_at=unit.occurred_at,
            valid_from=unit.valid_from,
            valid_to=unit.valid_to,
            created_at=unit.created_at,
            updated_at=unit.updated_at,
            last_accessed_at=unit.last_accessed_at,
            access_count=unit.access_count,
            status=unit.status.value,
            importance=unit.importance,
            strength=unit.strength,
            pinned=unit.pinned,
            version=unit.version,
            superseded_by=unit.superseded_by,
            sources=list(p.sources),
            origin=p.origin.value,
            producer=p.producer,
            confidence=p.confidence,
            actor=p.actor,
        )


class AddResult(BaseModel):
    session_id: str
    created: int
    duplicates: int
    memories: list[Unit]
    extraction: str = "off"
    job_id: str | None = None

    @classmethod
    def from_domain(cls, result: d.AddResult) -> AddResult:
        return cls(
            session_id=result.session_id,
            created=result.created,
            duplicates=result.duplicates,
            memories=[Unit.from_domain(u) for u in result.turns],
            extraction=result.extraction,
            job_id=result.job_id,
        )


class SearchRequest(_Model):
    query: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    user_id: Id | None = None
    agent_id: Id | None = None
    session_id: Id | None = None
    k: int = Field(10, ge=1, le=1000)
    granularities: list[GranularityName] | None = None
    start: Time | None = Field(None, description="Only units that occurred at or after this.")
    end: Time | None = Field(None, description="Only units that occurred before this.")
    query_time: Time | None = Field(None, description="'Now' for relative time phrases.")
    as_of: Time | None = Field(None, description="Facts and relations valid at this time.")
    mode: Literal["auto", "all", "turn"] = "auto"
    include_archived: bool = False
    context_budget: int | None = Field(None, ge=16, le=200_000)
    exclude_retrievers: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list,
        max_length=32,
        description="Retrievers to leave out (e.g. graph, session, turn.dense), for ablations.",
    )

    def to_query(self, tenant_id: str) -> d.SearchQuery:
        window = d.TimeWindow(self.start, self.end, "request") if self.start or self.end else None
        return d.SearchQuery(
            scope=d.Scope(tenant_id, self.user_id, self.agent_id, self.session_id),
            text=self.query,
            k=self.k,
            granularities=tuple(d.Granularity(g) for g in self.granularities)
            if self.granularities
            else None,
            time_window=window,
            query_time=self.query_time,
            as_of=self.as_of,
            mode=self.mode,
            include_archived=self.include_archived,
            context_budget=self.context_budget,
            exclude=tuple(self.exclude_retrievers),
        )


class RetrieverVote(BaseModel):
    retriever: str
    rank: int
    score: float


class TimeWindowOut(BaseModel):
    start: datetime | None
    end: datetime | None
    source: str | None

    @classmethod
    def from_domain(cls, window: d.TimeWindow | None) -> TimeWindowOut | None:
        return cls(start=window.start, end=window.end, source=window.source) if window else None


class Hit(BaseModel):
    memory: Unit
    score: float
    rank: int
    granularity: GranularityName
    retrievers: list[RetrieverVote]
    matched_key: str | None
    time_window: TimeWindowOut | None
    provenance: list[str]

    @classmethod
    def from_domain(cls, hit: d.Hit) -> Hit:
        return cls(
            memory=Unit.from_domain(hit.unit),
            score=hit.score,
            rank=hit.rank,
            granularity=hit.granularity.value,
            retrievers=[
                RetrieverVote(retriever=v.retriever, rank=v.rank, score=v.score)
                for v in hit.retrievers
            ],
            matched_key=hit.matched_key,
            time_window=TimeWindowOut.from_domain(hit.time_window),
            provenance=hit.provenance,
        )


class RouteOut(BaseModel):
    name: str
    weights: dict[str, float]
    reasons: list[str]
    features: dict[str, Any]


class SearchResult(BaseModel):
    hits: list[Hit]
    route: RouteOut
    time_window: TimeWindowOut | None
    context: str | None = None

    @classmethod
    def from_domain(cls, result: d.SearchResult) -> SearchResult:
        route = result.route
        return cls(
            hits=[Hit.from_domain(h) for h in result.hits],
            route=RouteOut(
                name=route.name,
                weights=route.weights,
                reasons=route.reasons,
                features=route.features,
            ),
            time_window=TimeWindowOut.from_domain(result.time_window),
            context=result.context,
        )


class UnitPage(BaseModel):
    items: list[Unit]
    next_cursor: str | None

    @classmethod
    def from_domain(cls, page: d.Page) -> UnitPage:
        return cls(items=[Unit.from_domain(u) for u in page.items], next_cursor=page.next_cursor)


class UpdateRequest(_Model):
    content: Text | None = None
    attributes: dict[str, Any] | None = None
    importance: float | None = Field(None, ge=0.0, le=1.0)
    pinned: bool | None = None
    occurred_at: Time | None = None
    valid_from: Time | None = None
    valid_to: Time | None = None
    status: Literal["active", "archived"] | None = None
    reason: Annotated[str, StringConstraints(max_length=1000)] | None = None

    def to_command(self, actor: str | None) -> d.UpdateCommand:
        return d.UpdateCommand(
            content=self.content,
            attributes=self.attributes,
            importance=self.importance,
            pinned=self.pinned,
            occurred_at=self.occurred_at,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            status=d.Status(self.status) if self.status else None,
            reason=self.reason,
            actor=actor,
        )


class DeleteResult(BaseModel):
    deleted: list[str]
    hard: bool


class HistoryEntry(BaseModel):
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

    @classmethod
    def from_domain(cls, entry: d.HistoryEntry) -> HistoryEntry:
        return cls(
            id=entry.id,
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


class Edge(BaseModel):
    derived_id: str
    source_id: str


class Provenance(BaseModel):
    """A unit with everything it came from and everything derived from it."""

    memory: Unit
    sources: list[Unit]
    derived: list[Unit]
    edges: list[Edge]

    @classmethod
    def from_domain(cls, view: d.ProvenanceView) -> Provenance:
        return cls(
            memory=Unit.from_domain(view.unit),
            sources=[Unit.from_domain(u) for u in view.sources],
            derived=[Unit.from_domain(u) for u in view.derived],
            edges=[Edge(derived_id=a, source_id=b) for a, b in view.edges],
        )


class ErrorBody(BaseModel):
    type: str
    message: str
    field: str | None = None
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class JobRequest(_Model):
    kind: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    user_id: Id | None = None
    agent_id: Id | None = None
    session_id: Id | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    dry_run: bool = False

    def scope(self, tenant_id: str) -> d.Scope:
        return d.Scope(tenant_id, self.user_id, self.agent_id, self.session_id)


class JobOut(BaseModel):
    id: str
    kind: str
    user_id: str | None
    agent_id: str | None
    session_id: str | None
    params: dict[str, Any]
    status: str
    dry_run: bool
    progress: float
    counts: dict[str, Any]
    error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_domain(cls, job: Any) -> JobOut:
        return cls(
            id=job.id,
            kind=job.kind,
            user_id=job.scope.user_id,
            agent_id=job.scope.agent_id,
            session_id=job.scope.session_id,
            params=job.params,
            status=str(job.status),
            dry_run=job.dry_run,
            progress=job.progress,
            counts=job.counts,
            error=job.error,
            attempts=job.attempts,
            created_at=job.created_at,
            updated_at=job.updated_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class EntityOut(BaseModel):
    """An entity with the relations that leave it and that point at it."""

    entity: Unit
    outgoing: list[Unit]
    incoming: list[Unit]


class Neighbourhood(BaseModel):
    entities: list[Unit]
    relations: list[Unit]


class OutcomeRequest(_Model):
    outcome: Literal["success", "failure"]
    notes: Annotated[str, StringConstraints(max_length=2000)] | None = None


class RevertOut(BaseModel):
    """The reverted job (its counts now say when and by whom) and what the revert did."""

    job: JobOut
    restored: int = Field(description="Memories set back to their state before the job.")
    removed: int = Field(description="Memories the job had created, removed again.")


class StatsOut(BaseModel):
    """Memory health of a scope."""

    user_id: str | None
    agent_id: str | None
    total: int
    by_kind: dict[str, int]
    by_granularity: dict[str, int]
    by_status: dict[str, int]
    by_granularity_status: dict[str, dict[str, int]]
    active_facts: int
    duplicate_pairs: int = Field(description="Pairs of active facts above the merge threshold.")
    duplicate_rate: float = Field(description="Share of active facts with a near-duplicate.")
    duplicate_sampled: bool
    superseded_share: float = Field(description="Superseded among memories not deleted.")
    archived_share: float = Field(description="Archived among memories not deleted.")
    last_jobs: dict[str, JobOut | None]

    @classmethod
    def from_domain(cls, stats: Any) -> StatsOut:
        return cls(
            user_id=stats.scope.user_id,
            agent_id=stats.scope.agent_id,
            total=stats.total,
            by_kind=stats.by_kind,
            by_granularity=stats.by_granularity,
            by_status=stats.by_status,
            by_granularity_status=stats.by_granularity_status,
            active_facts=stats.active_facts,
            duplicate_pairs=stats.duplicate_pairs,
            duplicate_rate=stats.duplicate_rate,
            duplicate_sampled=stats.duplicate_sampled,
            superseded_share=stats.superseded_share,
            archived_share=stats.archived_share,
            last_jobs={k: JobOut.from_domain(j) if j else None for k, j in stats.last_jobs.items()},
        )
