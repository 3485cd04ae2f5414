"""`MemoryService`: the one facade that REST routes, the embedded SDK and the CLI call."""

from __future__ import annotations

import builtins
from collections.abc import Callable

from memsvc.domain import (
    AddCommand,
    AddResult,
    HistoryEntry,
    ListQuery,
    MemoryUnit,
    Page,
    PayloadTooLargeError,
    ProvenanceView,
    Scope,
    SearchQuery,
    SearchResult,
    UnavailableError,
    UpdateCommand,
    ValidationError,
)
from memsvc.domain.jobs import Job
from memsvc.operations.editing import DeleteResult, Editor
from memsvc.operations.extraction import Extraction
from memsvc.operations.graph import GraphService
from memsvc.operations.ingest import Ingestor
from memsvc.operations.jobs import JobService
from memsvc.operations.lifecycle import HealthStats, Lifecycle, RevertResult
from memsvc.retrieval.searcher import Searcher
from memsvc.settings import LimitSettings
from memsvc.stores.units import UnitFilter
from memsvc.stores.uow import UnitOfWorkFactory


class MemoryService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        ingestor: Ingestor,
        editor: Editor,
        searcher: Searcher,
        extraction: Extraction,
        jobs: JobService,
        graph: GraphService,
        limits: LimitSettings,
        lifecycle: Lifecycle | None = None,
        after_write: Callable[[int], None] | None = None,
    ) -> None:
        self._uow = uow
        self._ingestor = ingestor
        self._editor = editor
        self._searcher = searcher
        self._extraction = extraction
        self.jobs = jobs
        self.graph = graph
        self._limits = limits
        self._lifecycle = lifecycle
        # Hears how many units each add created (the store keeps its planner statistics).
        self._after_write = after_write

    def add(self, cmd: AddCommand) -> AddResult:
        """Store messages as turns of a session (created when absent); idempotent. Then
        extract facts, entities, relations and procedures from the session: inline
        (`extract="sync"`), as a job (`"async"`), or not at all (`"off"`)."""
        self._check_add(cmd)
        result = self._ingestor.add(cmd)
        scope = cmd.scope.with_session(result.session_id)
        if cmd.extract == "sync":
            self._extraction.run_session(scope)
            result.extraction = "done"
        elif cmd.extract == "async":
            result.job_id = self.jobs.create(scope, "extract").id
            result.extraction = "queued"
        if self._lifecycle is not None and result.created:
            self._lifecycle.after_add(scope)  # threshold triggers (off unless configured)
        if self._after_write is not None:
            self._after_write(result.created)
        return result

    def extract(self, scope: Scope) -> dict[str, object]:
        """Run extraction over one session now (idempotent)."""
        return self._extraction.run_session(scope)

    def create_job(
        self, scope: Scope, kind: str, params: dict | None = None, dry_run: bool = False
    ) -> Job:
        return self.jobs.create(scope, kind, params, dry_run)

    def revert_job(self, tenant_id: str, job_id: str, actor: str | None = None) -> RevertResult:
        """Undo a finished consolidate/compress/forget job exactly (409 if it cannot be)."""
        return self._require_lifecycle().revert(tenant_id, job_id, actor)

    def stats(self, scope: Scope) -> HealthStats:
        """Memory health of a scope: counts, duplicate rate, shares, last job per kind."""
        return self._require_lifecycle().stats(scope, self.jobs.kinds)

    def _require_lifecycle(self) -> Lifecycle:
        if self._lifecycle is None:
            raise UnavailableError("lifecycle jobs are not configured in this service")
        return self._lifecycle

    def search(self, query: SearchQuery) -> SearchResult:
        self._check_search(query)
        return self._searcher.search(query)

    def flush(self) -> None:
        """Write buffered bookkeeping (search access counts) now."""
        self._searcher.access.flush()

    def get(self, tenant_id: str, unit_id: str) -> MemoryUnit:
        with self._uow(tenant_id, write=False) as uow:
            return uow.units.get(unit_id)

    def list(self, query: ListQuery) -> Page:
        if not 1 <= query.limit <= self._limits.max_page:
            raise ValidationError(
                f"limit must be between 1 and {self._limits.max_page}", field="limit"
            )
        where = UnitFilter(
            user_id=query.scope.user_id,
            agent_id=query.scope.agent_id,
            session_id=query.scope.session_id,
            granularities=query.granularities,
            statuses=query.statuses or None,
        )
        with self._uow(query.scope.tenant_id, write=False) as uow:
            return uow.units.page(where, query.cursor, query.limit)

    def update(self, tenant_id: str, unit_id: str, cmd: UpdateCommand) -> MemoryUnit:
        if cmd.content is not None:
            self._check_text(cmd.content, "content")
        return self._editor.update(tenant_id, unit_id, cmd)

    def delete(
        self,
        tenant_id: str,
        unit_id: str,
        *,
        hard: bool = False,
        cascade: bool = False,
        actor: str | None = None,
    ) -> DeleteResult:
        """Soft delete (status `deleted`, out of search, history kept) or, with `hard`, purge
        the text and vectors; `cascade` also takes what was derived only from the unit."""
        return self._editor.delete(tenant_id, unit_id, hard=hard, cascade=cascade, actor=actor)

    def history(self, tenant_id: str, unit_id: str) -> builtins.list[HistoryEntry]:
        with self._uow(tenant_id, write=False) as uow:
            uow.units.get(unit_id)  # 404 for unknown ids and other tenants' ids
            return uow.history.for_unit(unit_id)

    def provenance(self, tenant_id: str, unit_id: str, depth: int = 10) -> ProvenanceView:
        return self._editor.provenance(tenant_id, unit_id, depth)

    # -- input limits (the API checks shapes; these hold for embedded callers too) ---------
    def _check_add(self, cmd: AddCommand) -> None:
        if not cmd.messages:
            raise ValidationError("messages must contain at least one message", field="messages")
        if len(cmd.messages) > self._limits.max_messages:
            raise PayloadTooLargeError(
                f"at most {self._limits.max_messages} messages per add; split the batch",
                field="messages",
            )
        for i, message in enumerate(cmd.messages):
            self._check_text(message.content, f"messages[{i}].content")
            if not message.role.strip():
                raise ValidationError("role must not be empty", field=f"messages[{i}].role")

    def _check_search(self, query: SearchQuery) -> None:
        if not query.text.strip():
            raise ValidationError("query must not be empty", field="query")
        if len(query.text) > self._limits.max_query_chars:
            raise PayloadTooLargeError(
                f"query is longer than {self._limits.max_query_chars} characters", field="query"
            )
        if not 1 <= query.k <= self._limits.max_k:
            raise ValidationError(f"k must be between 1 and {self._limits.max_k}", field="k")
        window = query.time_window
        if window and window.start and window.end and window.start >= window.end:
            raise ValidationError("time window start must be before its end", field="start")

    def _check_text(self, text: str, field: str) -> None:
        if not text.strip():
            raise ValidationError(f"{field} must not be empty", field=field)
        if len(text) > self._limits.max_content_chars:
            raise PayloadTooLargeError(
                f"{field} is longer than {self._limits.max_content_chars} characters",
                field=field,
            )
