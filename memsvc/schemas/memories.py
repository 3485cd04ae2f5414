"""Public models of memories: add, search, units, history and provenance."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from memsvc import domain as d
from memsvc.domain.auth import Principal
from memsvc.schemas.types import (
    WHOLE,
    Count,
    Flag,
    GranularityName,
    Id,
    JsonObject,
    Name32,
    Name256,
    Note,
    Number,
    RequestModel,
    StatusName,
    Text,
    Time,
    check_json,
    limit,
    plain_text,
)


class ToolFunctionIn(RequestModel):
    name: Id
    arguments: str | JsonObject = Field(
        "{}",
        description=(
            "A JSON object, as a string (as OpenAI sends it) or as an object. A string that is "
            "not a JSON object (a model's malformed output) is kept as sent."
        ),
    )

    @field_validator("arguments")
    @classmethod
    def _json_object(cls, value: str | dict[str, Any]) -> str | dict[str, Any]:
        if isinstance(value, dict):
            return value
        try:
            parsed = json.loads(value) if value.strip() else {}
        except ValueError:
            parsed = None
        # Recorded as the agent saw it: a memory of what happened, not a validator of it.
        return check_json(parsed) if isinstance(parsed, dict) else plain_text(value)


class ToolCallIn(RequestModel):
    """One tool call of an assistant message, in OpenAI's shape."""

    id: Id | None = None
    type: Literal["function"] = "function"
    function: ToolFunctionIn


def _present(field: str, kind: str, **bounds: int) -> dict[str, Any]:
    return {"required": [field], "properties": {field: {"type": kind, **bounds}}}


def _absent(field: str, **or_empty: int) -> dict[str, Any]:
    """`field` is missing or null (or, given maxItems=0, an empty list)."""
    empty = [{"type": "null"}, {"type": "array", **or_empty}] if or_empty else [{"type": "null"}]
    return {"properties": {field: {"anyOf": empty}}}


def _role(role: str) -> dict[str, Any]:
    return {"required": ["role"], "properties": {"role": {"const": role}}}


class MessageIn(RequestModel):
    # The schema states what the validators below check, so that clients generated from it
    # (and schemathesis) know the rules: content or tool_calls; tool_calls only on an
    # assistant's message; tool_call_id only on a tool's.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                {
                    "anyOf": [
                        _present("content", "string", minLength=1),
                        _present("tool_calls", "array", minItems=1),
                    ]
                },
                {"anyOf": [_absent("tool_calls", maxItems=0), _role("assistant")]},
                {"anyOf": [_absent("tool_call_id"), _role("tool")]},
            ]
        },
    )

    role: Name32 = "user"
    tool_calls: list[ToolCallIn] | None = Field(
        None, max_length=64, description="An assistant message's tool calls (OpenAI style)."
    )
    content: str | None = Field(
        None,
        validate_default=True,
        description="Required unless the message has tool_calls.",
        json_schema_extra=limit("max_content_chars"),
    )
    speaker: Name256 | None = None
    occurred_at: Time | None = None
    client_id: Id | None = Field(None, description="Makes re-sending this message idempotent.")
    tool_call_id: Id | None = Field(None, description="A tool message: the call it answers.")
    name: Id | None = Field(None, description="The tool (or participant) a message is from.")
    metadata: JsonObject = Field(default_factory=dict)

    @field_validator("tool_calls")
    @classmethod
    def _calls_are_the_assistants(
        cls, value: list[ToolCallIn] | None, info: ValidationInfo
    ) -> list[ToolCallIn] | None:
        role = info.data.get("role")
        if value and role != "assistant":
            raise PydanticCustomError(
                "tool_calls_role",
                "only assistant messages carry tool_calls (role is {role})",
                {"role": repr(role)},
            )
        return value

    @field_validator("content")
    @classmethod
    def _content_or_calls(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value and not info.data.get("tool_calls"):
            raise PydanticCustomError(
                "missing_content",
                "content is required (only an assistant message with tool_calls may omit it)",
            )
        return plain_text(value) if value else value

    @field_validator("tool_call_id")
    @classmethod
    def _answers_a_call(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and info.data.get("role") != "tool":
            raise PydanticCustomError(
                "tool_call_id_role", "only tool messages answer a tool call (set role to 'tool')"
            )
        return value

    def to_domain(self) -> d.Message:
        metadata = dict(self.metadata)
        if self.tool_calls:
            metadata["tool_calls"] = [c.model_dump(exclude_none=True) for c in self.tool_calls]
        if self.tool_call_id:
            metadata["tool_call_id"] = self.tool_call_id
        if self.name:
            metadata["name"] = self.name
        return d.Message(
            role=self.role,
            content=self.content or _calls_text(self.tool_calls or []),
            speaker=self.speaker,
            occurred_at=self.occurred_at,
            client_id=self.client_id,
            metadata=metadata,
        )


def _calls_text(calls: list[ToolCallIn]) -> str:
    """What a turn of tool calls without text says: one `name({arguments})` per call."""
    lines = [f"{c.function.name}({json.dumps(c.function.arguments)})" for c in calls]
    text = "\n".join(lines)
    return text if len(text) <= 2000 else text[:1999] + "…"


class AddRequest(RequestModel):
    messages: list[MessageIn] = Field(min_length=1, json_schema_extra=limit("max_messages"))
    user_id: Id | None = None
    agent_id: Id | None = None
    session_id: Id | None = Field(None, description="Created when absent; returned.")
    occurred_at: Time | None = Field(None, description="Default time of the messages.")
    extract: Literal["auto", "sync", "async", "off"] = Field(
        "auto",
        description="Extraction of facts, entities and procedures: inline (sync), as a job "
        "(async), or off. auto: inline with the offline rules extractor (about 0.25 ms a "
        "turn), as a job with an LLM extractor.",
    )
    outcome: Literal["success", "failure"] | None = Field(
        None, description="How the task these messages record ended (for its procedure)."
    )

    def to_command(self, who: Principal) -> d.AddCommand:
        return d.AddCommand(
            scope=who.scope(self.user_id, self.agent_id, self.session_id),
            messages=[m.to_domain() for m in self.messages],
            occurred_at=self.occurred_at,
            extract=self.extract,
            actor=who.key_id,
            outcome=self.outcome,
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


class SearchRequest(RequestModel):
    query: Text = Field(json_schema_extra=limit("max_query_chars"))
    user_id: Id | None = None
    agent_id: Id | None = None
    session_id: Id | None = None
    k: Count = Field(10, ge=1, json_schema_extra=limit("max_k"))
    granularities: list[GranularityName] | None = None
    start: Time | None = Field(None, description="Only units that occurred at or after this.")
    end: Time | None = Field(None, description="Only units that occurred before this.")
    query_time: Time | None = Field(None, description="'Now' for relative time phrases.")
    as_of: Time | None = Field(None, description="Facts and relations valid at this time.")
    mode: Literal["auto", "all", "turn"] = "auto"
    include_archived: Flag = False
    context_budget: Annotated[int, Strict(), Field(ge=16, le=200_000), WHOLE] | None = None
    exclude_retrievers: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list,
        max_length=32,
        description="Retrievers to leave out (e.g. graph, session, turn.dense), for ablations.",
    )
    profile: Flag = Field(
        False, description="Time each stage of the search: the result's `profile` lists them."
    )

    def to_query(self, who: Principal) -> d.SearchQuery:
        window = d.TimeWindow(self.start, self.end, "request") if self.start or self.end else None
        return d.SearchQuery(
            scope=who.scope(self.user_id, self.agent_id, self.session_id),
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
            profile=self.profile,
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


class ContextItemOut(BaseModel):
    """A unit in the packed context (its text carries `[#<last 8 of the id>]`)."""

    unit_id: str
    granularity: GranularityName
    sources: list[str]


class StepOut(BaseModel):
    """One stage of a profiled search. A stage inside another is named by its path
    ("turn/dense") and counts in its parent's time too."""

    name: str
    ms: float = Field(description="Wall time in milliseconds, all its calls together.")
    statements: int = Field(description="Database statements it sent (BEGIN included).")
    calls: int


class SearchResult(BaseModel):
    hits: list[Hit]
    route: RouteOut
    time_window: TimeWindowOut | None
    context: str | None = None
    context_items: list[ContextItemOut] = Field(
        default_factory=list, description="What the packed context holds, in its order."
    )
    profile: list[StepOut] | None = Field(
        None,
        description="With `profile`: the whole search (`search`, measured in the service) "
        "and then each stage in the order it started: embed, the retrievers and their dense "
        "and lexical lists, route, fuse, load (reading the hits), hits.",
    )

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
            context_items=[
                ContextItemOut(
                    unit_id=i.unit_id, granularity=i.granularity, sources=list(i.sources)
                )
                for i in result.context_items
            ],
            profile=[
                StepOut(name=p.name, ms=p.ms, statements=p.statements, calls=p.calls)
                for p in result.profile
            ]
            if result.profile is not None
            else None,
        )


class UnitPage(BaseModel):
    items: list[Unit]
    next_cursor: str | None

    @classmethod
    def from_domain(cls, page: d.Page) -> UnitPage:
        return cls(items=[Unit.from_domain(u) for u in page.items], next_cursor=page.next_cursor)


class UpdateRequest(RequestModel):
    content: Text | None = Field(None, json_schema_extra=limit("max_content_chars"))
    attributes: JsonObject | None = None
    importance: Number | None = Field(None, ge=0.0, le=1.0)
    pinned: Flag | None = None
    occurred_at: Time | None = None
    valid_from: Time | None = None
    valid_to: Time | None = None
    status: Literal["active", "archived"] | None = None
    reason: Note | None = None

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
