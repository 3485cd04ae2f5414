"""Running jobs. `JobExecutor` runs one claimed job: its handler, a context that reports
progress and notices cancellation, and the outcome recorded on the job row. Two queues use it:
`InProcessRunner` (threads polling the jobs table: the embedded store) and, with PostgreSQL,
`ProcrastinateQueue` (operations/procrastinate_queue.py). Both survive crashes: a job whose
runner died (kill -9) stops heart-beating and is requeued, and job handlers are written so
that running a job again finishes it without duplicating work."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from time import perf_counter
from typing import Any

from memsvc.stores.jobs import JobStore

from memsvc.domain import new_id
from memsvc.domain.jobs import Job, JobCancelled, JobHandler, JobStatus

logger = logging.getLogger(__name__)


class JobInterrupted(Exception):
    """The runner is stopping: the job goes back to the queue and resumes later."""


class _Context:
    def __init__(self, runner: JobExecutor, job: Job) -> None:
        self._runner = runner
        self._job = job

    def report(self, progress: float, counts: dict[str, Any] | None = None) -> None:
        if counts is not None:
            self._job.counts = dict(counts)
        status = self._runner.store.report(self._job.id, progress, self._job.counts)
        if status is JobStatus.CANCELLED:
            raise JobCancelled(self._job.id)
        if self._runner.stopping.is_set():
            raise JobInterrupted(self._job.id)


class JobExecutor:
    """Claims and runs jobs of the kinds it has handlers for, as worker `worker_id`."""

    prefix = "inproc-"

    def __init__(
        self,
        store: JobStore,
        handlers: dict[str, JobHandler],
        *,
        stale_after_s: float = 30.0,
        max_attempts: int = 3,
        on_finish: Callable[[str, str, float], None] | None = None,
    ) -> None:
        self.store = store
        self.handlers = handlers
        # Hears (kind, outcome, seconds) of every run that ends here (metrics).
        self._on_finish = on_finish
        self.worker_id = self.prefix + new_id()[:18]
        self.stopping = threading.Event()
        self._stale = timedelta(seconds=stale_after_s)
        self._max_attempts = max_attempts

    def claim(self, job_id: str) -> Job | None:
        return self.store.claim_job(job_id, self.worker_id)

    def tenants(self) -> list[str]:
        return self.store.tenants()

    def requeue_stale(self) -> int:
        """Jobs whose runner stopped heart-beating go back to the queue."""
        return self.store.requeue_stale(self._stale, self._max_attempts)

    def execute(self, job: Job) -> None:
        start = perf_counter()
        outcome = self._run(job)
        if self._on_finish is not None:
            self._on_finish(job.kind, outcome, perf_counter() - start)

    def _run(self, job: Job) -> str:
        handler = self.handlers[job.kind]
        try:
            counts = handler(job, _Context(self, job))
        except JobCancelled:
            logger.info("job %s (%s) cancelled", job.id, job.kind)
            return "cancelled"
        except JobInterrupted:
            self.store.release(job.id)
            return "interrupted"
        except Exception as exc:  # a job boundary: record the failure, keep the runner alive
            logger.exception("job %s (%s) failed", job.id, job.kind)
            self.store.finish(job.id, JobStatus.FAILED, job.counts, f"{type(exc).__name__}: {exc}")
            return "failed"
        self.store.finish(job.id, JobStatus.SUCCEEDED, counts)
        return "succeeded"


class InProcessRunner(JobExecutor):
    """Implements `JobQueue` for the embedded default with a small pool of threads."""

    def __init__(
        self,
        store: JobStore,
        handlers: dict[str, JobHandler],
        *,
        workers: int = 1,
        poll_s: float = 1.0,
        stale_after_s: float = 30.0,
        max_attempts: int = 3,
        on_finish: Callable[[str, str, float], None] | None = None,
    ) -> None:
        super().__init__(
            store,
            handlers,
            stale_after_s=stale_after_s,
            max_attempts=max_attempts,
            on_finish=on_finish,
        )
        self._wake = threading.Event()
        self._workers = workers
        self._poll_s = poll_s
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self.requeue_stale()
        for i in range(self._workers):
            thread = threading.Thread(target=self._loop, name=f"memsvc-job-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, job_id: str) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def work(self, concurrency: int) -> None:
        """Run `concurrency` threads until SIGINT or SIGTERM."""
        self._workers = concurrency
        done = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: done.set())
        self.start()
        done.wait()
        self.stop()

    def run_pending(self) -> int:
        """Run queued jobs in the calling thread until none is left (CLI, tests)."""
        done = 0
        while (job := self.store.claim(self.worker_id, list(self.handlers))) is not None:
            self.execute(job)
            done += 1
        return done

    def _loop(self) -> None:
        while not self.stopping.is_set():
            self.store.heartbeat(self.worker_id)
            self.requeue_stale()
            job = self.store.claim(self.worker_id, list(self.handlers))
            if job is None:
                self._wake.wait(self._poll_s)
                self._wake.clear()
                continue
            self.execute(job)
