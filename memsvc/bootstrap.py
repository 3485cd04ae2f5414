"""The composition root: builds engines, stores, the embedder, indexes and services from
`Settings`. The API lifespan, the CLI and `memsvc.Memory` all call `build`; nothing connects
at import time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from tqdm import tqdm

from memsvc.checks import InputChecks
from memsvc.domain import UnavailableError
from memsvc.domain.jobs import JobHandler, JobQueue
from memsvc.domain.ports import Embedder, Embeddings, UnitOfWorkFactory, VectorIndex
from memsvc.embedding import CachedEmbedder, build_embedder
from memsvc.llm import OpenAICompatibleLLM, build_llm
from memsvc.operations.auth import Authenticator
from memsvc.operations.decide import FactDecider
from memsvc.operations.derive import DerivedWriter
from memsvc.operations.editing import Editor
from memsvc.operations.extract.llm import LLMExtractor
from memsvc.operations.extract.rules import RulesExtractor
from memsvc.operations.extraction import Extraction
from memsvc.operations.graph import GraphService
from memsvc.operations.ingest import Ingestor
from memsvc.operations.jobs import JobService
from memsvc.operations.lifecycle import Lifecycle
from memsvc.operations.procedure_writes import ProcedureWriter
from memsvc.operations.purge import Purger
from memsvc.operations.reembed import Reembedder
from memsvc.operations.runner import InProcessRunner
from memsvc.operations.transfer import Transfer
from memsvc.retrieval.searcher import Searcher
from memsvc.service import MemoryService, ServiceParts
from memsvc.settings import Settings
from memsvc.stores.backend import Backend, backend_for
from memsvc.stores.engine import HnswOptions, PoolOptions
from memsvc.stores.gauges import database_bytes, queue_depth
from memsvc.stores.jobs import JobStore
from memsvc.stores.keys import KeyRepository
from memsvc.stores.maintenance import scrub_pending
from memsvc.stores.meta import cache_secret, instance_id, record_embedder, recorded_embedder
from memsvc.stores.migrate import upgrade
from memsvc.stores.null_index import NullVectorIndex
from memsvc.stores.readiness import readiness
from memsvc.stores.statistics import PlannerStatistics
from memsvc.stores.uow import SqlUnitOfWorkFactory
from memsvc.stores.vectors import stale_vectors
from memsvc.telemetry import Sources, Telemetry
from memsvc.tokens import TokenCounter

logger = logging.getLogger(__name__)


@dataclass
class Container:
    settings: Settings
    write_engine: Engine
    read_engine: Engine
    embedder: CachedEmbedder
    index: VectorIndex
    uow: UnitOfWorkFactory
    keys: KeyRepository
    runner: JobQueue
    service: MemoryService
    llm: OpenAICompatibleLLM | None = None  # the extraction LLM, when configured
    tokens: TokenCounter | None = None  # LLM tokens used per scope ("tenant/user")
    lifecycle: Lifecycle | None = None  # closed with the container (its summary LLM)
    telemetry: Telemetry | None = None  # metrics (and traces) of this container's services
    backend: Backend | None = None  # what differs per database (SQLite or PostgreSQL)

    def close(self) -> None:
        self.runner.stop()
        if self.lifecycle is not None:
            self.lifecycle.close()
        if self.llm is not None:
            self.llm.close()
        self.service.flush()
        self.index.close()
        self.embedder.close()
        self.write_engine.dispose()
        self.read_engine.dispose()


def build(
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    migrate: bool = True,
    tracer_provider: object | None = None,
    reembed: bool = False,
) -> Container:
    """`tracer_provider` (OpenTelemetry) replaces the process's global one when tracing is on.
    A store whose vectors another embedder made is re-embedded first: always on SQLite, on
    PostgreSQL only with `reembed` (`memsvc reembed`), else the build is refused."""
    settings = settings or Settings()
    telemetry = Telemetry(settings.telemetry, tracer_provider)
    backend = _backend(settings)
    write, read = backend.engines(_pool(settings))
    statistics = PlannerStatistics(write, read)
    if migrate:
        upgrade(write)
        statistics.refresh()
    secret = settings.embedder.cache_secret or cache_secret(write)
    recorded = recorded_embedder(write)
    cached = (
        CachedEmbedder(embedder, None, secret)
        if embedder is not None
        else build_embedder(settings.embedder_for(recorded), settings.embedding_cache_path, secret)
    )
    if recorded not in (None, cached.name):
        _embedder_changed(backend, recorded, cached.name, reembed)
        _reembed(backend, write, read, cached)
    index = backend.index(read, cached.dim, instance_id(write))
    if recorded != cached.name:
        index.rebuild()  # its files hold the old embedder's vectors, or none (a new store)
        record_embedder(write, cached.name)
    uow = SqlUnitOfWorkFactory(write, read, index, cached.name, backend)
    tokens = TokenCounter()
    extraction, llm = _extraction(settings, uow, cached, tokens)
    scrub = _scrubber(backend, index, write)
    purger = Purger(uow, cached, scrub, settings.purge)
    if scrub_pending(write):  # a purge committed but its files were not scrubbed (a crash)
        _finish_scrub(cached, index, scrub)
    lifecycle = Lifecycle(uow, cached, settings.lifecycle, purger, settings.llm)
    handlers = {"extract": extraction.handle, **lifecycle.handlers}
    runner = _queue(settings, backend, write, handlers, telemetry, migrate)
    job_service = JobService(uow, runner, frozenset(handlers))
    lifecycle.bind(job_service, runner.tenants, runner.stopping)
    keys = KeyRepository(write)
    parts = ServiceParts(
        uow=uow,
        ingestor=Ingestor(
            uow, cached, settings.writes.group_max, settings.writes.group_wait_ms / 1000
        ),
        editor=Editor(uow, cached),
        searcher=Searcher(uow, index, cached, settings.retrieval, telemetry),
        extraction=extraction,
        jobs=job_service,
        graph=GraphService(uow, ProcedureWriter(cached)),
        lifecycle=lifecycle,
        checks=InputChecks(settings.limits),
        purger=purger,
        auth=Authenticator(keys, settings.default_tenant, _dev_mode(settings, keys)),
        readiness=lambda: {**readiness(read), "embedder": cached.name},
        transfer=Transfer(uow, cached, after_write=statistics.after_write),
        after_write=lambda created: _after_write(statistics, telemetry, created),
        probe=telemetry,
        read_retries=settings.pool.read_retries,
    )
    _watch(telemetry, cached, read, backend)
    service = MemoryService(parts)
    if settings.jobs.run_in_process:
        runner.start()
        lifecycle.start_scheduler()
    return Container(
        settings,
        write,
        read,
        cached,
        index,
        uow,
        keys,
        runner,
        service,
        llm,
        tokens,
        lifecycle=lifecycle,
        telemetry=telemetry,
        backend=backend,
    )


def _embedder_changed(backend: Backend, recorded: str, name: str, allowed: bool) -> None:
    """Refuse to re-embed a shared store unless asked to (other processes may be writing
    with the old embedder); otherwise say what is about to happen."""
    if backend.shared and not allowed:
        raise UnavailableError(
            f"this store's vectors were made by {recorded!r} and the embedder is now {name!r}; "
            "vectors of two embedders are never searched together. Stop every server and "
            "worker of this store and run `memsvc reembed` once (it re-embeds every vector "
            "from its text), or keep the old embedder (MEMSVC_EMBEDDER_BACKEND=auto keeps "
            "the store's backend)."
        )
    logger.warning(
        "this store's vectors were made by %s and the embedder is now %s: re-embedding them "
        "from their texts before serving (once; an interrupted run goes on at the next start)",
        recorded,
        name,
    )


def _reembed(backend: Backend, write: Engine, read: Engine, cached: CachedEmbedder) -> None:
    """Re-embed every vector another embedder made. The vector index is rebuilt from SQL
    afterwards, so writes go through a unit of work that feeds it nothing meanwhile."""
    tenants, count = stale_vectors(write, cached.name)
    uow = SqlUnitOfWorkFactory(write, read, NullVectorIndex(), cached.name, backend)
    start = time.perf_counter()
    with tqdm(total=count, desc="re-embed", unit="vector", disable=count == 0) as bar:
        done = Reembedder(uow, cached, bar.update).run(tenants)
    logger.warning("re-embedded %d vectors in %.0f s", done, time.perf_counter() - start)


def _backend(settings: Settings) -> Backend:
    pg = settings.postgres
    options = HnswOptions(
        exact_below=pg.exact_below,
        m=pg.hnsw_m,
        ef_construction=pg.hnsw_ef_construction,
        ef_search=pg.ef_search,
        max_scan_tuples=pg.max_scan_tuples,
    )
    return backend_for(settings.resolved_database_url, options)


def _pool(settings: Settings) -> PoolOptions:
    pool = settings.pool
    return PoolOptions(size=pool.size, max_overflow=pool.max_overflow, timeout_s=pool.timeout_s)


def _after_write(statistics: PlannerStatistics, telemetry: Telemetry, created: int) -> None:
    statistics.after_write(created)
    telemetry.turns_stored(created)


def _watch(telemetry: Telemetry, embedder: CachedEmbedder, read: Engine, backend: Backend) -> None:
    """What /metrics reads at each scrape: embedding totals, queue depth, database size."""
    telemetry.watch(
        Sources(
            embedded=lambda: (embedder.embedded, embedder.embed_seconds),
            queue_depth=lambda: queue_depth(read),
            database_bytes=lambda: database_bytes(read, backend.files()),
        )
    )


def _scrubber(backend: Backend, index: VectorIndex, engine: Engine) -> Callable[[], object]:
    """After a purge: SQLite writes the FAISS files without the purged vectors, merges the
    lexical index and checkpoints the WAL; PostgreSQL has no files of its own to scrub."""

    def scrub() -> object:
        return backend.scrub(engine, index)

    return scrub


def _finish_scrub(cached: CachedEmbedder, index: VectorIndex, scrub: Callable[[], object]) -> None:
    """At start, after a crash between a purge's commit and its scrub: which texts it purged
    is not known any more, so every cached vector goes (a cache: they are embedded again when
    needed), and the vector index files are written anew from SQL; then the database files
    are scrubbed."""
    logger.warning("finishing the scrub of a purge interrupted by a crash")
    cached.clear()
    index.rebuild()
    scrub()


def _dev_mode(settings: Settings, keys: KeyRepository) -> bool:
    """Whether requests without a key are served (as the default tenant): decided here, once."""
    if settings.auth.mode == "auto":
        return not keys.any_active()
    return settings.auth.mode == "dev"


def _queue(
    settings: Settings,
    backend: Backend,
    engine: Engine,
    handlers: dict[str, JobHandler],
    telemetry: Telemetry,
    migrate: bool,
) -> JobQueue:
    """The in-process runner for SQLite; procrastinate (any number of workers) for PostgreSQL."""
    jobs = settings.jobs
    if backend.queue == "procrastinate":
        from memsvc.operations.procrastinate_queue import ProcrastinateQueue, ensure_schema

        if migrate:
            ensure_schema(engine)
        return ProcrastinateQueue(
            JobStore(engine),
            handlers,
            engine.url.set(drivername="postgresql").render_as_string(hide_password=False),
            stale_after_s=jobs.stale_after_s,
            stalled_after_s=settings.postgres.stalled_after_s,
            max_attempts=jobs.max_attempts,
            on_finish=telemetry.job_finished,
        )
    return InProcessRunner(
        JobStore(engine),
        handlers,
        workers=jobs.workers,
        poll_s=jobs.poll_s,
        stale_after_s=jobs.stale_after_s,
        max_attempts=jobs.max_attempts,
        on_finish=telemetry.job_finished,
    )


def _extraction(
    settings: Settings, uow: UnitOfWorkFactory, embedder: Embeddings, tokens: TokenCounter
) -> tuple[Extraction, OpenAICompatibleLLM | None]:
    """Rules extraction, or `llm` extraction with its decision step and the rules extractor as
    fallback when `extraction.extractor` is "llm" and an endpoint is configured."""
    writer = DerivedWriter(embedder)
    llm = build_llm(settings.llm) if settings.extraction.extractor == "llm" else None
    if llm is None:
        if settings.extraction.extractor == "llm":
            logger.warning("extractor 'llm' needs MEMSVC_LLM_BASE_URL; using 'rules'")
        floor = settings.extraction.min_confidence
        return Extraction(uow, writer, RulesExtractor(), min_confidence=floor), None
    budget, reply = settings.extraction.budget_tokens, settings.llm.max_tokens
    extractor = LLMExtractor(llm, budget_tokens=budget, reply_tokens=reply, tokens=tokens)
    decider = FactDecider(
        uow, embedder, llm, tokens=tokens, budget_tokens=budget, reply_tokens=reply
    )
    fallback = RulesExtractor()
    floor = settings.extraction.min_confidence
    extraction = Extraction(
        uow,
        writer,
        extractor,
        fallback=fallback,
        decider=decider,
        min_confidence=floor,
        default_mode="async",  # an LLM call never holds up an add
    )
    return extraction, llm
