"""What the harness keeps between runs under its cache directory (default `.eval-cache/`):

- `embeddings.db`: memsvc's content-addressed `EmbeddingCache`, shared by every run, every
  dataset and the baselines. It is pre-filled by one batched pass over all distinct turn texts
  (sorted by length, so batches pad little) so that ingestion through the SDK only reads it.
- `scopes/<dataset>-<hash>/`: a reusable memsvc database per (data file, ingest
  configuration), with a ledger of scopes whose ingest finished. A run that only changes
  retrieval reuses it and ingests nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from memsvc.embedding import CachedEmbedder, build_embedder
from memsvc.settings import EmbedderSettings, Settings

DEFAULT_CACHE_DIR = Path(".eval-cache")
CHUNK = 512


def embedding_cache_path(cache_dir: Path) -> Path:
    return cache_dir / "embeddings.db"


def harness_embedder(settings: EmbedderSettings, cache_dir: Path) -> EmbedderSettings:
    """The embedder settings of every memsvc the harness opens: the shared cache file, hashed
    under the harness's own secret (kept beside it), so that pre-filled vectors are found."""
    return settings.model_copy(
        update={
            "cache_path": str(embedding_cache_path(cache_dir)),
            "cache_secret": harness_secret(cache_dir),
        }
    )


def harness_secret(cache_dir: Path) -> str:
    path = cache_dir / "cache-secret"
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def open_embedder(settings: EmbedderSettings, cache_dir: Path) -> CachedEmbedder:
    """The same embedder memsvc builds, in front of the shared cache file, reading and
    writing the entries of the tenant an embedded `Memory` uses."""
    shared = harness_embedder(settings, cache_dir)
    return build_embedder(
        shared,
        embedding_cache_path(cache_dir),
        shared.cache_secret or "",
        Settings().default_tenant,
    )


@dataclass(slots=True)
class PrefillStats:
    texts: int
    embedded: int
    seconds: float


def prefill(
    embedder: CachedEmbedder, texts: Sequence[str], *, progress: bool = True
) -> PrefillStats:
    """Embed every text the cache does not hold yet, longest first, in chunks that are
    written to the cache as they finish (an interrupted pass keeps its work)."""
    ordered = sorted(dict.fromkeys(texts), key=len, reverse=True)
    before = embedder.embedded
    start = time.perf_counter()
    bar = tqdm(total=len(ordered), desc="embed", unit="turn", disable=not progress)
    for i in range(0, len(ordered), CHUNK):
        chunk = ordered[i : i + CHUNK]
        embedder.embed_batch(chunk)
        bar.update(len(chunk))
    bar.close()
    return PrefillStats(len(ordered), embedder.embedded - before, time.perf_counter() - start)


def embed_all(embedder: CachedEmbedder, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Vectors of distinct texts by text (cached ones are read, the rest embedded)."""
    distinct = list(dict.fromkeys(texts))
    out: dict[str, np.ndarray] = {}
    for i in range(0, len(distinct), CHUNK):
        chunk = distinct[i : i + CHUNK]
        out.update(zip(chunk, embedder.embed_batch(chunk)))
    return out


def config_hash(parts: dict[str, object]) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


class ScopeLedger:
    """Which scopes of a reusable database finished their ingest (marked only after the last
    add returned, so an interrupted run re-ingests the half-done scope idempotently)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path))
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS done (scope TEXT PRIMARY KEY, turns INTEGER, seconds REAL)"
        )
        self._conn.commit()

    def done(self) -> set[str]:
        return {row[0] for row in self._conn.execute("SELECT scope FROM done")}

    def mark(self, scope: str, turns: int, seconds: float) -> None:
        with self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO done(scope, turns, seconds) VALUES (?, ?, ?)",
                (scope, turns, seconds),
            )

    def close(self) -> None:
        self._conn.close()
