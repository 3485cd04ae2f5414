"""The jobs table. `JobRepository` is the tenant-scoped view the API uses; `JobStore` is the
runner's system-level view (claiming work across tenants, heartbeats, requeueing)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from memsvc.stores.tables import JobRow, UnitRow
from sqlalchemy import ColumnElement, CursorResult, Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from memsvc.domain import NotFoundError, Scope, utcnow
from memsvc.domain.auth import TenantRef, as_tenancy
from memsvc.domain.jobs import FINISHED, Job, JobStatus


def _mark_running(session: Session, job_id: str, worker: str) -> bool:
    """Move a job from queued to running for `worker`; False if it is no longer queued."""
    now = utcnow()
    result = session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status == JobStatus.QUEUED.value)
        .values(
            status=JobStatus.RUNNING.value,
            attempts=JobRow.attempts + 1,
            worker=worker,
            heartbeat_at=now,
            updated_at=now,
            started_at=now,
        )
    )
    # `Session.execute` is typed as returning `Result` for any statement; for an UPDATE it is
    # a `CursorResult`, which carries the number of rows matched.
    return bool(cast(CursorResult[Any], result).rowcount)


def _to_job(row: JobRow) -> Job:
    scope = row.scope or {}
    return Job(
        id=row.id,
        kind=row.kind,
        scope=Scope(
            row.tenant_id, scope.get("user_id"), scope.get("agent_id"), scope.get("session_id")
        ),
        params=dict(row.params or {}),
        status=JobStatus(row.status),
        dry_run=row.dry_run,
        progress=row.progress,
        counts=dict(row.counts or {}),
        error=row.error,
        attempts=row.attempts,
        created_at=row.created_at,
        updated_at=row.updated_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def _scope_json(scope: Scope) -> dict[str, Any]:
    return {"user_id": scope.user_id, "agent_id": scope.agent_id, "session_id": scope.session_id}


class JobRepository:
    def __init__(self, session: Session, tenant: TenantRef) -> None:
        self._tenancy = as_tenancy(tenant)
        if not self._tenancy.tenant_id:
            raise ValueError("a tenant scope is required for every store operation")
        self._session = session
        self.tenant_id = self._tenancy.tenant_id

    def _mine(self) -> list[ColumnElement[bool]]:
        """Jobs of this tenancy: the tenant's, and for a narrowed key only its user's or
        agent's."""
        out: list[ColumnElement[bool]] = [JobRow.tenant_id == self.tenant_id]
        for name in ("user_id", "agent_id"):
            value = getattr(self._tenancy, name)
            if value is not None:
                out.append(JobRow.scope[name].as_string() == value)
        return out

    def add(self, job: Job) -> None:
        if not self._tenancy.admits(job.scope):
            raise ValueError("job lies outside this repository's tenancy")
        self._session.add(
            JobRow(
                id=job.id,
                tenant_id=self.tenant_id,
                kind=job.kind,
                scope=_scope_json(job.scope),
                params=job.params,
                status=job.status.value,
                dry_run=job.dry_run,
                progress=job.progress,
                counts=job.counts,
                attempts=0,
                created_at=job.created_at,
                updated_at=job.updated_at,
            )
        )

    def get(self, job_id: str) -> Job:
        return _to_job(self._row(job_id))

    def _row(self, job_id: str) -> JobRow:
        row = self._session.scalars(
            select(JobRow).where(*self._mine(), JobRow.id == job_id)
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"no job with id {job_id!r}", field="id")
        return row

    def list(
        self, kind: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[Job]:
        stmt = select(JobRow).where(*self._mine())
        if kind:
            stmt = stmt.where(JobRow.kind == kind)
        if status:
            stmt = stmt.where(JobRow.status == status)
        rows = self._session.scalars(stmt.order_by(JobRow.created_at.desc()).limit(limit))
        return [_to_job(r) for r in rows]

    def last_of_kind(self, kind: str, scope: Scope) -> Job | None:
        rows = self._session.scalars(
            select(JobRow)
            .where(*self._mine(), JobRow.kind == kind)
            .order_by(JobRow.created_at.desc())
            .limit(50)
        )
        wanted = _scope_json(scope)
        return next((_to_job(r) for r in rows if (r.scope or {}) == wanted), None)

    def remove_for_scope(self, scope: Scope) -> int:
        """Delete the jobs of a scope and of every narrower scope inside it (a scope purge);
        returns how many."""
        rows = list(self._session.scalars(select(JobRow).where(*self._mine())))
        wanted = {k: v for k, v in _scope_json(scope).items() if v is not None}
        if not wanted:
            raise ValueError("a scope purge names a user, an agent or a session")
        gone = [r for r in rows if all((r.scope or {}).get(k) == v for k, v in wanted.items())]
        for row in gone:
            self._session.delete(row)
        return len(gone)

    def annotate(self, job_id: str, counts: dict[str, Any]) -> Job:
        """Add entries to a job's counts (e.g. that a finished job was reverted)."""
        row = self._row(job_id)
        row.counts = {**(row.counts or {}), **counts}
        row.updated_at = utcnow()
        return _to_job(row)

    def cancel(self, job_id: str) -> Job:
        row = self._row(job_id)
        if JobStatus(row.status) not in FINISHED:
            row.status = JobStatus.CANCELLED.value
            row.updated_at = row.finished_at = utcnow()
        return _to_job(row)


class JobStore:
    """System-level operations for runners; every job still runs in its own tenant's scope."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def claim(self, worker: str, kinds: list[str]) -> Job | None:
        """Atomically take the oldest queued job of the given kinds, or None."""
        with self._sessions() as session, session.begin():
            job_id = session.scalar(
                select(JobRow.id)
                .where(JobRow.status == JobStatus.QUEUED.value, JobRow.kind.in_(kinds))
                .order_by(JobRow.created_at)
                .limit(1)
            )
            if job_id is None:
                return None
            if not _mark_running(session, job_id, worker):
                return None
            return _to_job(session.get_one(JobRow, job_id))

    def claim_job(self, job_id: str, worker: str) -> Job | None:
        """Take one given queued job (a foreground `memsvc jobs run`), or None if it is gone."""
        with self._sessions() as session, session.begin():
            claimed = _mark_running(session, job_id, worker)
            return _to_job(session.get_one(JobRow, job_id)) if claimed else None

    def status(self, job_id: str) -> JobStatus | None:
        """The job's status, or None when it is gone (purged with its scope)."""
        with self._sessions() as session:
            value = session.scalar(select(JobRow.status).where(JobRow.id == job_id))
            return JobStatus(value) if value is not None else None

    def queued(self, older_than: timedelta, limit: int = 500) -> list[str]:
        """Ids of jobs queued for longer than `older_than`, oldest first (to re-deliver)."""
        cutoff = utcnow() - older_than
        with self._sessions() as session:
            stmt = (
                select(JobRow.id)
                .where(JobRow.status == JobStatus.QUEUED.value, JobRow.updated_at < cutoff)
                .order_by(JobRow.created_at)
                .limit(limit)
            )
            return list(session.scalars(stmt))

    def tenants(self) -> list[str]:
        """Every tenant that holds memory units (scheduled jobs run once per tenant)."""
        with self._sessions() as session:
            return list(session.scalars(select(UnitRow.tenant_id).distinct()))

    def report(self, job_id: str, progress: float, counts: dict[str, Any]) -> JobStatus:
        """Save progress and heartbeat; returns the job's status (it may have been cancelled,
        or purged with its scope: then it counts as cancelled)."""
        with self._sessions() as session, session.begin():
            row = session.get(JobRow, job_id)
            if row is None:
                return JobStatus.CANCELLED
            if row.status == JobStatus.RUNNING.value:
                now = utcnow()
                row.progress, row.counts = progress, dict(counts)
                row.heartbeat_at = row.updated_at = now
            return JobStatus(row.status)

    def heartbeat(self, worker: str) -> None:
        with self._sessions() as session, session.begin():
            session.execute(
                update(JobRow)
                .where(JobRow.worker == worker, JobRow.status == JobStatus.RUNNING.value)
                .values(heartbeat_at=utcnow())
            )

    def finish(
        self, job_id: str, status: JobStatus, counts: dict[str, Any], error: str | None = None
    ) -> None:
        """Record the outcome, unless the job was cancelled (or purged) meanwhile."""
        with self._sessions() as session, session.begin():
            row = session.get(JobRow, job_id)
            if row is None or row.status != JobStatus.RUNNING.value:
                return
            now = utcnow()
            row.status, row.counts, row.error = status.value, dict(counts), error
            row.progress = 1.0 if status is JobStatus.SUCCEEDED else row.progress
            row.finished_at = row.updated_at = now

    def release(self, job_id: str) -> None:
        """Give a running job back to the queue (its runner is shutting down)."""
        with self._sessions() as session, session.begin():
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == JobStatus.RUNNING.value)
                .values(status=JobStatus.QUEUED.value, worker=None, updated_at=utcnow())
            )

    def requeue_stale(self, stale_after: timedelta, max_attempts: int) -> int:
        """Running jobs whose runner stopped reporting go back to the queue (or fail after too
        many attempts). Returns how many were touched."""
        cutoff: datetime = utcnow() - stale_after
        with self._sessions() as session, session.begin():
            rows = session.scalars(
                select(JobRow).where(
                    JobRow.status == JobStatus.RUNNING.value, JobRow.heartbeat_at < cutoff
                )
            ).all()
            for row in rows:
                row.worker = None
                row.updated_at = utcnow()
                if row.attempts >= max_attempts:
                    row.status = JobStatus.FAILED.value
                    row.error = f"interrupted {row.attempts} times (runner died); giving up"
                    row.finished_at = row.updated_at
                else:
                    row.status = JobStatus.QUEUED.value
            return len(rows)
