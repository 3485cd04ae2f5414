"""memsvc's memory tools for MCP: each is one or a few SDK calls, with the answer shaped for an
agent to read. The transport decides which SDK object serves a call (`SdkFor`): one embedded
`memsvc.Memory` or `MemoryClient` over stdio, the caller's tenant over HTTP.

Scope: a tool's `user_id` / `agent_id` arguments, else the server's configured ones
(`McpSettings`, e.g. `memsvc mcp --user-id alice`); the tenant is the server's (stdio) or
the API key's (HTTP). `forget` and `memory_history` only reach memories of that scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from memsvc.client import _Api as Sdk  # the SDK's methods, whichever transport serves them
from memsvc.domain.errors import MemsvcError, NotFoundError
from memsvc.schemas import GranularityName, Hit, Unit
from memsvc.settings import McpSettings

SdkFor = Callable[[Context], Sdk]

UserId = Annotated[str | None, Field(description="Whose memory (default: the server's user)")]
AgentId = Annotated[str | None, Field(description="Which agent's memory (default: the server's)")]
SessionId = Annotated[str | None, Field(description="A conversation/session id")]


class MessageArg(BaseModel):
    role: str = Field("user", description="user, assistant, ...")
    content: str
    speaker: str | None = Field(None, description="The speaker's name, if known")


class MemoryOut(BaseModel):
    id: str
    granularity: str
    content: str
    user_id: str | None
    agent_id: str | None
    session_id: str | None
    occurred_at: datetime | None
    status: str
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    @classmethod
    def of(cls, unit: Unit) -> MemoryOut:
        return cls.model_validate(unit, from_attributes=True)


class RememberOut(BaseModel):
    session_id: str
    stored: int = Field(description="New messages stored")
    duplicates: int = Field(description="Messages already stored (idempotent)")
    memory_ids: list[str]
    extraction: str = Field(description="'queued' (facts follow in the background) or 'off'")
    job_id: str | None


class RecallHit(BaseModel):
    id: str
    granularity: str
    content: str
    score: float
    occurred_at: datetime | None
    found_by: list[str] = Field(description="Retrievers that found it, with their rank")
    matched_key: str | None = Field(description="The fact or statement that matched, if any")


class RecallOut(BaseModel):
    context: str | None = Field(description="The memories packed for a prompt, with their ids")
    hits: list[RecallHit]
    route: str
    why: list[str] = Field(description="Why the router searched the way it did")


class ForgetOut(BaseModel):
    deleted: list[str]


class Change(BaseModel):
    version: int
    operation: str
    at: datetime
    actor: str | None
    reason: str | None
    before: str | None
    after: str | None


class HistoryOut(BaseModel):
    memory: MemoryOut
    changes: list[Change]


class ListOut(BaseModel):
    memories: list[MemoryOut]
    next_cursor: str | None


class RelationOut(BaseModel):
    id: str
    source: str | None
    label: str | None
    target: str | None
    status: str
    valid_from: datetime | None
    valid_to: datetime | None


class EntityOut(BaseModel):
    id: str
    name: str
    type: str | None
    aliases: list[str]
    relations: list[RelationOut]


class GraphOut(BaseModel):
    entities: list[EntityOut]


class MemoryTools:
    """The six tools, over whichever SDK object `sdk_for` gives for a call."""

    def __init__(self, sdk_for: SdkFor, settings: McpSettings) -> None:
        self._sdk_for = sdk_for
        self._settings = settings

    def register(self, server: MCPServer) -> None:
        for tool in (
            self.remember,
            self.recall,
            self.forget,
            self.memory_history,
            self.list_memories,
            self.search_graph,
        ):
            server.add_tool(tool)

    def remember(
        self,
        ctx: Context,
        content: Annotated[str | None, Field(description="One message to remember")] = None,
        messages: Annotated[list[MessageArg] | None, Field(description="Or several")] = None,
        user_id: UserId = None,
        agent_id: AgentId = None,
        session_id: SessionId = None,
        occurred_at: Annotated[datetime | None, Field(description="When it was said")] = None,
    ) -> RememberOut:
        """Remember what was said: the messages are stored verbatim at once; facts, entities
        and relations are extracted from them in the background."""
        if (content is None) == (messages is None):
            raise ToolError("give either content (one message) or messages (a list)")
        given = [MessageArg(content=content)] if content is not None else messages or []
        user_id, agent_id = self._scope(user_id, agent_id)
        with _tool_errors():
            result = self._sdk_for(ctx).add(
                [m.model_dump(exclude_none=True) for m in given],
                user_id=user_id,
                agent_id=agent_id,
                session_id=session_id,
                occurred_at=occurred_at,
                extract=self._settings.extract,
            )
        return RememberOut(
            session_id=result.session_id,
            stored=result.created,
            duplicates=result.duplicates,
            memory_ids=[u.id for u in result.memories],
            extraction=result.extraction,
            job_id=result.job_id,
        )

    def recall(
        self,
        ctx: Context,
        query: Annotated[str, Field(description="What to recall, in plain words")],
        user_id: UserId = None,
        agent_id: AgentId = None,
        session_id: SessionId = None,
        k: Annotated[int, Field(ge=1, le=50, description="How many memories")] = 8,
    ) -> RecallOut:
        """Recall memories for a question: a context packed for the prompt, the hits with
        their ids, and why the search went the way it did."""
        user_id, agent_id = self._scope(user_id, agent_id)
        with _tool_errors():
            result = self._sdk_for(ctx).search(
                query,
                user_id=user_id,
                agent_id=agent_id,
                session_id=session_id,
                k=k,
                context_budget=self._settings.recall_budget,
            )
        return RecallOut(
            context=result.context,
            hits=[_hit(h) for h in result.hits],
            route=result.route.name,
            why=result.route.reasons,
        )

    def forget(
        self,
        ctx: Context,
        memory_id: Annotated[str, Field(description="The id of the memory to forget")],
        user_id: UserId = None,
        agent_id: AgentId = None,
    ) -> ForgetOut:
        """Forget one memory (and what was derived only from it); its history is kept."""
        sdk = self._sdk_for(ctx)
        with _tool_errors():
            self._in_scope(sdk.get(memory_id), user_id, agent_id)
            return ForgetOut(deleted=sdk.delete(memory_id, cascade=True).deleted)

    def memory_history(
        self,
        ctx: Context,
        memory_id: Annotated[str, Field(description="The id of a memory")],
        user_id: UserId = None,
        agent_id: AgentId = None,
    ) -> HistoryOut:
        """How a memory changed over time: each version, what did it and why."""
        sdk = self._sdk_for(ctx)
        with _tool_errors():
            unit = self._in_scope(sdk.get(memory_id), user_id, agent_id)
            entries = sdk.history(memory_id)
        changes = [
            Change(
                version=e.version,
                operation=e.operation,
                at=e.created_at,
                actor=e.actor,
                reason=e.reason,
                before=(e.before or {}).get("content"),
                after=(e.after or {}).get("content"),
            )
            for e in entries
        ]
        return HistoryOut(memory=MemoryOut.of(unit), changes=changes)

    def list_memories(
        self,
        ctx: Context,
        user_id: UserId = None,
        agent_id: AgentId = None,
        session_id: SessionId = None,
        granularities: Annotated[
            list[GranularityName] | None, Field(description="e.g. ['fact'] (default: all)")
        ] = None,
        cursor: Annotated[str | None, Field(description="next_cursor of the last page")] = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 20,
    ) -> ListOut:
        """List memories, newest first, one page at a time."""
        user_id, agent_id = self._scope(user_id, agent_id)
        with _tool_errors():
            page = self._sdk_for(ctx).list(
                user_id=user_id,
                agent_id=agent_id,
                session_id=session_id,
                granularities=granularities,
                cursor=cursor,
                limit=limit,
            )
        return ListOut(memories=[MemoryOut.of(u) for u in page.items], next_cursor=page.next_cursor)

    def search_graph(
        self,
        ctx: Context,
        query: Annotated[str, Field(description="Names or words of what to look up")],
        user_id: UserId = None,
        agent_id: AgentId = None,
        limit: Annotated[int, Field(ge=1, le=20, description="How many entities")] = 5,
    ) -> GraphOut:
        """Entities (people, places, organisations, ...) matching the query, each with its
        relations in time (e.g. works_at, lives_in; superseded ones carry valid_to)."""
        user_id, agent_id = self._scope(user_id, agent_id)
        sdk = self._sdk_for(ctx)
        with _tool_errors():
            hits = sdk.search(
                query,
                user_id=user_id,
                agent_id=agent_id,
                k=limit * 2,
                granularities=["entity", "relation"],
            ).hits
            return GraphOut(entities=[_entity(sdk, i) for i in _entity_ids(hits)[:limit]])

    # -- helpers ----------------------------------------------------------------------------
    def _scope(self, user_id: str | None, agent_id: str | None) -> tuple[str | None, str | None]:
        return user_id or self._settings.user_id, agent_id or self._settings.agent_id

    def _in_scope(self, unit: Unit, user_id: str | None, agent_id: str | None) -> Unit:
        user_id, agent_id = self._scope(user_id, agent_id)
        if (user_id and unit.user_id != user_id) or (agent_id and unit.agent_id != agent_id):
            raise NotFoundError(f"memory {unit.id} not found in this scope", field="memory_id")
        return unit


@contextmanager
def _tool_errors() -> Iterator[None]:
    """memsvc's typed errors as tool errors the model reads (not a crash)."""
    try:
        yield
    except MemsvcError as exc:
        field = f" ({exc.field})" if exc.field else ""
        raise ToolError(f"{type(exc).__name__}{field}: {exc.message}") from exc


def _hit(hit: Hit) -> RecallHit:
    return RecallHit(
        id=hit.memory.id,
        granularity=hit.granularity,
        content=hit.memory.content,
        score=hit.score,
        occurred_at=hit.memory.occurred_at,
        found_by=[f"{v.retriever}#{v.rank}" for v in hit.retrievers],
        matched_key=hit.matched_key,
    )


def _entity_ids(hits: list[Hit]) -> list[str]:
    """Entities in hit order: the entities found, and the ends of the relations found."""
    ids: dict[str, None] = {}
    for hit in hits:
        unit = hit.memory
        if unit.granularity == "entity":
            ids[unit.id] = None
        for end in ("source_id", "target_id"):
            if unit.granularity == "relation" and unit.attributes.get(end):
                ids[str(unit.attributes[end])] = None
    return list(ids)


def _entity(sdk: Sdk, entity_id: str) -> EntityOut:
    view = sdk.entity(entity_id)
    attrs: dict[str, Any] = view.entity.attributes
    return EntityOut(
        id=view.entity.id,
        name=str(attrs.get("name") or view.entity.content),
        type=attrs.get("type"),
        aliases=list(attrs.get("aliases") or []),
        relations=[_relation(r) for r in [*view.outgoing, *view.incoming]],
    )


def _relation(unit: Unit) -> RelationOut:
    attrs = unit.attributes
    return RelationOut(
        id=unit.id,
        source=attrs.get("source"),
        label=attrs.get("label"),
        target=attrs.get("target"),
        status=unit.status,
        valid_from=unit.valid_from,
        valid_to=unit.valid_to,
    )
