"""The job queue on PostgreSQL: procrastinate delivers jobs to any number of `memsvc worker`
processes (and to API processes that run jobs too).

The jobs table stays the record of a job (status, progress, counts, what the API shows);
procrastinate carries "run job X" messages. Delivery is at least once, running is at most
once: a worker runs a job only after moving its row from queued to running (`claim`), so a
message delivered twice finds the job taken or finished and does nothing. Nothing is lost:

- a worker killed mid-job stops heart-beating in both places: procrastinate's stalled-job
  recovery (every worker sweeps for jobs of workers without heartbeat) puts the message back,
  and the row, once its heartbeat is older than `jobs.stale_after_s`, is requeued and claimed
  again (a message that finds it still held by a live-looking worker is retried later);
- a row queued without a message (the API died between its commit and the defer) is found by
  the same sweep and deferred again; a queueing lock per job id keeps that to one message.

Job handlers are idempotent per batch, so a job resumed after a crash finishes its work once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from memsvc.operations.runner import JobExecutor
from memsvc.stores.jobs import JobStore
from procrastinate import App, PsycopgConnector, RetryStrategy, SyncPsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.schema import SchemaManager
from sqlalchemy import Engine, text

from memsvc.domain.jobs import JobHandler, JobStatus

logger = logging.getLogger(__name__)
TASK = "memsvc.run_job"
QUEUE = "memsvc"


class JobBusy(Exception):
    """The job is held by a worker that still looks alive: try again later."""


class ProcrastinateQueue(JobExecutor):
    """`JobQueue` over procrastinate."""

    prefix = "worker-"

    def __init__(
        self,
        store: JobStore,
        handlers: dict[str, JobHandler],
        conninfo: str,
        *,
        stale_after_s: float = 30.0,
        stalled_after_s: float = 30.0,
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
        self._conninfo = conninfo
        self._stale_s = stale_after_s
        self._stalled_s = stalled_after_s
        self._defer_app = _app(SyncPsycopgConnector(conninfo=conninfo), self)
        self._defer_lock = threading.Lock()
        self._opened = False
        self._thread: threading.Thread | None = None
        # Set once the worker's app is open (or its thread gave up): a cancel that lands
        # while the connection pool opens leaves the pool's tasks running for good.
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None

    # -- JobQueue ---------------------------------------------------------------------------
    def submit(self, job_id: str) -> None:
        """Defer the message "run job X" (once: a second defer of a waiting X is refused)."""
        with self._defer_lock:
            if not self._opened:
                self._defer_app.open()
                self._opened = True
        with contextlib.suppress(AlreadyEnqueued):
            self._defer_app.configure_task(TASK, queueing_lock=job_id).defer(job_id=job_id)

    def start(self) -> None:
        """Run a procrastinate worker in a background thread of this process."""
        self._ready.clear()
        self._thread = threading.Thread(
            target=self.work, kwargs={"concurrency": 1, "signals": False}, daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._ready.wait(timeout)
        loop, main = self._loop, self._main
        if loop is not None and main is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(main.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._opened:
            self._defer_app.close()
            self._opened = False

    def run_pending(self) -> int:
        """Run the waiting messages here until the queue is empty; returns jobs run."""
        before = self._ran
        self.work(concurrency=1, signals=False, wait=False)
        return self._ran - before

    # -- the worker -------------------------------------------------------------------------
    _ran = 0

    def work(self, concurrency: int, signals: bool = True, wait: bool = True) -> None:
        """Run a worker until stopped (SIGINT/SIGTERM with `signals`), or until the queue is
        empty when not `wait`."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._main = loop.create_task(self._work(concurrency, signals, wait))
            if self.stopping.is_set():  # stopped before this thread got here
                self._main.cancel()
            loop.run_until_complete(self._main)
        except asyncio.CancelledError:
            pass
        finally:
            self._ready.set()
            self._loop = None
            _finish(loop)

    async def _work(self, concurrency: int, signals: bool, wait: bool) -> None:
        app = _app(PsycopgConnector(conninfo=self._conninfo), self)
        async with app.open_async():
            self._ready.set()
            await self._recover(app)
            sweeper = asyncio.create_task(self._sweep(app)) if wait else None
            beat = asyncio.create_task(self._heartbeat())
            try:
                await app.run_worker_async(
                    queues=[QUEUE],
                    concurrency=concurrency,
                    wait=wait,
                    install_signal_handlers=signals,
                    listen_notify=wait,
                    fetch_job_polling_interval=1.0 if wait else 0.1,
                    update_heartbeat_interval=max(self._stalled_s / 3, 0.5),
                    stalled_worker_timeout=self._stalled_s,
                    delete_jobs="successful",
                    shutdown_graceful_timeout=10.0,
                )
            finally:
                for task in (sweeper, beat):
                    if task is not None:
                        task.cancel()

    async def _sweep(self, app: App) -> None:
        while True:
            await asyncio.sleep(max(min(self._stale_s, self._stalled_s) / 3, 0.5))
            try:
                await self._recover(app)
            except Exception:  # the sweep must outlive a dropped connection
                logger.exception("job recovery sweep failed; trying again")

    async def _recover(self, app: App) -> None:
        """Stalled messages back to the queue; rows of dead runners requeued and re-sent."""
        for job in await app.job_manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=self._stalled_s
        ):
            logger.warning("job message %s stalled (its worker died): retrying", job.id)
            await app.job_manager.retry_job(job)
        await asyncio.to_thread(self.requeue_stale)
        stale = timedelta(seconds=max(self._stale_s / 3, 1.0))
        for job_id in await asyncio.to_thread(self.store.queued, stale):
            await asyncio.to_thread(self.submit, job_id)

    async def _heartbeat(self) -> None:
        """Tell the jobs table that this worker's running jobs are alive."""
        while True:
            await asyncio.to_thread(self.store.heartbeat, self.worker_id)
            await asyncio.sleep(max(self._stale_s / 3, 0.5))

    def run_message(self, job_id: str) -> None:
        """The task: claim the job's row and run it; a held row is retried later."""
        job = self.claim(job_id)
        if job is None:
            self.requeue_stale()  # held by a runner that died?
            job = self.claim(job_id)
        if job is None:
            if self.store.status(job_id) is JobStatus.RUNNING:
                raise JobBusy(job_id)
            return  # finished, cancelled or purged: nothing to do
        self.execute(job)
        self._ran += 1


def _app(connector: Any, queue: ProcrastinateQueue) -> App:
    app = App(connector=connector)
    retry = RetryStrategy(max_attempts=1000, wait=2, retry_exceptions={JobBusy})

    @app.task(name=TASK, queue=QUEUE, retry=retry)
    def run_job(job_id: str) -> None:
        queue.run_message(job_id)

    return app


def ensure_schema(engine: Engine) -> None:
    """Install procrastinate's tables and functions once (under an advisory lock, so replicas
    starting together do not race)."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('procrastinate', 0))"))
        if conn.scalar(text("SELECT to_regclass('procrastinate_jobs')")) is None:
            # One script of many statements, no parameters: straight to the driver.
            conn.connection.cursor().execute(SchemaManager.get_schema())


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """Close `loop` as asyncio.run does: the tasks still on it (the connection pool's workers,
    which its close cancels but cannot wait for once the main task is gone) are cancelled and
    awaited first, so none is destroyed pending."""
    try:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        if tasks:  # bounded: a task that ignores its cancel must not hold the process
            loop.run_until_complete(asyncio.wait(tasks, timeout=5.0))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
