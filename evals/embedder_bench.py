"""`memsvc bench embedders` (issue 13): the backends of the bundled model (torch, onnx,
onnx-int8) side by side, in one process and one run.

Per backend:
1. Embedding speed of the raw embedder (no cache, no store), texts/s in batches of 512,
   threads as configured (MEMSVC_EMBEDDER_THREADS): short turns (`memsvc bench`'s synthetic
   LoCoMo-length turns) and long texts (8 of them joined, ~250 words: past the model's 256
   tokens, so every batch runs at full length).
2. Ingest turns/s and search latency through the SDK on a fresh store of `turns` synthetic
   turns: `memsvc bench`'s service phase (one add per 25-turn session, extraction off, no
   embedding cache; unique queries, so every search embeds its query).
3. Recall: `memsvc eval`'s runner on LoCoMo and on a stratified LongMemEval sample (the same
   questions for every backend), turn recall@10 of memsvc and of the dense baseline. It uses
   the shared cache directory: vectors a backend embedded before are read, not embedded again
   (the cache is keyed by the embedder's name, which names the backend).

The speed phases of all backends run before any recall phase, so a change of load on a shared
machine during the long recall runs does not skew the speed columns.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from memsvc.evals.bench import SESSION_TURNS, BenchConfig, Corpus, raw_embed, through_service
from memsvc.evals.cache import DEFAULT_CACHE_DIR
from memsvc.evals.loaders import Kind
from memsvc.evals.report import git_info, latency_stats, machine_info
from memsvc.evals.runner import RunConfig, run
from memsvc.evals.synthetic import synthetic_turns

from memsvc.embedding import build_embedder
from memsvc.settings import Settings

BACKENDS = ("torch", "onnx", "onnx-int8")
LONG_JOIN = 8  # short turns per long text
TOLERANCE = 0.005  # recall@10 a backend may lose against torch and still be the default
METRIC = "turn_recall@10"


@dataclass(slots=True)
class EmbedderBenchConfig:
    locomo: Path | None = None
    longmemeval: Path | None = None
    sample: int = 30  # LongMemEval questions (stratified by type, `seed`)
    seed: int = 0
    turns: int = 1000  # synthetic short turns: embedded, then ingested
    long_texts: int = 200
    queries: int = 200
    cache_dir: Path = DEFAULT_CACHE_DIR
    backends: tuple[str, ...] = BACKENDS
    progress: bool = True


@dataclass(slots=True)
class BackendResult:
    backend: str
    embedder: str  # the name stored with its vectors
    short_per_s: float
    long_per_s: float
    ingest_turns_per_s: float
    search_ms: dict[str, float]  # memsvc search, query embedding included
    query_ms: dict[str, float]  # embedding one query (and a flat dense scan of the store)
    # dataset -> {"memsvc": recall@10, "dense": recall@10, "cold": 1.0 if anything embedded}
    recall: dict[str, dict[str, float]] = field(default_factory=dict)


def run_embedder_bench(config: EmbedderBenchConfig) -> list[BackendResult]:
    """Every backend's speed, then every backend's recall."""
    results = [_speed(config, backend) for backend in config.backends]
    for result in results:
        result.recall = _recall(config, result.backend)
    return results


def backend_settings(backend: str) -> Settings:
    """The process's settings with the embedder's backend set."""
    settings = Settings()
    embedder = settings.embedder.model_copy(update={"backend": backend})
    return settings.model_copy(update={"embedder": embedder})


def _speed(config: EmbedderBenchConfig, backend: str) -> BackendResult:
    settings = backend_settings(backend)
    raw = build_embedder(settings.embedder, None).inner
    short = synthetic_turns(config.turns, seed=config.seed)
    parts = synthetic_turns(config.long_texts * LONG_JOIN, seed=config.seed + 1)
    longs = [" ".join(parts[i : i + LONG_JOIN]) for i in range(0, len(parts), LONG_JOIN)]
    raw_embed(raw, short[:64], False, "warm-up")
    vectors, short_s = raw_embed(raw, short, config.progress, f"{backend} short")
    _, long_s = raw_embed(raw, longs, config.progress, f"{backend} long")
    bench = BenchConfig(queries=config.queries, progress=config.progress, seed=config.seed)
    service = through_service(bench, settings, raw, Corpus(len(short), short, vectors, False))
    return BackendResult(
        backend=backend,
        embedder=raw.name,
        short_per_s=len(short) / short_s,
        long_per_s=len(longs) / long_s,
        ingest_turns_per_s=len(short) / service.ingest_s,
        search_ms=latency_stats(service.memsvc_ms),
        query_ms=latency_stats(service.dense_ms),
    )


def _recall(config: EmbedderBenchConfig, backend: str) -> dict[str, dict[str, float]]:
    datasets: list[tuple[Kind, Path | None, int | None]] = [
        ("locomo", config.locomo, None),
        ("longmemeval", config.longmemeval, config.sample),
    ]
    out: dict[str, dict[str, float]] = {}
    for kind, data, sample in datasets:
        if data is None:
            continue
        result = run(
            RunConfig(
                kind=kind,
                data=data,
                sample=sample,
                seed=config.seed,
                cache_dir=config.cache_dir,
                qa=False,
                progress=config.progress,
                settings=backend_settings(backend),
            )
        )
        out[kind] = {
            name: result.summaries[name].overall[METRIC] for name in ("memsvc", "dense")
        } | {"cold": float(result.cold)}
    return out


def default_backend(results: list[BackendResult]) -> str:
    """The fastest backend (short turns embedded per second: what ingest and queries embed)
    whose memsvc recall@10 is within TOLERANCE of torch's on every dataset measured."""
    torch = next(r for r in results if r.backend == "torch")

    def holds(result: BackendResult) -> bool:
        return all(
            kind in result.recall and result.recall[kind]["memsvc"] >= figures["memsvc"] - TOLERANCE
            for kind, figures in torch.recall.items()
        )

    return max((r for r in results if holds(r)), key=lambda r: r.short_per_s).backend


def write_embedder_bench(
    results: list[BackendResult], config: EmbedderBenchConfig, out: Path | None, command: str
) -> Path:
    """Write embedders.json and embedders.md; return the folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = out or Path("reports") / f"embedders-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "git": git_info(),
        "machine": machine_info(),
        "threads": Settings().embedder.threads,
        "config": asdict(config),
        "backends": [asdict(r) for r in results],
        "default": default_backend(results) if _has_torch_recall(results) else None,
    }
    (folder / "embedders.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    (folder / "embedders.md").write_text(embedders_markdown(data))
    return folder


def _has_torch_recall(results: list[BackendResult]) -> bool:
    return any(r.backend == "torch" and r.recall for r in results)


def embedders_markdown(data: dict[str, Any]) -> str:
    m, g, c = data["machine"], data["git"], data["config"]
    lines = [
        "# memsvc bench embedders",
        "",
        f"`{data['command']}`",
        "",
        f"- date {data['created']}; commit {g['commit']}{' (dirty)' if g['dirty'] else ''}",
        f"- machine: {m['cpus']} cores, {m['cpu']}; embedder threads {data['threads']}; "
        f"{c['turns']} short turns, {c['long_texts']} long texts, ingest in sessions of "
        f"{SESSION_TURNS}, {c['queries']} searches (k=10, query embedding included); "
        f"LongMemEval sample {c['sample']} (seed {c['seed']})",
        "",
        "| backend | short texts/s | long texts/s | ingest turns/s | search p50/p95 ms "
        "| 1 query embed p50 ms | LoCoMo R@10 memsvc (dense) | LongMemEval R@10 memsvc (dense) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [_row(b) for b in data["backends"]]
    if data["default"]:
        lines += [
            "",
            f"Default by the rule (fastest within {TOLERANCE} of torch): **{data['default']}**",
        ]
    return "\n".join(lines) + "\n"


def _row(b: dict[str, Any]) -> str:
    search, query = b["search_ms"], b["query_ms"]
    recall = [
        f"{r['memsvc']:.3f} ({r['dense']:.3f}){' cold' if r['cold'] else ''}" if r else "–"
        for r in (b["recall"].get("locomo"), b["recall"].get("longmemeval"))
    ]
    return (
        f"| {b['backend']} | {b['short_per_s']:.0f} | {b['long_per_s']:.1f} "
        f"| {b['ingest_turns_per_s']:.0f} | {search['p50']:.1f}/{search['p95']:.1f} "
        f"| {query['p50']:.1f} | {recall[0]} | {recall[1]} |"
    )
