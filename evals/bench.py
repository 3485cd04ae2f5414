"""`memsvc bench`: ingest throughput, search latency and memory as one scope grows, for the
embedded default (`memsvc.Memory`, SQLite + FAISS, MiniLM), next to a dense flat numpy
baseline over the same vectors, in one process and one run.

Per size N:
1. N synthetic chat turns (unique, LoCoMo-like length, seeded) in sessions of 25 turns.
2. Raw batched embedding: the same model embeds the distinct texts in batches of 512, with no
   cache and no store: the ceiling the service's ingest is compared with. It is timed again
   after the ingest (on up to 2,000 texts) and the two rates averaged, so a change of load on
   a shared machine between the phases skews the ratio less.
3. Ingest through the SDK, one `add` per session, extraction as `extract` says (default
   "auto", what an SDK user gets: the rules extractor inline), no embedding cache (every turn
   is embedded by the service).
4. Search: `queries` unique synthetic questions (so every query is embedded: latency includes
   query embedding) against memsvc (`k` hits, mode auto) and against dense flat (query
   embedding + one matrix product + top-k).
Peak RSS is sampled (psutil) during each phase.

The cheaper configuration above `cheap_above` turns: embedding 100k distinct texts takes
~15 minutes on 2 cores, so such a scope holds `cheap_above // 2` distinct texts, each used by
several turns of different sessions. Their vectors are pre-computed once by the raw pass and
put in a fresh embedding cache the service reads, so that size's ingest rate measures storage
and indexing, not the model, and is flagged as such in the output.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import psutil
from memsvc.evals.profile import StageTimes, stages_markdown
from memsvc.evals.report import git_info, latency_stats, machine_info
from memsvc.evals.synthetic import synthetic_questions, synthetic_turns
from tqdm import tqdm

from memsvc import Memory
from memsvc.embedding import CachedEmbedder, EmbeddingCache, build_embedder
from memsvc.settings import Settings

SESSION_TURNS = 25
RAW_BATCH = 512


@dataclass(slots=True)
class BenchConfig:
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    queries: int = 200
    k: int = 10
    cheap_above: int = 20_000
    embedder: str | None = None
    progress: bool = True
    seed: int = 0
    extract: Literal["auto", "sync", "async", "off"] = "auto"  # of each add
    profile: bool = False  # time each stage of every memsvc search (evals/profile.py)


@dataclass(slots=True)
class SizeResult:
    """One scope size. `raw_turns_per_s` is the mean of the raw rates before and after the
    ingest; `raw_embed_s` is the first (full) raw pass."""

    size: int
    distinct_texts: int
    cheap: bool
    raw_embed_s: float
    raw_turns_per_s: float
    ingest_s: float
    ingest_turns_per_s: float
    ingest_vs_raw: float | None
    memsvc_latency_ms: dict[str, float]
    dense_latency_ms: dict[str, float]
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    note: str = ""
    stages: dict[str, Any] | None = None  # with --profile: StageTimes.to_dict()


@dataclass(slots=True)
class BenchResult:
    config: BenchConfig
    embedder: str
    sizes: list[SizeResult]
    created: str
    seconds: float


class PeakRSS:
    """Samples this process's resident memory in a thread; `peak` is the highest seen."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self._process = psutil.Process()
        self._interval = interval_s
        self._stop = threading.Event()
        self.peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def mb(self) -> float:
        return self.peak / 2**20


def run_bench(config: BenchConfig) -> BenchResult:
    """Measure every size in `config.sizes`, smallest first."""
    settings = _settings(config)
    raw = build_embedder(settings.embedder, None).inner
    start = time.perf_counter()
    results = [_measure(config, settings, raw, size) for size in sorted(config.sizes)]
    return BenchResult(
        config,
        raw.name,
        results,
        datetime.now(UTC).isoformat(timespec="seconds"),
        time.perf_counter() - start,
    )


def _settings(config: BenchConfig) -> Settings:
    settings = Settings()
    if config.embedder:
        model = settings.embedder.model_copy(update={"model": config.embedder})
        settings = settings.model_copy(update={"embedder": model})
    return settings


@dataclass(slots=True)
class Corpus:
    size: int
    texts: list[str]  # the distinct texts; turns cycle through them
    vectors: np.ndarray
    cheap: bool


@dataclass(slots=True)
class ServiceRun:
    ingest_s: float
    memsvc_ms: list[float]
    dense_ms: list[float]
    rss_ingest_mb: float
    rss_search_mb: float
    stages: StageTimes | None = None


def _measure(config: BenchConfig, settings: Settings, raw: Any, size: int) -> SizeResult:
    cheap = size > config.cheap_above
    distinct = config.cheap_above // 2 if cheap else size
    texts = synthetic_turns(distinct, seed=config.seed + size)
    with PeakRSS() as rss_raw:
        vectors, raw_s = raw_embed(raw, texts, config.progress, size)
    run = through_service(config, settings, raw, Corpus(size, texts, vectors, cheap))
    # On a shared machine the load changes between phases: time the raw pass again after the
    # ingest (on up to 2,000 of the texts) and compare the ingest with the mean of both rates.
    again = texts[:2000]
    _, after_s = raw_embed(raw, again, False, size)
    raw_rate, rate = (distinct / raw_s + len(again) / after_s) / 2, size / run.ingest_s
    note = (
        f"cheaper configuration: {distinct} distinct texts, each in ~{size // distinct} "
        "turns; vectors pre-computed into the embedding cache, so ingest measures storage "
        "and indexing only"
    )
    return SizeResult(
        size=size,
        distinct_texts=distinct,
        cheap=cheap,
        raw_embed_s=raw_s,
        raw_turns_per_s=raw_rate,
        ingest_s=run.ingest_s,
        ingest_turns_per_s=rate,
        ingest_vs_raw=None if cheap else rate / raw_rate,
        memsvc_latency_ms=latency_stats(run.memsvc_ms),
        dense_latency_ms=latency_stats(run.dense_ms),
        peak_rss_mb={
            "raw_embed": rss_raw.mb,
            "ingest": run.rss_ingest_mb,
            "search": run.rss_search_mb,
        },
        note=note if cheap else "",
        stages=run.stages.to_dict() if run.stages else None,
    )


def through_service(
    config: BenchConfig, settings: Settings, raw: Any, corpus: Corpus
) -> ServiceRun:
    """Ingest the corpus into a fresh embedded store, then time both systems' searches."""
    folder = Path(tempfile.mkdtemp(prefix=f"memsvc-bench-{corpus.size}-"))
    try:
        cache = _cache_with(folder, raw.name, corpus.texts, corpus.vectors) if corpus.cheap else ""
        local = settings.model_copy(
            update={
                "data_dir": folder,
                "database_url": f"sqlite:///{folder / 'bench.db'}",
                "embedder": settings.embedder.model_copy(update={"cache_path": cache}),
            }
        )
        with Memory(local) as memory:
            with PeakRSS() as rss_ingest:
                ingest_s = _ingest(memory, corpus, config)
            questions = synthetic_questions(config.queries, seed=config.seed + corpus.size + 1)
            stages = StageTimes() if config.profile else None
            with PeakRSS() as rss_search:
                mine = _search_memsvc(memory, questions, config.k, stages)
                flat_vectors = _repeat(corpus.vectors, corpus.size)
                flat = _search_dense(raw, flat_vectors, questions, config.k)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return ServiceRun(ingest_s, mine, flat, rss_ingest.mb, rss_search.mb, stages)


def raw_embed(
    raw: Any, texts: list[str], progress: bool, label: object
) -> tuple[np.ndarray, float]:
    """Vectors of `texts` in batches of RAW_BATCH, and the seconds they took."""
    parts = []
    start = time.perf_counter()
    bar = tqdm(total=len(texts), desc=f"raw embed {label}", unit="turn", disable=not progress)
    for i in range(0, len(texts), RAW_BATCH):
        parts.append(raw.embed_batch(texts[i : i + RAW_BATCH]))
        bar.update(len(texts[i : i + RAW_BATCH]))
    bar.close()
    return np.concatenate(parts).astype(np.float32), time.perf_counter() - start


def _cache_with(folder: Path, name: str, texts: list[str], vectors: np.ndarray) -> str:
    """A fresh embedding cache holding the raw pass's vectors (the cheaper configuration),
    filled through `CachedEmbedder` so the keys are the ones the service looks up."""
    path = folder / "embeddings.db"
    cache = EmbeddingCache(path)
    filler = _PrecomputedEmbedder(name, dict(zip(texts, vectors)))
    cached = CachedEmbedder(filler, cache)
    for i in range(0, len(texts), RAW_BATCH):
        cached.embed_batch(texts[i : i + RAW_BATCH])
    cache.close()
    return str(path)


class _PrecomputedEmbedder:
    """Answers with vectors computed earlier by the same model (named like it)."""

    def __init__(self, name: str, vectors: dict[str, np.ndarray]) -> None:
        self.name = name
        self.dim = len(next(iter(vectors.values())))
        self._vectors = vectors

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vectors[t] for t in texts])


def _repeat(vectors: np.ndarray, size: int) -> np.ndarray:
    reps = -(-size // len(vectors))
    return np.tile(vectors, (reps, 1))[:size]


def _ingest(memory: Memory, corpus: Corpus, config: BenchConfig) -> float:
    texts, size = corpus.texts, corpus.size
    base = datetime(2024, 1, 1, tzinfo=UTC)
    start = time.perf_counter()
    bar = tqdm(total=size, desc=f"ingest {size}", unit="turn", disable=not config.progress)
    for first in range(0, size, SESSION_TURNS):
        number = first // SESSION_TURNS
        when = base + timedelta(hours=number)
        messages = [
            {
                "role": "user" if i % 2 == 0 else "assistant",
                "content": texts[i % len(texts)],
                "client_id": f"t{i}",
                "occurred_at": when,
            }
            for i in range(first, min(size, first + SESSION_TURNS))
        ]
        session = f"s{number}"
        memory.add(
            messages, user_id="bench", session_id=session, occurred_at=when, extract=config.extract
        )
        bar.update(len(messages))
    bar.close()
    return time.perf_counter() - start


def _search_memsvc(
    memory: Memory, questions: list[str], k: int, stages: StageTimes | None = None
) -> list[float]:
    """Latencies of the questions' searches, after one untimed search (the scope's first,
    cold one: with `stages`, its profile is kept apart from the others')."""
    profile = stages is not None
    out = []
    for i, q in enumerate(["warm-up question about nothing", *questions]):
        start = time.perf_counter()
        result = memory.search(q, user_id="bench", k=k, profile=profile)
        elapsed = (time.perf_counter() - start) * 1000
        if stages is not None:
            stages.add("bench", result, elapsed)
        if i:
            out.append(elapsed)
    return out


def _search_dense(raw: Any, vectors: np.ndarray, questions: list[str], k: int) -> list[float]:
    out = []
    for q in questions:
        start = time.perf_counter()
        query = raw.embed_batch([q])[0]
        scores = vectors @ query
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
        top[np.argsort(-scores[top])]
        out.append((time.perf_counter() - start) * 1000)
    return out


def write_bench(result: BenchResult, out: Path | None) -> Path:
    """Write bench.json and bench.md; return the folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = out or Path("reports") / f"bench-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "created": result.created,
        "git": git_info(),
        "machine": machine_info(),
        "embedder": result.embedder,
        "config": asdict(result.config),
        "seconds": result.seconds,
        "sizes": [asdict(s) for s in result.sizes],
    }
    (folder / "bench.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    (folder / "bench.md").write_text(bench_markdown(data))
    return folder


def bench_markdown(data: dict[str, Any]) -> str:
    m, g = data["machine"], data["git"]
    lines = [
        "# memsvc bench",
        "",
        f"- date {data['created']}; commit {g['commit']}{' (dirty)' if g['dirty'] else ''}",
        f"- machine: {m['cpus']} cores, {m['cpu']}; embedder {data['embedder']}; "
        f"sessions of {SESSION_TURNS} turns, one add each, "
        f"extract={data['config'].get('extract', 'off')}; "
        f"{data['config']['queries']} searches per size, k={data['config']['k']}; "
        f"wall {data['seconds']:.0f} s",
        "",
        "| turns | raw embed turns/s | ingest turns/s | ingest/raw | memsvc p50/p95/p99 ms "
        "| dense flat p50/p95/p99 ms | peak RSS MB (ingest/search) |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in data["sizes"]:
        ratio = "–" if s["ingest_vs_raw"] is None else f"{s['ingest_vs_raw']:.0%}"
        lines.append(
            f"| {s['size']:,}{' *' if s['cheap'] else ''} | {s['raw_turns_per_s']:.0f} "
            f"| {s['ingest_turns_per_s']:.0f} | {ratio} | {_pct(s['memsvc_latency_ms'])} "
            f"| {_pct(s['dense_latency_ms'])} "
            f"| {s['peak_rss_mb']['ingest']:.0f} / {s['peak_rss_mb']['search']:.0f} |"
        )
    notes = [f"\\* {s['size']:,}: {s['note']}" for s in data["sizes"] if s["note"]]
    lines += ["", *notes] if notes else []
    lines += [
        "",
        "Latencies include query embedding (unique queries, no cache) for both systems.",
    ]
    for s in data["sizes"]:
        if s.get("stages"):
            lines += ["", f"## Where memsvc's search time goes: {s['size']:,} turns"]
            lines += stages_markdown(s["stages"])
    return "\n".join(lines) + "\n"


def _pct(stats: dict[str, float]) -> str:
    return "/".join(f"{stats[p]:.1f}" for p in ("p50", "p95", "p99")) if stats.get("n") else "–"
