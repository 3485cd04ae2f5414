"""FAISS vector index for the embedded (SQLite) store: one exact inner-product index per
partition, persisted beside the database and caught up from SQL whenever it is behind.

SQL is the source of truth. Every transaction that changes a partition's vectors bumps the
partition's version and stamps the rows it wrote with it. Before searching a partition the
index compares its version with SQL's and, when behind (a crash before the index was saved,
or another process wrote), loads just the rows newer than its version and drops ids that are
gone. So a crash between the SQL commit and the index write heals on the next search.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, cast

import faiss
import numpy as np
from memsvc.stores.tables import UnitVectorRow, VectorPartitionRow
from memsvc.stores.vectors import from_blob
from sqlalchemy import Engine, select

from memsvc.domain.ports import VectorChanges, VectorFilter

logger = logging.getLogger(__name__)
MANIFEST = "manifest.json"
# One thread per search: partitions are small (a user's memories) and requests run in
# parallel already; OpenMP's thread team costs 100x a 600-vector scan on a busy machine.
faiss.omp_set_num_threads(1)


class _FileEntry(TypedDict):
    """A partition's index file in the manifest, and the version it was written at."""

    file: str
    version: int


@dataclass
class _Part:
    index: faiss.IndexIDMap2
    version: int
    dirty: bool = False


class FaissVectorIndex:
    def __init__(self, engine: Engine, dim: int, directory: Path | None, instance: str) -> None:
        self._engine = engine
        self._dim = dim
        self._dir = directory
        self._instance = instance
        self._parts: dict[str, _Part] = {}
        self._lock = threading.RLock()
        self._files = self._read_manifest()

    # -- VectorIndex ------------------------------------------------------------------------
    def search(
        self,
        partitions: Sequence[str],
        query: np.ndarray,
        k: int,
        where: VectorFilter,
        versions: Mapping[str, int] | None = None,
    ) -> list[tuple[int, float]]:
        if k <= 0 or not partitions or (where.allow is not None and not where.allow):
            return []
        q = np.asarray(query, dtype=np.float32).reshape(1, -1)
        params = _search_params(where)
        hits: list[tuple[int, float]] = []
        with self._lock:
            if versions is None:
                versions = self._sql_versions(partitions)
            # A partition SQL has no version for has never held a vector.
            for partition in (p for p in partitions if p in versions):
                part = self._fresh(partition, versions[partition])
                n = min(k, part.index.ntotal)
                if n == 0:
                    continue
                scores, ids = part.index.search(q, n, params=params)
                hits.extend((int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0)
        hits.sort(key=lambda h: -h[1])
        return hits[:k]

    def apply(self, changes: Sequence[VectorChanges]) -> None:
        with self._lock:
            for change in changes:
                part = self._parts.get(change.partition) or self._load(change.partition)
                self._parts[change.partition] = part
                if part.version >= change.version:
                    continue  # a catch-up already read this change from SQL
                if part.version == change.version - 1:
                    _remove(part.index, change.removals | set(change.upserts))
                    _add(part.index, change.upserts)
                    part.version = change.version
                    part.dirty = True
                else:  # the file is older, or another writer got in between
                    self._catch_up(change.partition, part)

    # -- lifecycle --------------------------------------------------------------------------
    def flush(self) -> None:
        """Write changed partitions and the manifest to disk (atomically, file by file)."""
        if self._dir is None:
            return
        with self._lock:
            dirty = {p: part for p, part in self._parts.items() if part.dirty}
            if not dirty:
                return
            self._dir.mkdir(parents=True, exist_ok=True)
            for partition, part in dirty.items():
                name = _file_name(partition)
                tmp = self._dir / (name + ".tmp")
                faiss.write_index(part.index, str(tmp))
                os.replace(tmp, self._dir / name)
                self._files[partition] = {"file": name, "version": part.version}
                part.dirty = False
            manifest = {"instance": self._instance, "partitions": self._files}
            tmp = self._dir / (MANIFEST + ".tmp")
            tmp.write_text(json.dumps(manifest))
            os.replace(tmp, self._dir / MANIFEST)

    def close(self) -> None:
        self.flush()

    def rebuild(self) -> int:
        """Drop every in-memory partition and reload all of them from SQL, then write every
        file anew and delete files of partitions SQL no longer has; returns vectors."""
        with self._lock:
            self._parts.clear()
            self._files.clear()
            versions = self._sql_versions(None)
            total = 0
            for partition, version in versions.items():
                part = self._fresh(partition, version)  # from SQL: no file is known now
                part.dirty = True
                total += part.index.ntotal
            self.flush()
            self._remove_orphans()
        return total

    def _remove_orphans(self) -> None:
        if self._dir is None or not self._dir.exists():
            return
        kept = {entry["file"] for entry in self._files.values()}
        for path in self._dir.glob("*.faiss*"):
            if path.name not in kept:
                path.unlink()

    # -- internals --------------------------------------------------------------------------
    def _fresh(self, partition: str, sql_version: int) -> _Part:
        part = self._parts.get(partition) or self._load(partition)
        if part.version > sql_version:
            # The caller's snapshot may predate a write this index has taken in since; only
            # a database older than the index now (restored from a backup) starts it over.
            sql_version = self._sql_versions([partition]).get(partition, 0)
        if part.version > sql_version:
            part = _Part(_new_index(self._dim), 0)
        if part.version != sql_version:
            self._catch_up(partition, part)
        self._parts[partition] = part
        return part

    def _load(self, partition: str) -> _Part:
        entry = self._files.get(partition)
        if entry and self._dir is not None:
            path = self._dir / entry["file"]
            try:
                # read_index is typed as returning the base Index; SWIG downcasts it to the
                # IndexIDMap2 that _new_index built and write_index saved.
                index = cast(faiss.IndexIDMap2, faiss.read_index(str(path)))
                return _Part(index, int(entry["version"]))
            except RuntimeError:
                logger.warning("vector index file %s unreadable; rebuilding from SQL", path)
        return _Part(_new_index(self._dim), 0)

    def _catch_up(self, partition: str, part: _Part) -> None:
        with self._engine.connect() as conn:  # one read transaction: a consistent snapshot
            version = conn.scalar(
                select(VectorPartitionRow.version).where(VectorPartitionRow.partition == partition)
            )
            live = set(
                conn.scalars(select(UnitVectorRow.seq).where(UnitVectorRow.partition == partition))
            )
            newer = conn.execute(
                select(UnitVectorRow.seq, UnitVectorRow.vector).where(
                    UnitVectorRow.partition == partition, UnitVectorRow.version > part.version
                )
            ).all()
        present = set(faiss.vector_to_array(part.index.id_map).tolist())
        vectors = {int(seq): from_blob(blob) for seq, blob in newer if blob is not None}
        _remove(part.index, (present - live) | (present & set(vectors)))
        _add(part.index, vectors)
        logger.debug("partition %s caught up: +%d vectors", partition, len(vectors))
        part.version = int(version or 0)
        part.dirty = True

    def _sql_versions(self, partitions: Sequence[str] | None) -> dict[str, int]:
        stmt = select(VectorPartitionRow.partition, VectorPartitionRow.version)
        if partitions is not None:
            stmt = stmt.where(VectorPartitionRow.partition.in_(list(partitions)))
        with self._engine.connect() as conn:
            return {p: int(v) for p, v in conn.execute(stmt)}

    def _read_manifest(self) -> dict[str, _FileEntry]:
        if self._dir is None or not (self._dir / MANIFEST).exists():
            return {}
        try:
            manifest = json.loads((self._dir / MANIFEST).read_text())
        except (OSError, ValueError):
            return {}
        if manifest.get("instance") != self._instance:
            logger.info("vector index at %s belongs to another database; rebuilding", self._dir)
            return {}
        return dict(manifest.get("partitions", {}))


def _new_index(dim: int) -> faiss.IndexIDMap2:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def _add(index: faiss.IndexIDMap2, vectors: dict[int, np.ndarray]) -> None:
    if vectors:
        ids = np.fromiter(vectors.keys(), dtype=np.int64, count=len(vectors))
        index.add_with_ids(np.stack(list(vectors.values())).astype(np.float32), ids)


def _remove(index: faiss.IndexIDMap2, seqs: set[int]) -> None:
    if seqs and index.ntotal:
        # faiss's Python wrapper accepts an id array; the SWIG stub only knows IDSelector.
        index.remove_ids(np.fromiter(seqs, dtype=np.int64, count=len(seqs)))  # type: ignore[arg-type]


def _search_params(where: VectorFilter) -> faiss.SearchParameters | None:
    selector: faiss.IDSelector
    if where.allow is not None:
        batch = faiss.IDSelectorBatch(np.fromiter(where.allow, dtype=np.int64))
        selector = batch
    elif where.deny:
        batch = faiss.IDSelectorBatch(np.fromiter(where.deny, dtype=np.int64))
        selector = faiss.IDSelectorNot(batch)
    else:
        return None
    # faiss's Python wrapper sets keyword arguments as fields; the SWIG stub takes none.
    params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
    # SWIG does not keep the C++ selectors alive: hold them as long as the params (a plain
    # Python attribute, unknown to the stub).
    params.referenced_objects = [batch, selector]  # type: ignore[attr-defined]
    return params


def _file_name(partition: str) -> str:
    return hashlib.sha1(partition.encode("utf-8")).hexdigest()[:32] + ".faiss"
