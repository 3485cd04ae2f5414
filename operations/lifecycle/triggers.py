"""Jobs that start themselves: thresholds (N new turns in a user scope since the last job of a
kind there) and a schedule (every kind's tenant-wide run every so many seconds).

Both only queue jobs; the runner runs them. A kind is never queued for a scope while one of
it is still queued or running there, so a busy scope does not pile up work.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from memsvc.operations.jobs import JobService

from memsvc.domain import Granularity, Scope, utcnow
from memsvc.domain.filters import UnitFilter
from memsvc.domain.jobs import FINISHED, Job
from memsvc.domain.ports import UnitOfWorkFactory
from memsvc.settings import LifecycleSettings

logger = logging.getLogger(__name__)


def _busy(job: Job | None) -> bool:
    return job is not None and job.status not in FINISHED


class ThresholdTrigger:
    """After an add: queue the threshold kinds for the user scope once enough turns arrived."""

    def __init__(
        self, uow: UnitOfWorkFactory, jobs: JobService, settings: LifecycleSettings
    ) -> None:
        self._uow = uow
        self._jobs = jobs
        self._settings = settings

    def after_add(self, scope: Scope) -> list[Job]:
        """Check the scope of an add (its user and agent); returns the jobs it queued."""
        n = self._settings.after_turns
        if n <= 0:
            return []
        owner = Scope(scope.tenant_id, scope.user_id, scope.agent_id)
        turns = UnitFilter(
            user_id=owner.user_id,
            agent_id=owner.agent_id,
            granularities=(Granularity.TURN,),
            statuses=None,
        )
        due: list[str] = []
        with self._uow(owner.tenant_id, write=False) as uow:
            for kind in self._settings.threshold_kinds:
                last = uow.jobs.last_of_kind(kind, owner)
                if _busy(last):
                    continue
                # Turns added before the last job started were seen by it.
                since = (last.started_at or last.created_at) if last else None
                if uow.units.count_since(turns, since) >= n:
                    due.append(kind)
        params = {"trigger": f"threshold: {n} new turns"}
        return [self._jobs.create(owner, kind, params) for kind in due if kind in self._jobs.kinds]


class Scheduler:
    """A daemon thread that queues each scheduled kind once per tenant per interval. It stops
    with the runner (`stop` is the runner's stopping event)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        jobs: JobService,
        tenants: Callable[[], list[str]],
        settings: LifecycleSettings,
        stop: threading.Event,
    ) -> None:
        self._uow = uow
        self._jobs = jobs
        self._tenants = tenants
        self._settings = settings
        self._stop = stop
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self._settings.schedule or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="memsvc-scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a job boundary: a failed tick is logged, the next one runs
                logger.exception("scheduler tick failed")
            self._stop.wait(self._settings.schedule_check_s)

    def tick(self) -> list[Job]:
        """Queue every scheduled kind that is due for a tenant; returns the jobs queued."""
        queued: list[Job] = []
        for tenant in self._tenants():
            scope = Scope(tenant)
            for kind, every_s in self._settings.schedule.items():
                if kind in self._jobs.kinds and self._due(scope, kind, every_s):
                    queued.append(self._jobs.create(scope, kind, {"trigger": "schedule"}))
        return queued

    def _due(self, scope: Scope, kind: str, every_s: float) -> bool:
        with self._uow(scope.tenant_id, write=False) as uow:
            last = uow.jobs.last_of_kind(kind, scope)
        if _busy(last):
            return False
        return last is None or utcnow() - last.created_at >= timedelta(seconds=every_s)
