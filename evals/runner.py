"""One evaluation run: load a file, pre-fill the embedding cache, ingest every scope through
the public SDK (or reuse the scopes a previous run ingested), ask every question of memsvc
and of the baselines, score, and optionally answer and judge with an LLM."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from memsvc.evals.cache import (
    DEFAULT_CACHE_DIR,
    PrefillStats,
    ScopeLedger,
    config_hash,
    harness_embedder,
    open_embedder,
    prefill,
)
from memsvc.evals.loaders import Dataset, Haystack, Kind, Question, load
from memsvc.evals.metrics import DEFAULT_KS, Summary, ks_for, score_question, summarise
from memsvc.evals.sampling import stratified_sample
from memsvc.evals.systems import (
    MemoryAPI,
    SystemRun,
    ingest_haystack,
    run_job,
    search_baselines,
    search_memsvc,
)
from tqdm import tqdm

import memsvc
from memsvc import Memory, MemoryClient
from memsvc.settings import Settings

# Bump when the harness changes what it ingests (ids, texts, dates): old scope databases
# are then not reused.
INGEST_FORMAT = 3  # 2: first-person statements as keys; 3: rules v3 (facts said in passing)


@dataclass(slots=True)
class RunConfig:
    """Everything that decides what a run does (the CLI's options)."""

    kind: Kind
    data: Path
    ks: tuple[int, ...] = DEFAULT_KS
    sample: int | None = None
    seed: int = 0
    # Only these question types (after sampling, so a sample's subset keeps its questions).
    types: tuple[str, ...] = ()
    search_k: int = 100
    mode: Literal["auto", "all", "turn"] = "auto"
    exclude: tuple[str, ...] = ()  # retrievers left out of memsvc's route (ablations)
    extract: Literal["auto", "off", "sync", "async"] = "auto"  # the SDK's default
    # Lifecycle jobs run on each scope after its ingest, in order (e.g. compress).
    jobs: tuple[str, ...] = ()
    cache_dir: Path = DEFAULT_CACHE_DIR
    url: str | None = None
    api_key: str | None = None
    baselines: bool = True
    qa: bool = True  # only when an LLM endpoint is configured
    qa_k: int = 10
    reingest: bool = False
    progress: bool = True
    dump_hits: bool = False  # write each question's route and voted hits (hits.jsonl)
    coverage: bool = False  # evidence coverage of packed contexts at 512/1024/2048 tokens
    profile: bool = False  # time each stage of memsvc's searches (evals/profile.py)
    settings: Settings | None = None
    # Another database for the scopes (e.g. postgresql+pgserver:///DIR): the ingest ledger
    # stays in the cache folder, keyed by this URL too.
    database_url: str | None = None


@dataclass(slots=True)
class IngestStats:
    scopes_ingested: int = 0
    scopes_reused: int = 0
    turns_ingested: int = 0
    seconds: float = 0.0
    job_seconds: float = 0.0  # of `seconds`, spent in the lifecycle jobs after ingest
    database: str | None = None


@dataclass(slots=True)
class RunResult:
    config: RunConfig
    dataset: Dataset
    questions: list[Question]
    ks: tuple[int, ...]
    systems: dict[str, SystemRun]
    summaries: dict[str, Summary]
    ingest: IngestStats
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    qa: dict[str, Any] = field(default_factory=dict)
    embedder: str = ""

    @property
    def cold(self) -> bool:
        """True when this run had to embed or ingest anything."""
        return self.counts.get("texts_embedded", 0) > 0 or self.ingest.scopes_ingested > 0


def run(config: RunConfig) -> RunResult:
    """Run the whole evaluation described by `config`."""
    timings: dict[str, float] = {}
    settings = config.settings or Settings()
    started = time.perf_counter()
    dataset = _timed(timings, "load", lambda: load(config.data, config.kind))
    questions = _select(dataset, config)
    haystacks = {q.scope_id: dataset.haystacks[q.scope_id] for q in questions}
    embedder = open_embedder(settings.embedder, config.cache_dir)
    try:
        texts = [t.key_text for h in haystacks.values() for _, t in h.turns()]
        stats = _timed(
            timings,
            "embed_prefill",
            lambda: prefill(
                embedder, texts + [q.text for q in questions], progress=config.progress
            ),
        )
        memory_run, ingest = _run_memsvc(config, settings, dataset, questions, haystacks, timings)
        systems = {"memsvc": memory_run}
        if config.baselines:
            systems |= _timed(
                timings,
                "search_baselines",
                lambda: search_baselines(
                    embedder, questions, haystacks, config.progress, coverage=config.coverage
                ),
            )
    finally:
        embedder.close()
    ks = ks_for(config.kind, config.ks)
    summaries = {name: _summary(config.kind, questions, s, ks) for name, s in systems.items()}
    result = RunResult(config, dataset, questions, ks, systems, summaries, ingest, timings)
    result.embedder = settings.embedder.embedder_name()
    result.counts = _counts(questions, haystacks, len(texts), stats)
    if config.qa:
        from memsvc.evals.qa import run_qa  # the LLM client loads only when asked for

        result.qa = _timed(timings, "qa", lambda: run_qa(settings, result))
    timings["total"] = time.perf_counter() - started
    return result


def _counts(
    questions: list[Question], haystacks: dict[str, Haystack], turns: int, stats: PrefillStats
) -> dict[str, int]:
    return {
        "questions": len(questions),
        "scored": sum(1 for q in questions if not q.excluded),
        "scopes": len(haystacks),
        "turns": turns,
        "distinct_texts": stats.texts,
        "texts_embedded": stats.embedded,
    }


def _select(dataset: Dataset, config: RunConfig) -> list[Question]:
    questions = list(dataset.questions)
    if config.sample:
        questions = stratified_sample(questions, config.sample, config.seed)
    if config.types:
        questions = [q for q in questions if q.qtype in config.types]
    return questions


def _summary(kind: Kind, questions: list[Question], system: SystemRun, ks: tuple[int, ...]):
    scores = {
        q.question_id: score_question(q, system.hits[q.question_id], kind, ks)
        | system.coverage.get(q.question_id, {})
        for q in questions
        if not q.excluded and q.question_id in system.hits
    }
    return summarise(questions, scores)


def _run_memsvc(
    config: RunConfig,
    settings: Settings,
    dataset: Dataset,
    questions: list[Question],
    haystacks: dict[str, Haystack],
    timings: dict[str, float],
) -> tuple[SystemRun, IngestStats]:
    memory, ledger, database = _open_memory(config, settings, dataset)
    try:
        ingest = _timed(timings, "ingest", lambda: _ingest(memory, ledger, haystacks, config))
        ingest.database = database
        options: dict[str, Any] = {"k": config.search_k, "mode": config.mode}
        if config.exclude:
            options["exclude_retrievers"] = list(config.exclude)
        if config.profile:
            options["profile"] = True
        found = _timed(
            timings,
            "search_memsvc",
            lambda: search_memsvc(
                memory,
                questions,
                haystacks,
                options,
                config.progress,
                dump=config.dump_hits,
                coverage=config.coverage,
            ),
        )
    finally:
        memory.close()
        if ledger:
            ledger.close()
    return found, ingest


def _open_memory(
    config: RunConfig, settings: Settings, dataset: Dataset
) -> tuple[MemoryAPI, ScopeLedger | None, str | None]:
    """A `MemoryClient` for `--url`; otherwise an embedded `Memory` on the scope database
    of this (data file, ingest configuration), with the shared embedding cache."""
    if config.url:
        return MemoryClient(config.url, api_key=config.api_key, timeout=300.0), None, config.url
    key = config_hash(
        {
            "data": dataset.sha256,
            # The model and its backend (the model alone for torch: older scopes' hash).
            "embedder": settings.embedder.embedder_name(),
            "extract": resolved_extract(config.extract, settings),
            # What extraction writes depends on its settings (extractor, confidence floor).
            "extraction": settings.extraction.model_dump() if config.extract != "off" else None,
            "memsvc": memsvc.__version__,
            "format": INGEST_FORMAT,
            # Only when set, so scopes ingested before jobs existed keep their hash.
            **({"jobs": list(config.jobs)} if config.jobs else {}),
            **({"database": config.database_url} if config.database_url else {}),
        }
    )
    folder = config.cache_dir / "scopes" / f"{dataset.name}-{key}"
    if config.reingest and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    embedder = harness_embedder(settings.embedder, config.cache_dir)
    local = settings.model_copy(
        update={
            "data_dir": folder,
            "database_url": config.database_url or f"sqlite:///{folder.resolve() / 'memsvc.db'}",
            "embedder": embedder,
        }
    )
    return Memory(local), ScopeLedger(folder / "ledger.db"), str(folder)


def resolved_extract(extract: str, settings: Settings) -> str:
    """What `extract` does for memsvc's settings: "auto" is inline for the rules extractor
    and a job for an LLM one (scope databases are keyed by what was done, not by the word)."""
    if extract != "auto":
        return extract
    return "sync" if settings.extraction.extractor == "rules" else "async"


def _ingest(
    memory: MemoryAPI,
    ledger: ScopeLedger | None,
    haystacks: dict[str, Haystack],
    config: RunConfig,
) -> IngestStats:
    stats = IngestStats()
    done = ledger.done() if ledger else set()
    todo = [h for scope, h in haystacks.items() if scope not in done]
    stats.scopes_reused = len(haystacks) - len(todo)
    total = sum(len(s.turns) for h in todo for s in h.sessions)
    start = time.perf_counter()
    with tqdm(total=total, desc="ingest", unit="turn", disable=not config.progress) as bar:
        for haystack in todo:
            began = time.perf_counter()
            turns = ingest_haystack(memory, haystack, config.extract, bar.update)
            jobs_began = time.perf_counter()
            for kind in config.jobs:
                run_job(memory, kind, haystack.scope_id)
            stats.job_seconds += time.perf_counter() - jobs_began
            if ledger:  # only now is the scope complete
                ledger.mark(haystack.scope_id, turns, time.perf_counter() - began)
            stats.scopes_ingested += 1
            stats.turns_ingested += turns
    stats.seconds = time.perf_counter() - start
    return stats


def _timed(timings: dict[str, float], name: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    try:
        return fn()
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
