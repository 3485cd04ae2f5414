"""`memsvc bench --db postgres|sqlite`: one store at scale (default 1M turns). Bulk ingest,
scoped search latency and recall, disk and memory, for PostgreSQL + pgvector or SQLite + FAISS.

It drives the stores directly (the write path's bulk statements, the vector index of the
backend), not the SDK: what it measures is storage and indexing, with embedding kept out.
- Text: seeded synthetic turns (evals/synthetic.py). Vectors: a pool of `pool` real MiniLM
  vectors of such turns, embedded once (timed apart); turn i's vector is a seeded mix of two
  pool vectors plus a little noise, normalised, so vectors are distinct and keep the
  structure of real sentence embeddings.
- Users: `targets` users of 1k-10k turns (log-spread) whose scoped searches are measured, and
  filler users of `filler_user` turns up to the total, written interleaved in batches.
- Ingest: batches of `batch` turns per transaction through the unit of work (units, vectors,
  lexical entries). On PostgreSQL the HNSW index is dropped for the load and built after it
  (timed apart, as a bulk load does); live writes maintain it.
- Search: per target user, `queries` query vectors (mixes of pool vectors), k = 10, through
  the backend's `VectorIndex` (embedding excluded); recall@10 against an exact scan of the
  user's own vectors. The lexical search of the same scope is timed too.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from memsvc.evals.report import latency_stats, machine_info
from memsvc.evals.synthetic import synthetic_turns
from tqdm import tqdm

from memsvc.bootstrap import Container, build
from memsvc.domain import Granularity, MemoryUnit, Provenance, Scope, new_id
from memsvc.domain.filters import UnitFilter, partition_key
from memsvc.domain.vectors import VectorFilter
from memsvc.embedding import build_embedder
from memsvc.settings import EmbedderSettings, Settings


@dataclass(slots=True)
class ScaleConfig:
    db: str = "postgres"  # or "sqlite"
    turns: int = 1_000_000
    targets: int = 12
    filler_user: int = 2_000
    batch: int = 5_000
    pool: int = 2_000
    queries: int = 50
    k: int = 10
    database_url: str | None = None  # default: a new store in a temporary directory
    seed: int = 0
    progress: bool = True


@dataclass(slots=True)
class ScaleResult:
    config: dict[str, Any]
    machine: dict[str, Any]
    figures: dict[str, Any] = field(default_factory=dict)


def run_scale(config: ScaleConfig) -> ScaleResult:
    result = ScaleResult(asdict(config), machine_info())
    workdir = Path(tempfile.mkdtemp(prefix=f"memsvc-scale-{config.db}-"))
    try:
        pool, embed_s = _pool_vectors(config)
        result.figures["pool_embedding"] = {"texts": config.pool, "seconds": round(embed_s, 1)}
        settings = _settings(config, workdir)
        container = build(settings, embedder=_FixedDim(pool.shape[1]))
        try:
            users = _users(config)
            result.figures["ingest"] = _ingest(container, config, users, pool)
            result.figures["search"] = _search(container, config, users, pool)
            result.figures["footprint"] = _footprint(container, workdir)
        finally:
            container.close()
            if config.database_url is None and config.db == "postgres":
                from memsvc.stores.pgserver import stop

                stop(settings.resolved_database_url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


class _FixedDim:
    """The embedder the store is built with: only its dimension matters (vectors are given)."""

    name = "minilm-pool"

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def embed_batch(self, texts: Any) -> np.ndarray:
        raise RuntimeError("the scale benchmark writes its vectors itself")


def _settings(config: ScaleConfig, workdir: Path) -> Settings:
    url = config.database_url
    if url is None:
        url = (
            "postgresql+pgserver:///" + str(workdir / "pg")
            if config.db == "postgres"
            else f"sqlite:///{workdir / 'memsvc.db'}"
        )
    return Settings(
        _env_file=None,
        data_dir=workdir,
        database_url=url,
        embedder={"cache_path": ""},
        jobs={"run_in_process": False},
    )


def _pool_vectors(config: ScaleConfig) -> tuple[np.ndarray, float]:
    embedder = build_embedder(EmbedderSettings(cache_path=""), None, "scale")
    texts = synthetic_turns(config.pool, seed=config.seed + 1)
    start = time.perf_counter()
    vectors = embedder.for_tenant("bench").embed_batch(texts)
    return np.asarray(vectors, dtype=np.float32), time.perf_counter() - start


def _mix(pool: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    a = pool[rng.integers(0, len(pool), n)]
    b = pool[rng.integers(0, len(pool), n)]
    v = a + 0.5 * b + rng.normal(0, 0.02, a.shape).astype(np.float32)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _users(config: ScaleConfig) -> dict[str, int]:
    """user -> turns: the measured targets (1k..10k, log-spread), then fillers."""
    sizes = np.geomspace(1_000, 10_000, config.targets).astype(int)
    users = {f"target-{i}": int(n) for i, n in enumerate(sizes)}
    left = config.turns - sum(users.values())
    i = 0
    while left > 0:
        n = min(config.filler_user, left)
        users[f"filler-{i}"] = n
        left, i = left - n, i + 1
    return users


def _ingest(
    container: Container, config: ScaleConfig, users: dict[str, int], pool: np.ndarray
) -> dict[str, Any]:
    rng = np.random.default_rng(config.seed)
    texts = synthetic_turns(20_000, seed=config.seed)
    deferred = _drop_hnsw(container)
    chunks = [
        (u, off, min(config.batch, n - off))
        for u, n in users.items()
        for off in range(0, n, config.batch)
    ]
    np.random.default_rng(config.seed).shuffle(chunks)  # users' writes interleave
    seconds = 0.0
    bar = tqdm(total=sum(users.values()), desc=f"ingest {config.db}", disable=not config.progress)
    for user, offset, n in chunks:
        units = [_turn(user, offset + j, texts[(offset + j) % len(texts)]) for j in range(n)]
        vectors = _mix(pool, rng, n)
        start = time.perf_counter()
        _write(container, units, vectors)
        seconds += time.perf_counter() - start
        bar.update(n)
    bar.close()
    total = sum(users.values())
    out = {"turns": total, "seconds": round(seconds, 1), "turns_per_s": round(total / seconds)}
    if deferred:
        start = time.perf_counter()
        _build_hnsw(container)
        out["hnsw_build_s"] = round(time.perf_counter() - start, 1)
    return out


def _turn(user: str, position: int, text: str) -> MemoryUnit:
    return MemoryUnit(
        id=new_id(),
        scope=Scope("bench", user, None, f"{user}-s{position // 25}"),
        granularity=Granularity.TURN,
        content=f"{text} ({position})",
        attributes={"role": "user", "speaker": None, "position": position},
        provenance=Provenance(producer="bench/1"),
    )


def _write(container: Container, units: list[MemoryUnit], vectors: np.ndarray) -> None:
    with container.uow("bench") as uow:
        seqs = uow.units.add_many(units, [None] * len(units))
        parts = [partition_key("bench", u.scope.user_id, "turn") for u in units]
        uow.vectors.put_new(list(zip(seqs, parts, vectors)))
        uow.lexical.put_new([(s, p, u.content) for s, p, u in zip(seqs, parts, units)])
        uow.commit()


def _drop_hnsw(container: Container) -> bool:
    if container.backend is None or container.backend.name != "postgresql":
        return False
    with container.write_engine.begin() as conn:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS ix_vectors_hnsw_{container.embedder.dim}")
    return True


def _build_hnsw(container: Container) -> None:
    from memsvc.stores.engine import HnswOptions
    from memsvc.stores.pgvector import hnsw_sql

    with container.write_engine.begin() as conn:  # one session: its settings apply
        conn.exec_driver_sql("SET maintenance_work_mem = '4GB'")
        conn.exec_driver_sql("SET max_parallel_maintenance_workers = 1")
        conn.exec_driver_sql(hnsw_sql(container.embedder.dim, HnswOptions()))
    with container.write_engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _search(
    container: Container, config: ScaleConfig, users: dict[str, int], pool: np.ndarray
) -> dict[str, Any]:
    targets = [u for u in users if u.startswith("target-")]
    out: dict[str, Any] = {"users": {u: users[u] for u in targets}}
    out["scoped"] = _queries(container, container.index, (config, pool), targets, lexical=True)
    if container.backend is not None and container.backend.name == "postgresql":
        from memsvc.stores.engine import HnswOptions
        from memsvc.stores.pgvector import PgVectorIndex

        # The same queries forced through HNSW with the iterative scan (what scopes above
        # `exact_below` get), to measure its recall inside a big table.
        hnsw = PgVectorIndex(
            container.read_engine, container.embedder.dim, HnswOptions(exact_below=0)
        )
        out["scoped_forced_hnsw"] = _queries(
            container, hnsw, (config, pool), targets, lexical=False
        )
    return out


def _queries(
    container: Container,
    index: Any,
    run: tuple[ScaleConfig, np.ndarray],
    targets: list[str],
    lexical: bool,
) -> dict[str, Any]:
    """Latency and recall@k of `queries` query vectors per target user through `index`."""
    config, pool = run
    rng = np.random.default_rng(config.seed + 7)
    latencies: list[float] = []
    lexicals: list[float] = []
    recalls: list[float] = []
    for user in tqdm(targets, desc="search", disable=not config.progress):
        part = partition_key("bench", user, "turn")
        truth = _exact(container, user)
        for q in _mix(pool, rng, config.queries):
            start = time.perf_counter()
            hits = index.search([part], q, config.k, VectorFilter())
            latencies.append(time.perf_counter() - start)
            recalls.append(_recall(hits, truth, q, config.k))
            if lexical:
                lexicals.append(_lexical(container, part, user))
    return {
        "vector_k10": latency_stats(latencies),
        "lexical_k10": latency_stats(lexicals),
        "recall_at_10_vs_exact": round(float(np.mean(recalls)), 4),
        "queries": len(latencies),
    }


def _exact(container: Container, user: str) -> tuple[np.ndarray, np.ndarray]:
    with container.uow("bench", write=False) as uow:
        seqs = uow.units.seqs(UnitFilter(user_id=user))
        got = uow.vectors.get(seqs)
    ids = np.fromiter(got.keys(), dtype=np.int64)
    return ids, np.stack(list(got.values()))


def _recall(
    hits: list[tuple[int, float]], truth: tuple[np.ndarray, np.ndarray], q: np.ndarray, k: int
) -> float:
    ids, matrix = truth
    best = set(ids[np.argsort(-(matrix @ q))[:k]].tolist())
    return len(best & {s for s, _ in hits}) / k


def _lexical(container: Container, part: str, user: str) -> float:
    start = time.perf_counter()
    with container.uow("bench", write=False) as uow:
        uow.lexical.search([part], "marathon in Lisbon with Alice", 10, UnitFilter(user_id=user))
    return time.perf_counter() - start


def _footprint(container: Container, workdir: Path) -> dict[str, Any]:
    from memsvc.stores.gauges import database_bytes

    size = database_bytes(
        container.read_engine, container.backend.files() if container.backend else None
    )
    rss = psutil.Process(os.getpid()).memory_info().rss
    server = sum(
        p.memory_info().rss - p.memory_info().shared
        for p in psutil.process_iter(["name"])
        if p.info["name"] == "postgres"
    )
    return {
        "disk_bytes": int(size),
        "client_rss_bytes": int(rss),
        "postgres_private_rss_bytes": int(server),
    }


def write_scale(result: ScaleResult, out: Path | None) -> Path:
    folder = out or Path("evals/results") / f"scale-{result.config['db']}-{int(time.time())}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scale.json").write_text(json.dumps(asdict(result), indent=2, default=str))
    return folder
