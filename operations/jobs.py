"""Creating, reading and cancelling jobs. Running them is the queue's business."""

from __future__ import annotations

from memsvc.domain import Scope, ValidationError, new_id
from memsvc.domain.auth import TenantRef
from memsvc.domain.jobs import Job, JobQueue
from memsvc.domain.ports import UnitOfWorkFactory
from memsvc.jobparams import check_params


class JobService:
    def __init__(self, uow: UnitOfWorkFactory, queue: JobQueue, kinds: frozenset[str]) -> None:
        self._uow = uow
        self._queue = queue
        self.kinds = kinds

    def create(
        self, scope: Scope, kind: str, params: dict | None = None, dry_run: bool = False
    ) -> Job:
        if kind not in self.kinds:
            raise ValidationError(
                f"unknown job kind {kind!r}; one of: {', '.join(sorted(self.kinds))}", field="kind"
            )
        checked = check_params(kind, dict(params or {}))
        job = Job(id=new_id(), kind=kind, scope=scope, params=checked, dry_run=dry_run)
        with self._uow(scope.tenant_id) as uow:
            uow.jobs.add(job)
            uow.commit()
        self._queue.submit(job.id)
        return job

    def get(self, tenant: TenantRef, job_id: str) -> Job:
        with self._uow(tenant, write=False) as uow:
            return uow.jobs.get(job_id)

    def list(
        self, tenant: TenantRef, kind: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[Job]:
        with self._uow(tenant, write=False) as uow:
            return uow.jobs.list(kind, status, limit)

    def cancel(self, tenant: TenantRef, job_id: str) -> Job:
        with self._uow(tenant) as uow:
            job = uow.jobs.cancel(job_id)
            uow.commit()
        return job
