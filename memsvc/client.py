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
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import httpx
import pydantic
from pydantic import TypeAdapter

from memsvc import handlers, inspection, transfer_handlers
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
from memsvc.schemas.transfer import ExportParams, ImportResult
from memsvc.service import MemoryService
from memsvc.settings import Settings
from memsvc.transfer_io import NDJSON, ImportFormat, LineSource, chunks, line_source

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
    content: bytes | None = None  # a raw body (an import's lines), sent as NDJSON


@dataclass(frozen=True, slots=True)
class _Stream:
    """A GET whose answer is read a line at a time (an export)."""

    path: str
    params: dict[str, Any]
    local: Local[Iterator[str]]


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

    def _stream(self, call: _Stream) -> Iterator[str]:
        raise NotImplementedError

    def _run_all(self, calls: Iterable[_Call[ImportResult]], each: _Each) -> ImportResult:
        """Run calls one after the other (an import sent in parts); their results summed."""
        results = []
        for call in calls:
            results.append(self._run(call))
            if each is not None:
                each(results[-1])
        return _summed(results)

    def _import_calls(
        self, lines: LineSource, fmt: ImportFormat, progress: _Progress, chunk_bytes: int
    ) -> tuple[Iterable[_Call[ImportResult]], _Each]:
        """In-process: one call over the whole input (the service reports each batch)."""

        def local(s: MemoryService, w: Principal) -> ImportResult:
            return transfer_handlers.import_(s, w, lines, fmt, progress)

        return [_Call("POST", "/v1/import", _IMPORT, local)], None

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
        profile: bool = False,
    ) -> SearchResult:
        """Find memories for a query; every hit says which retrievers found it and why.
        `profile=True` adds where the search spent its time (`result.profile`)."""
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
            profile=profile,
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

    # -- export and import (admin keys) -----------------------------------------------------
    def export(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
    ) -> Iterator[str]:
        """The export file of a user's, agent's or session's memories (none given: the whole
        tenant), a line at a time, each ending with a newline: a header, then every memory
        in any state, oldest first, with provenance, history and idempotency key. Vectors
        are not exported: an import embeds the text again. Write the lines to a file and
        give it to `import_` of another deployment."""
        params = _build(ExportParams, user_id=user_id, agent_id=agent_id, session_id=session_id)
        return self._stream(
            _Stream(
                "/v1/export",
                params.model_dump(exclude_none=True),
                lambda s, w: transfer_handlers.export(s, w, params),
            )
        )

    def import_(
        self,
        source: str | os.PathLike[str] | Sequence[str],
        *,
        format: ImportFormat = "memsvc",
        progress: Callable[[int], None] | None = None,
        chunk_bytes: int = 3_000_000,
    ) -> ImportResult:
        """Import an export file (a path, `.gz` too, or its lines) into this tenant, or
        with `format="mem0"` a mem0 export (`Memory.get_all()` output) as facts. Every line
        is checked before anything is written; memories present already (by id) are
        skipped, so importing again continues an import that stopped. `progress` hears how
        many memories each step took. Over HTTP the file goes in requests of at most
        `chunk_bytes` (keep it under the server's body limit), each checked and written
        on its own."""
        lines = line_source(source)
        calls, each = self._import_calls(lines, format, progress, chunk_bytes)
        return self._run_all(calls, each)

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
_IMPORT = TypeAdapter(ImportResult)
_Progress = Callable[[int], None] | None
_Each = Callable[[ImportResult], None] | None


def _summed(results: Sequence[ImportResult]) -> ImportResult:
    fields = ImportResult.model_fields
    return ImportResult(**{f: sum(getattr(r, f) for r in results) for f in fields})


def _http_import_calls(
    lines: LineSource, fmt: ImportFormat, progress: _Progress, chunk_bytes: int
) -> tuple[Iterator[_Call[ImportResult]], _Each]:
    """The requests of an import over HTTP: the input is checked here first (the same
    checks the server makes), then sent in parts under `chunk_bytes`."""
    transfer_handlers.check_input(lines, fmt)

    def remote(s: MemoryService, w: Principal) -> ImportResult:
        raise NotImplementedError("sent over HTTP")

    calls = (
        _Call("POST", "/v1/import", _IMPORT, remote, params={"format": fmt}, content=body)
        for body in chunks(lines, fmt, chunk_bytes)
    )
    each = (lambda r: progress(r.read)) if progress is not None else None
    return calls, each


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

    def _stream(self, call: _Stream) -> Iterator[str]:
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
    elif call.content is not None:
        args["content"] = call.content
        args["headers"] = {"Content-Type": NDJSON}
    return args


def _lines_of(response: httpx.Response) -> Iterator[str]:
    try:
        for line in response.iter_lines():
            if line:
                yield line + "\n"
    finally:
        response.close()


async def _alines_of(response: httpx.Response) -> AsyncIterator[str]:
    try:
        async for line in response.aiter_lines():
            if line:
                yield line + "\n"
    finally:
        await response.aclose()


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

    def _stream(self, call: _Stream) -> Iterator[str]:
        request = self._http.build_request("GET", call.path, params=call.params)
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise UnavailableError(f"cannot reach memsvc at {self._http.base_url}: {exc}") from exc
        if response.status_code >= 400:
            response.read()
            response.close()
            raise _error(response)
        return _lines_of(response)

    def _import_calls(
        self, lines: LineSource, fmt: ImportFormat, progress: _Progress, chunk_bytes: int
    ) -> tuple[Iterable[_Call[ImportResult]], _Each]:
        return _http_import_calls(lines, fmt, progress, chunk_bytes)

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

    def _stream(self, call: _Stream) -> Awaitable[AsyncIterator[str]]:  # type: ignore[override]
        return self._open_stream(call)

    async def _open_stream(self, call: _Stream) -> AsyncIterator[str]:
        request = self._http.build_request("GET", call.path, params=call.params)
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise UnavailableError(f"cannot reach memsvc at {self._http.base_url}: {exc}") from exc
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise _error(response)
        return _alines_of(response)

    def _import_calls(
        self, lines: LineSource, fmt: ImportFormat, progress: _Progress, chunk_bytes: int
    ) -> tuple[Iterable[_Call[ImportResult]], _Each]:
        return _http_import_calls(lines, fmt, progress, chunk_bytes)

    def _run_all(  # type: ignore[override]
        self, calls: Iterable[_Call[ImportResult]], each: _Each
    ) -> Awaitable[ImportResult]:
        return self._send_all(calls, each)

    async def _send_all(self, calls: Iterable[_Call[ImportResult]], each: _Each) -> ImportResult:
        results = []
        for call in calls:
            results.append(await self._send(call))
            if each is not None:
                each(results[-1])
        return _summed(results)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncMemoryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
