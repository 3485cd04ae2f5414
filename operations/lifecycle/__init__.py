"""Lifecycle jobs: consolidation, forgetting and compression (docs/architecture.md), their
revert, memory health statistics and the triggers that queue them.

`Lifecycle` bundles them for the composition root: `handlers` go to the job runner, `revert`
and `stats` to the service facade, `after_add` to the write path, the scheduler to start-up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from memsvc.operations.jobs import JobService
from memsvc.operations.lifecycle.compress import Compressor
from memsvc.operations.lifecycle.consolidate import Consolidator
from memsvc.operations.lifecycle.forget import Forgetter
from memsvc.operations.lifecycle.revert import Reverter, RevertResult
from memsvc.operations.lifecycle.stats import Health, HealthStats
from memsvc.operations.lifecycle.triggers import Scheduler, ThresholdTrigger
from memsvc.operations.purge import Purger

from memsvc.domain import Scope
from memsvc.domain.auth import TenantRef
from memsvc.domain.jobs import Job, JobHandler
from memsvc.domain.ports import Embeddings, UnitOfWorkFactory
from memsvc.llm import LLM, build_llm
from memsvc.settings import LifecycleSettings, LLMSettings

__all__ = ["Lifecycle", "RevertResult", "HealthStats"]


class Lifecycle:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        embedder: Embeddings,
        settings: LifecycleSettings,
        purger: Purger,
        llm_settings: LLMSettings | None = None,
    ) -> None:
        """`llm_settings` with a `base_url` makes compression abstractive (its own client)."""
        self._uow = uow
        self.settings = settings
        self._llm = build_llm(llm_settings) if llm_settings is not None else None
        llm: LLM | None = self._llm
        self.consolidator = Consolidator(uow, settings)
        self.forgetter = Forgetter(uow, settings, purger)
        self.compressor = Compressor(uow, embedder, settings, llm)
        self._reverter = Reverter(uow, embedder)
        self._health = Health(uow, settings)
        self._trigger: ThresholdTrigger | None = None
        self.scheduler: Scheduler | None = None

    @property
    def handlers(self) -> dict[str, JobHandler]:
        return {
            "consolidate": self.consolidator.handle,
            "forget": self.forgetter.handle,
            "compress": self.compressor.handle,
        }

    def bind(
        self, jobs: JobService, tenants: Callable[[], list[str]], stop: threading.Event
    ) -> None:
        """Connect the triggers to the job service (which needs the handlers first)."""
        self._trigger = ThresholdTrigger(self._uow, jobs, self.settings)
        self.scheduler = Scheduler(self._uow, jobs, tenants, self.settings, stop)

    def start_scheduler(self) -> None:
        """Start the schedule's thread (a no-op with no schedule); it stops with the runner."""
        if self.scheduler is not None:
            self.scheduler.start()

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()

    def after_add(self, scope: Scope) -> list[Job]:
        """Queue threshold-triggered jobs for the scope of a write (none when off)."""
        return self._trigger.after_add(scope) if self._trigger else []

    def revert(self, tenant: TenantRef, job_id: str, actor: str | None = None) -> RevertResult:
        return self._reverter.revert(tenant, job_id, actor)

    def stats(self, scope: Scope, kinds: Iterable[str]) -> HealthStats:
        return self._health.stats(scope, kinds)
