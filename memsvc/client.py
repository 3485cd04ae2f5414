"""The Python SDK: `Memory` (embedded, in-process), `MemoryClient` and `AsyncMemoryClient`
(HTTP, httpx). All three share one definition of every public method (`_Api`): a method
builds the request model once and hands an `_Call` to the transport-specific `_run`, which
either calls the shared handler in-process or sends the request over HTTP. Switching from
embedded to server is a change of constructor.

`AsyncMemoryClient` has the same methods; each returns an awaitable of the same result type.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import httpx
import pydantic
from pydantic import TypeAdapter

from memsvc import handlers, inspection
from memsvc.domain import Scope
from memsvc.domain.auth import Principal
from memsvc.domain.errors import ERRORS_BY_STATUS, MemsvcError, UnavailableError, ValidationError
from memsvc.handlers import ListParams
from memsvc.inspection import ScopeOut
from memsvc.schemas import (
    AddRequest,
    AddResult,
    DeleteResult,
    EntityOut,
    HistoryEntry,
    JobOut,
    JobRequest,
    MessageIn,
    Neighbourhood,
    OutcomeRequest,
    Provenance,
    RevertOut,
    SearchRequest,
    SearchResult,
    StatsOut,
    Unit,
    UnitPage,
    UpdateRequest,
)
from memsvc.schemas.admin import KeyCreated, KeyOut, KeyRequest, PurgeOut, SourceRequest
from memsvc.service import MemoryService
from memsvc.settings import Settings

T = TypeVar("T")
M = TypeVar("M", bound=pydantic.BaseModel)
MessageLike = MessageIn | dict[str, Any]
Local = Callable[[MemoryService, Principal], T]


@dataclass(frozen=True, slots=True)
class _Call(Generic[T]):
    method: str
    path: str
    result: TypeAdapter[T]
    local: Local[T]
    body: pydantic.BaseModel | None = None
    params: dict[str, Any] | None = None


def _build(model: type[M] | TypeAdapter[M], **fields: Any) -> M:
    """Validate a request model, raising memsvc's ValidationError with the field at fault."""
    try:
        if isinstance(model, TypeAdapter):  # a union of models, e.g. one job request per kind
            return model.validate_python(fields)
        return model(**fields)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise ValidationError(f"{field}: {message}", field=field) from exc


class _Api:
    """The public methods, written once for every transport."""

    def _run(self, call: _Call[T]) -> T:
        raise NotImplementedError

    def add(
        self,
        messages: Sequence[MessageLike],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        occurred_at: datetime | None = None,
        extract: Literal["auto", "sync", "async", "off"] = "auto",
        outcome: Literal["success", "failure"] | None = None,
    ) -> AddResult:
        """Remember chat messages as turns of a session (idempotent per client_id/content).
        `outcome` says how the task they record ended (its procedure counts it)."""
        body = _build(
            AddRequest,
            messages=list(messages),
            user_id=user_id,
            agent_id=agent_id,
            session_id=session_id,
            occurred_at=occurred_at,
            extract=extract,
            outcome=outcome,
        )
        return self._run(
            _Call("POST", "/v1/memories", _ADD, lambda s, w: handlers.add(s, w, body), body)
        )

    def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        k: int = 10,
        granularities: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        query_time: datetime | None = None,
        as_of: datetime | None = None,
        mode: Literal["auto", "all", "turn"] = "auto",
        include_archived: bool = False,
        context_budget: int | None = None,
        exclude_retrievers: Sequence[str] = (),
    ) -> SearchResult:
        """Find memories for a query; every hit says which retrievers found it and why."""
        body = _build(
            SearchRequest,
            query=query,
            user_id=user_id,
            agent_id=agent_id,
            session_id=session_id,
            k=k,
            granularities=list(granularities) if granularities else None,
            start=start,
            end=end,
            query_time=query_time,
            as_of=as_of,
            mode=mode,
            include_archived=include_archived,
            context_budget=context_budget,
            exclude_retrievers=list(exclude_retrievers),
        )
        return self._run(
            _Call(
                "POST",
                "/v1/memories/search",
                _SEARCH,
                lambda s, w: handlers.search(s, w, body),
                body,
            )
        )

    def get(self, memory_id: str) -> Unit:
        return self._run(
            _Call(
                "GET",
                f"/v1/memories/{memory_id}",
                _UNIT,
                lambda s, w: handlers.get(s, w, memory_id),
            )
        )

    def list(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        granularities: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> UnitPage:
        """One page of memories, newest first; pass `next_cursor` back for the next page."""
        params = _build(
            ListParams,
            user_id=user_id,
            agent_id=agent_id,
            session_id=session_id,
            granularities=list(granularities) if granularities else None,
            statuses=list(statuses) if statuses else None,
            cursor=cursor,
            limit=limit,
        )
        query = params.model_dump(exclude_none=True)
        return self._run(
            _Call(
                "GET",
                "/v1/memories",
                _PAGE,
                lambda s, w: handlers.list_units(s, w, params),
                params=query,
            )
        )

    def update(
        self,
        memory_id: str,
        *,
        content: str | None = None,
        attributes: dict[str, Any] | None = None,
        importance: float | None = None,
        pinned: bool | None = None,
        occurred_at: datetime | None = None,
        valid_from: datetime | None = None,
        valid_to: datetime | None = None,
        status: Literal["active", "archived"] | None = None,
        reason: str | None = None,
    ) -> Unit:
        """Change a memory: a new version, with a history entry (content re-embedded)."""
        body = _build(
            UpdateRequest,
            content=content,
            attributes=attributes,
            importance=importance,
            pinned=pinned,
            occurred_at=occurred_at,
            valid_from=valid_from,
            valid_to=valid_to,
            status=status,
            reason=reason,
        )
        return self._run(
            _Call(
                "PATCH",
                f"/v1/memories/{memory_id}",
                _UNIT,
                lambda s, w: handlers.update(s, w, memory_id, body),
                body,
            )
        )

    def delete(self, memory_id: str, *, hard: bool = False, cascade: bool = False) -> DeleteResult:
        """Soft delete; `hard` purges text and vectors; `cascade` takes what was derived only
        from this memory (and, for a session, its turns)."""
        return self._run(
            _Call(
                "DELETE",
                f"/v1/memories/{memory_id}",
                _DELETE,
                lambda s, w: handlers.delete(s, w, memory_id, hard, cascade),
                params={"hard": hard, "cascade": cascade},
            )
        )

    def history(self, memory_id: str) -> builtins.list[HistoryEntry]:
        return self._run(
            _Call(
                "GET",
                f"/v1/memories/{memory_id}/history",
                _HISTORY,
                lambda s, w: handlers.history(s, w, memory_id),
            )
        )

    def provenance(self, memory_id: str, *, depth: int = 10) -> Provenance:
        """What a memory came from (down to turns) and what was derived from it."""
        return self._run(
            _Call(
                "GET",
                f"/v1/memories/{memory_id}/provenance",
                _PROVENANCE,
                lambda s, w: handlers.provenance(s, w, memory_id, depth),
                params={"depth": depth},
            )
        )

    # -- jobs ---------------------------------------------------------------------------
    def create_job(
        self,
        kind: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        params: dict[str, Any] | None = None,
        dry_run: bool = False,
    ) -> JobOut:
        """Queue a lifecycle job (extract, consolidate, forget, compress) for a scope."""
        body = _build(
            _JOB_REQUEST,
            kind=kind,
            user_id=user_id,
            agent_id=agent_id,
            session_id=session_id,
            params=params or {},
            dry_run=dry_run,
        )
        return self._run(
            _Call("POST", "/v1/jobs", _JOB, lambda s, w: handlers.create_job(s, w, body), body)
        )

    def list_jobs(
        self, *, kind: str | None = None, status: str | None = None, limit: int = 50
    ) -> builtins.list[JobOut]:
        params = {k: v for k, v in (("kind", kind), ("status", status)) if v}
        return self._run(
            _Call(
                "GET",
                "/v1/jobs",
                _JOBS,
                lambda s, w: handlers.list_jobs(s, w, kind, status, limit),
                params={**params, "limit": limit},
            )
        )

    def get_job(self, job_id: str) -> JobOut:
        return self._run(
            _Call("GET", f"/v1/jobs/{job_id}", _JOB, lambda s, w: handlers.get_job(s, w, job_id))
        )

    def cancel_job(self, job_id: str) -> JobOut:
        return self._run(
            _Call(
                "POST",
                f"/v1/jobs/{job_id}/cancel",
                _JOB,
                lambda s, w: handlers.cancel_job(s, w, job_id),
            )
        )

    def revert_job(self, job_id: str) -> RevertOut:
        """Undo a finished consolidate, compress or forget job exactly (ConflictError if it
        cannot be: not finished, already reverted, purged something, or changed since)."""
        return self._run(
            _Call(
                "POST",
                f"/v1/jobs/{job_id}/revert",
                _REVERT,
                lambda s, w: handlers.revert_job(s, w, job_id),
            )
        )

    def stats(self, *, user_id: str | None = None, agent_id: str | None = None) -> StatsOut:
        """Memory health of a scope: counts by kind/granularity/status, duplicate rate,
        superseded and archived shares, the last job of each kind."""
        params = {k: v for k, v in (("user_id", user_id), ("agent_id", agent_id)) if v}
        return self._run(
            _Call(
                "GET",
                "/v1/stats",
                _STATS,
                lambda s, w: handlers.stats(s, w, user_id, agent_id),
                params=params,
            )
        )

    # -- graph and procedures -------------------------------------------------------------
    def entities(
        self, *, user_id: str | None = None, name: str | None = None, limit: int = 100
    ) -> builtins.list[Unit]:
        """Entities of a scope, optionally matching a name or alias."""
        params = {k: v for k, v in (("user_id", user_id), ("name", name)) if v}
        return self._run(
            _Call(
                "GET",
                "/v1/graph/entities",
                _UNITS,
                lambda s, w: handlers.entities(s, w, user_id, name, limit),
                params={**params, "limit": limit},
            )
        )

    def entity(self, entity_id: str) -> EntityOut:
        """An entity with its outgoing and incoming relations."""
        return self._run(
            _Call(
                "GET",
                f"/v1/graph/entities/{entity_id}",
                _ENTITY,
                lambda s, w: handlers.entity(s, w, entity_id),
            )
        )

    def neighbors(self, entity_id: str, *, depth: int = 1) -> Neighbourhood:
        return self._run(
            _Call(
                "GET",
                "/v1/graph/neighbors",
                _NEIGHBOURS,
                lambda s, w: handlers.neighbours(s, w, entity_id, depth),
                params={"entity_id": entity_id, "depth": depth},
            )
        )

    def record_outcome(
        self, procedure_id: str, outcome: Literal["success", "failure"], notes: str | None = None
    ) -> Unit:
        """Tell memsvc how following a procedure went; updates its success/failure counts."""
        body = _build(OutcomeRequest, outcome=outcome, notes=notes)
        return self._run(
            _Call(
                "POST",
                f"/v1/procedures/{procedure_id}/outcome",
                _UNIT,
                lambda s, w: handlers.record_outcome(s, w, procedure_id, body),
                body,
            )
        )

    # -- inspection -------------------------------------------------------------------------
    def list_scopes(self, *, limit: int = 200) -> builtins.list[ScopeOut]:
        """Users and agents of the tenant with their counts and last activity."""
        return self._run(
            _Call(
                "GET",
                "/v1/scopes",
                _SCOPES,
                lambda s, w: inspection.list_scopes(s, w, limit),
                params={"limit": limit},
            )
        )

    def job_changes(self, job_id: str) -> builtins.list[HistoryEntry]:
        """What a job changed: the history entries it wrote, oldest first."""
        return self._run(
            _Call(
                "GET",
                f"/v1/jobs/{job_id}/changes",
                _HISTORY,
                lambda s, w: inspection.job_changes(s, w, job_id),
            )
        )

    # -- administration (admin keys) --------------------------------------------------------
    def create_key(
        self,
        *,
        role: Literal["admin", "writer", "reader"] = "writer",
        name: str | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
    ) -> KeyCreated:
        """Create an API key of this tenant, optionally narrowed to a user or agent; the
        secret is in the result only."""
        body = _build(KeyRequest, role=role, name=name, user_id=user_id, agent_id=agent_id)
        return self._run(
            _Call(
                "POST", "/v1/keys", _KEY_CREATED, lambda s, w: handlers.create_key(s, w, body), body
            )
        )

    def list_keys(self) -> builtins.list[KeyOut]:
        return self._run(_Call("GET", "/v1/keys", _KEYS, lambda s, w: handlers.list_keys(s, w)))

    def revoke_key(self, key_id: str) -> KeyOut:
        """Revoke a key of this tenant; it stops working at once."""
        return self._run(
            _Call(
                "DELETE", f"/v1/keys/{key_id}", _KEY, lambda s, w: handlers.revoke_key(s, w, key_id)
            )
        )

    def purge_user(self, user_id: str) -> PurgeOut:
        """Forget a user entirely: memories, vectors, lexical entries, history and jobs."""
        return self._purge(f"/v1/users/{user_id}", Scope("", user_id=user_id))

    def purge_agent(self, agent_id: str) -> PurgeOut:
        """Forget an agent's memories entirely."""
        return self._purge(f"/v1/agents/{agent_id}", Scope("", agent_id=agent_id))

    def purge_session(self, session_id: str, *, user_id: str | None = None) -> PurgeOut:
        """Forget a session and what was derived only from it."""
        params = {"user_id": user_id} if user_id else None
        return self._purge(
            f"/v1/sessions/{session_id}", Scope("", user_id, None, session_id), params
        )

    def _purge(self, path: str, scope: Scope, params: dict[str, Any] | None = None) -> PurgeOut:
        def local(s: MemoryService, w: Principal) -> PurgeOut:
            return handlers.purge_scope(s, w, replace(scope, tenant_id=w.tenant_id))

        return self._run(_Call("DELETE", path, _PURGE, local, params=params))

    def purge_by_source(
        self,
        *,
        session_id: str | None = None,
        user_id: str | None = None,
        key_id: str | None = None,
    ) -> PurgeOut:
        """Purge one source (a session's turns, or everything one key wrote) and what was
        derived only from it; memories that also had other sources are recomputed."""
        body = _build(SourceRequest, session_id=session_id, user_id=user_id, key_id=key_id)
        return self._run(
            _Call(
                "POST",
                "/v1/purge/by-source",
                _PURGE,
                lambda s, w: handlers.purge_source(s, w, body),
                body,
            )
        )


_ADD = TypeAdapter(AddResult)
_SEARCH = TypeAdapter(SearchResult)
_UNIT = TypeAdapter(Unit)
_PAGE = TypeAdapter(UnitPage)
_DELETE = TypeAdapter(DeleteResult)
_HISTORY = TypeAdapter(list[HistoryEntry])
_PROVENANCE = TypeAdapter(Provenance)
_JOB = TypeAdapter(JobOut)
_JOB_REQUEST: TypeAdapter[JobRequest] = TypeAdapter(JobRequest)
_JOBS = TypeAdapter(list[JobOut])
_UNITS = TypeAdapter(list[Unit])
_ENTITY = TypeAdapter(EntityOut)
_NEIGHBOURS = TypeAdapter(Neighbourhood)
_REVERT = TypeAdapter(RevertOut)
_STATS = TypeAdapter(StatsOut)
_SCOPES = TypeAdapter(list[ScopeOut])
_KEY = TypeAdapter(KeyOut)
_KEYS = TypeAdapter(list[KeyOut])
_KEY_CREATED = TypeAdapter(KeyCreated)
_PURGE = TypeAdapter(PurgeOut)


class Memory(_Api):
    """memsvc in this process, on the same database a server would use.

    `Memory()` uses the default SQLite store at ~/.memsvc; pass `settings` or the shortcuts
    `database_url` / `data_dir`. `tenant_id` defaults to the dev-mode tenant of the server.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        database_url: str | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        tenant_id: str | None = None,
        embedder: Any = None,
    ) -> None:
        from memsvc.bootstrap import build

        overrides = {k: v for k, v in (("database_url", database_url), ("data_dir", data_dir)) if v}
        base = settings or Settings()
        # Validated again, so that a plain string is a path and `~` is expanded.
        settings = type(base).model_validate({**base.model_dump(), **overrides})
        self._container = build(settings, embedder=embedder)
        self._principal = Principal(tenant_id or settings.default_tenant)

    @property
    def service(self) -> MemoryService:
        return self._container.service

    def _run(self, call: _Call[T]) -> T:
        return call.local(self._container.service, self._principal)

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _request_args(call: _Call[Any]) -> dict[str, Any]:
    args: dict[str, Any] = {"params": call.params}
    if call.body is not None:
        args["content"] = call.body.model_dump_json(exclude_none=True)
        args["headers"] = {"Content-Type": "application/json"}
    return args


def _parse(call: _Call[T], response: httpx.Response) -> T:
    if response.status_code >= 400:
        raise _error(response)
    return call.result.validate_json(response.content)


def _error(response: httpx.Response) -> MemsvcError:
    try:
        body = response.json()["error"]
        message, field = body["message"], body.get("field")
    except (ValueError, KeyError, TypeError):
        message, field = response.text or response.reason_phrase, None
    cls = ERRORS_BY_STATUS.get(response.status_code, MemsvcError)
    return cls(message, field=field)


class MemoryClient(_Api):
    """memsvc over HTTP. `transport` lets tests plug in any httpx transport."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8420",
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url, headers=_headers(api_key), timeout=timeout, transport=transport
        )

    def _run(self, call: _Call[T]) -> T:
        try:
            response = self._http.request(call.method, call.path, **_request_args(call))
        except httpx.TransportError as exc:
            raise UnavailableError(f"cannot reach memsvc at {self._http.base_url}: {exc}") from exc
        return _parse(call, response)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MemoryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncMemoryClient(_Api):
    """memsvc over HTTP with asyncio: the same methods as `MemoryClient`, awaited."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8420",
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=_headers(api_key), timeout=timeout, transport=transport
        )

    def _run(self, call: _Call[T]) -> Awaitable[T]:  # type: ignore[override]
        return self._send(call)

    async def _send(self, call: _Call[T]) -> T:
        try:
            response = await self._http.request(call.method, call.path, **_request_args(call))
        except httpx.TransportError as exc:
            raise UnavailableError(f"cannot reach memsvc at {self._http.base_url}: {exc}") from exc
        return _parse(call, response)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncMemoryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
