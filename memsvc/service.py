"""`MemoryService`: the one facade that REST routes, the embedded SDK and the CLI call. The API
reaches nothing else: authentication, readiness, jobs and graph reads all go through here."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

from memsvc.checks import InputChecks
from memsvc.domain import (
    AddCommand,
    AddResult,
    Granularity,
    HistoryEntry,
    ListQuery,
    MemoryUnit,
    NotFoundError,
    Page,
    ProvenanceView,
    Scope,
    SearchQuery,
    SearchResult,
    Status,
    UpdateCommand,
    ValidationError,
)
from memsvc.domain.auth import ApiKey, NewKey, Principal, TenantRef
from memsvc.domain.errors import retrying
from memsvc.domain.filters import UnitFilter
from memsvc.domain.jobs import Job
from memsvc.domain.ports import UnitOfWorkFactory
from memsvc.domain.probe import NULL_PROBE, Probe
from memsvc.domain.queries import SourceFilter
from memsvc.domain.scopes import ScopeSummary
from memsvc.domain.transfer import ExportSummary, ImportReport, TransferItem
from memsvc.operations.auth import Authenticator
from memsvc.operations.editing import DeleteResult, Editor
from memsvc.operations.extraction import Extraction
from memsvc.operations.graph import EntityView, GraphService, Neighbourhood
from memsvc.operations.ingest import Ingestor
from memsvc.operations.jobs import JobService
from memsvc.operations.lifecycle import HealthStats, Lifecycle, RevertResult
from memsvc.operations.purge import Purger, PurgeReport
from memsvc.operations.transfer import ImportCommand, Transfer
from memsvc.retrieval.searcher import Searcher


@dataclass(slots=True)
class ServiceParts:
    """What the composition root hands the facade."""

    uow: UnitOfWorkFactory
    ingestor: Ingestor
    editor: Editor
    searcher: Searcher
    extraction: Extraction
    jobs: JobService
    graph: GraphService
    lifecycle: Lifecycle
    checks: InputChecks
    purger: Purger
    auth: Authenticator
    readiness: Callable[[], dict[str, str]]
    transfer: Transfer
    # Hears how many units each add created (the store keeps its planner statistics).
    after_write: Callable[[int], None] | None = None
    probe: Probe = NULL_PROBE  # times each add (metrics, traces)
    read_retries: int = 0  # idempotent reads retried after a dropped database connection


class MemoryService:
    def __init__(self, parts: ServiceParts) -> None:
        self._p = parts
        self._uow = parts.uow
        self._check = parts.checks

    # -- writing ----------------------------------------------------------------------------
    def add(self, cmd: AddCommand) -> AddResult:
        """Store messages as turns of a session (created when absent); idempotent. Then, when
        anything new was stored, extract facts, entities, relations and procedures from the
        session: inline (`extract="sync"`), as a job (`"async"`), or not at all (`"off"`);
        `"auto"` is inline for the rules extractor and a job for an LLM one."""
        with self._p.probe.span("add", messages=len(cmd.messages), extract=cmd.extract):
            return self._add(cmd)

    def _add(self, cmd: AddCommand) -> AddResult:
        self._check.add(cmd)
        result = self._p.ingestor.add(cmd)
        scope = cmd.scope.with_session(result.session_id)
        mode = self._p.extraction.default_mode if cmd.extract == "auto" else cmd.extract
        if not result.created:
            mode = "off"  # nothing new to read
        if mode == "sync":
            self._p.extraction.run_session(scope, new=result.created_ids)
            result.extraction = "done"
        elif mode == "async":
            result.job_id = self._p.jobs.create(scope, "extract").id
            result.extraction = "queued"
        if result.created:
            self._p.lifecycle.after_add(scope)  # threshold triggers (off unless configured)
        if self._p.after_write is not None:
            self._p.after_write(result.created)
        return result

    def extract(self, scope: Scope) -> dict[str, object]:
        """Run extraction over one session now (idempotent)."""
        return self._p.extraction.run_session(scope)

    def update(self, tenant: TenantRef, unit_id: str, cmd: UpdateCommand) -> MemoryUnit:
        if cmd.content is not None:
            self._check.text(cmd.content, "content")
        return self._p.editor.update(tenant, unit_id, cmd)

    def delete(
        self,
        tenant: TenantRef,
        unit_id: str,
        *,
        hard: bool = False,
        cascade: bool = False,
        actor: str | None = None,
    ) -> DeleteResult:
        """Soft delete (status `deleted`, out of search, history kept; `cascade` also takes
        what was derived only from the unit) or, with `hard`, purge: no text, vector or history
        text is left of the unit and of what was derived only from it (see operations.purge)."""
        if hard:
            report = self._p.purger.purge_units(tenant, [unit_id], actor, "hard delete")
            return DeleteResult(deleted=report.ids, hard=True)
        return self._p.editor.delete(tenant, unit_id, cascade=cascade, actor=actor)

    def purge_scope(self, scope: Scope, actor: str | None = None) -> PurgeReport:
        """Remove every memory of a user, agent or session, and its history and jobs."""
        return self._p.purger.purge_scope(scope, actor)

    def purge_source(
        self, tenant: TenantRef, source: SourceFilter, actor: str | None = None
    ) -> PurgeReport:
        """Purge one source (a session's turns, or everything one key wrote) and what was
        derived only from it; units that had other sources are recomputed."""
        where = UnitFilter(
            user_id=source.user_id,
            session_id=source.session_id,
            actor=source.actor,
            granularities=[Granularity.TURN] if source.session_id else None,
            statuses=None,
        )
        return self._p.purger.purge_matching(tenant, where, actor, "purge by source")

    # -- reading ----------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        self._check.search(query)
        return retrying(self._p.read_retries, lambda: self._p.searcher.search(query))

    def flush(self) -> None:
        """Write buffered bookkeeping (search access counts) now."""
        self._p.searcher.access.flush()

    def get(self, tenant: TenantRef, unit_id: str) -> MemoryUnit:
        """A memory by id; a deleted one is gone for readers (its history stays readable)."""
        unit = retrying(self._p.read_retries, lambda: self._read_unit(tenant, unit_id))
        if unit.status is Status.DELETED:
            raise NotFoundError(f"memory {unit_id!r} was deleted", field="id")
        return unit

    def _read_unit(self, tenant: TenantRef, unit_id: str) -> MemoryUnit:
        with self._uow(tenant, write=False) as uow:
            return uow.units.get(unit_id)

    def list(self, query: ListQuery) -> Page:
        self._check.page(query)
        where = UnitFilter(
            user_id=query.scope.user_id,
            agent_id=query.scope.agent_id,
            session_id=query.scope.session_id,
            granularities=query.granularities,
            statuses=query.statuses or None,
            occurred_from=query.occurred_from,
            occurred_to=query.occurred_to,
            valid_at=query.valid_at,
        )
        return retrying(self._p.read_retries, lambda: self._page(query, where))

    def _page(self, query: ListQuery, where: UnitFilter) -> Page:
        with self._uow(query.scope.tenant_id, write=False) as uow:
            return uow.units.page(where, query.cursor, query.limit)

    def history(self, tenant: TenantRef, unit_id: str) -> builtins.list[HistoryEntry]:
        with self._uow(tenant, write=False) as uow:
            uow.units.get(unit_id)  # 404 for unknown ids and other tenants' ids
            return uow.history.for_unit(unit_id)

    def provenance(self, tenant: TenantRef, unit_id: str, depth: int = 10) -> ProvenanceView:
        return self._p.editor.provenance(tenant, unit_id, depth)

    def scopes(self, tenant: TenantRef, limit: int = 200) -> builtins.list[ScopeSummary]:
        """The users and agents of a tenancy with their counts and last activity (inspector)."""
        self._check.count(limit, "limit", self._check.limits.max_page)
        with self._uow(tenant, write=False) as uow:
            return uow.scopes.summaries(limit)

    # -- jobs -------------------------------------------------------------------------------
    def create_job(
        self, scope: Scope, kind: str, params: dict | None = None, dry_run: bool = False
    ) -> Job:
        return self._p.jobs.create(scope, kind, params, dry_run)

    def get_job(self, tenant: TenantRef, job_id: str) -> Job:
        return self._p.jobs.get(tenant, job_id)

    def list_jobs(
        self, tenant: TenantRef, kind: str | None = None, status: str | None = None, limit: int = 50
    ) -> builtins.list[Job]:
        self._check.count(limit, "limit", self._check.limits.max_page)
        return self._p.jobs.list(tenant, kind, status, limit)

    def job_changes(self, tenant: TenantRef, job_id: str) -> builtins.list[HistoryEntry]:
        """The history rows a job wrote (what it merged, superseded, archived, summarised)."""
        with self._uow(tenant, write=False) as uow:
            uow.jobs.get(job_id)  # 404 for unknown ids and jobs outside the tenancy
            return uow.history.for_job(job_id)

    def cancel_job(self, tenant: TenantRef, job_id: str) -> Job:
        return self._p.jobs.cancel(tenant, job_id)

    def revert_job(self, tenant: TenantRef, job_id: str, actor: str | None = None) -> RevertResult:
        """Undo a finished consolidate/compress/forget job exactly (409 if it cannot be)."""
        return self._p.lifecycle.revert(tenant, job_id, actor)

    @property
    def job_kinds(self) -> frozenset[str]:
        return self._p.jobs.kinds

    def stats(self, scope: Scope) -> HealthStats:
        """Memory health of a scope: counts, duplicate rate, shares, last job per kind."""
        return self._p.lifecycle.stats(scope, self._p.jobs.kinds)

    # -- graph and procedures ---------------------------------------------------------------
    def entities(
        self, scope: Scope, name: str | None = None, limit: int = 100
    ) -> builtins.list[MemoryUnit]:
        self._check.count(limit, "limit", self._check.limits.max_page)
        return self._p.graph.entities(scope, name, limit)

    def entity(self, tenant: TenantRef, entity_id: str) -> EntityView:
        return self._p.graph.entity(tenant, entity_id)

    def neighbours(self, tenant: TenantRef, entity_id: str, depth: int = 1) -> Neighbourhood:
        return self._p.graph.neighbours(tenant, entity_id, depth)

    def record_outcome(
        self,
        tenant: TenantRef,
        procedure_id: str,
        outcome: Literal["success", "failure"],
        notes: str | None,
        actor: str | None,
    ) -> MemoryUnit:
        return self._p.graph.record_outcome(tenant, procedure_id, outcome, notes, actor)

    # -- moving memory between deployments --------------------------------------------------
    def export(
        self, tenant: TenantRef, scope: Scope
    ) -> tuple[ExportSummary, Iterator[TransferItem]]:
        """What an export of `scope` holds, and its units (any status, oldest first) with
        their idempotency keys and history, read a page at a time as the iterator is used."""
        transfer = self._p.transfer
        return transfer.summary(tenant, scope), transfer.export(tenant, scope)

    def import_(self, cmd: ImportCommand) -> ImportReport:
        """Import units into `cmd.tenant`: all checked first, then written in batches,
        skipping those present (by id), so an import run again continues where it stopped."""
        most, source = self._check.limits.max_content_chars, cmd.items

        def checked() -> Iterator[TransferItem]:
            for item in source():
                if len(item.unit.content) > most:
                    raise ValidationError(
                        f"{item.where}: content is longer than {most} characters, this "
                        "deployment's limit (MEMSVC_LIMITS_MAX_CONTENT_CHARS)",
                        field="content",
                    )
                yield item

        return self._p.transfer.import_(replace(cmd, items=checked))

    # -- access and operations --------------------------------------------------------------
    def authenticate(self, raw_key: str | None) -> Principal:
        """The principal a request with this raw API key (or none) acts as; AuthError if none."""
        return self._p.auth.authenticate(raw_key)

    @property
    def dev_mode(self) -> bool:
        """True when requests without a key act as the default tenant (decided at start)."""
        return self._p.auth.dev_mode

    def create_key(self, new: NewKey) -> tuple[ApiKey, str]:
        return self._p.auth.create_key(new)

    def list_keys(self, tenant_id: str) -> builtins.list[ApiKey]:
        return self._p.auth.list_keys(tenant_id)

    def revoke_key(self, tenant_id: str, key_id: str) -> ApiKey:
        return self._p.auth.revoke_key(tenant_id, key_id)

    def readiness(self) -> dict[str, str]:
        """The database answers and its schema is at the code's revision (else 503)."""
        return self._p.readiness()
