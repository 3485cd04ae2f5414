"""Search: embed the query once, run the retrievers the route asks for, fuse, explain."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

import numpy as np
from memsvc.retrieval.fusion import rrf
from memsvc.retrieval.hybrid import QueryContext, hybrid_lists
from memsvc.stores.uow import UnitOfWorkFactory

from memsvc.domain import Granularity, Hit, Route, SearchQuery, SearchResult
from memsvc.domain.ports import Embedder, VectorIndex
from memsvc.settings import RetrievalSettings


class QueryEmbeddings:
    """A small LRU of query vectors: agents repeat queries, and embedding is most of a search."""

    def __init__(self, embedder: Embedder, size: int = 2048) -> None:
        self._embedder = embedder
        self._size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = Lock()

    def __call__(self, text: str) -> np.ndarray:
        with self._lock:
            if text in self._items:
                self._items.move_to_end(text)
                return self._items[text]
        vector = self._embedder.embed_batch([text])[0]
        with self._lock:
            self._items[text] = vector
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return vector


class Searcher:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        index: VectorIndex,
        embedder: Embedder,
        settings: RetrievalSettings,
    ) -> None:
        self._uow = uow
        self._index = index
        self._embed = QueryEmbeddings(embedder)
        self._settings = settings

    def search(self, query: SearchQuery) -> SearchResult:
        vector = self._embed(query.text)
        granularities = query.granularities or (Granularity.TURN,)
        route = Route(
            name="hybrid",
            weights={f"{g}.{r}": 1.0 for g in granularities for r in ("dense", "lexical")},
            reasons=["hybrid dense+lexical retrieval over " + ", ".join(granularities)],
        )
        with self._uow(query.scope.tenant_id, write=False) as uow:
            ctx = QueryContext(query, vector, uow, self._index, self._settings.candidates)
            lists: dict[str, list[tuple[int, float]]] = {}
            for granularity in granularities:
                lists.update(hybrid_lists(ctx, granularity))
            fused = rrf(
                lists,
                k=self._settings.rrf_k,
                depth=self._settings.candidates,
                weights=route.weights,
            )[: query.k]
            units = uow.units.by_seqs(f.key for f in fused)
        hits = [
            Hit(units[f.key], f.score, rank, f.votes, time_window=query.time_window)
            for rank, f in enumerate((f for f in fused if f.key in units), start=1)
        ]
        return SearchResult(hits=hits, route=route, time_window=query.time_window)
