"""A vector index that keeps nothing: the stand-in while a store's vectors are re-embedded
(`operations/reembed.py`). The real index is rebuilt from SQL afterwards; until then its files
may hold vectors of another model, even of another dimension, which it must not be fed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from memsvc.domain.ports import VectorChanges, VectorFilter


class NullVectorIndex:
    def search(
        self,
        partitions: Sequence[str],
        query: np.ndarray,
        k: int,
        where: VectorFilter,
        versions: Mapping[str, int] | None = None,
    ) -> list[tuple[int, float]]:
        return []

    def apply(self, changes: Sequence[VectorChanges]) -> None:
        """Nothing: SQL has the changes, and the real index is rebuilt from it."""

    def flush(self) -> None:
        pass

    def rebuild(self) -> int:
        return 0

    def close(self) -> None:
        pass
