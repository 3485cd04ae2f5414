"""Jobs: lifecycle work (extraction, consolidation, forgetting, compression) as rows with a
status, progress and counts, run by a queue and safe to run twice."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from memsvc.domain.units import Scope, utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass(slots=True)
class Job:
    id: str
    kind: str
    scope: Scope
    params: dict[str, Any] = field(default_factory=dict)
    status: JobStatus = JobStatus.QUEUED
    dry_run: bool = False
    progress: float = 0.0
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    attempts: int = 0
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class JobCancelled(Exception):
    """Raised inside a running job when someone cancelled it; the current batch rolls back."""


class JobQueue(Protocol):
    """Where queued jobs go to be run. In-process threads for the embedded store; procrastinate
    workers with PostgreSQL. Job code never knows which."""

    stopping: threading.Event  # set when the queue stops: running jobs give their job back
    worker_id: str  # who holds the jobs this queue runs

    def submit(self, job_id: str) -> None:
        """A job row was committed with status queued: run it (now or soon)."""
        ...

    def start(self) -> None:
        """Run queued jobs in this process too, in the background."""
        ...

    def stop(self, timeout: float = 30.0) -> None: ...

    def work(self, concurrency: int) -> None:
        """Run jobs in the foreground until SIGINT or SIGTERM (`memsvc worker`)."""
        ...

    def run_pending(self) -> int:
        """Run queued jobs here until none is left (CLI, tests); returns how many ran."""
        ...

    def claim(self, job_id: str) -> Job | None:
        """Take one queued job to run here (a foreground `memsvc jobs run`), or None."""
        ...

    def execute(self, job: Job) -> None:
        """Run a claimed job to its end and record the outcome."""
        ...

    def tenants(self) -> list[str]:
        """Every tenant that holds memory (scheduled jobs run once per tenant)."""
        ...


# A job handler runs one kind of job: it gets the job and a context, returns counts.
JobHandler = Callable[[Job, "JobContext"], dict[str, Any]]


class JobContext(Protocol):
    def report(self, progress: float, counts: dict[str, Any] | None = None) -> None:
        """Persist progress; raises JobCancelled if the job was cancelled meanwhile."""
        ...
