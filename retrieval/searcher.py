"""Search: embed the query once, let the router pick retrievers and weights, fuse their lists
by RRF, diversify over sessions when asked, and explain every hit."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from threading import Lock
from typing import Any

import numpy as np
from memsvc.retrieval import router
from memsvc.retrieval.access import AccessRecorder
from memsvc.retrieval.directory import DirectoryCache
from memsvc.retrieval.diversify import by_session, crowded
from memsvc.retrieval.evidence import evidence
from memsvc.retrieval.fusion import Fused, rrf, two_stage
from memsvc.retrieval.graph import GraphCache, graph_list
from memsvc.retrieval.hybrid import QueryContext, unit_filter, visible_statuses
from memsvc.retrieval.material import gather
from memsvc.retrieval.packing import pack
from memsvc.retrieval.procedures import procedure_lists
from memsvc.retrieval.retrievers import (
    Lists,
    author_lists,
    direct_lists,
    expansion_lists,
    feedback_lists,
    neighbour_lists,
    session_lists,
    time_lists,
    topic_lists,
    turn_lists,
)

from memsvc.domain import (
    Granularity,
    Hit,
    MemoryUnit,
    SearchQuery,
    SearchResult,
    TimeWindow,
    utcnow,
)
from memsvc.domain.filters import UnitFilter
from memsvc.domain.ports import Embeddings, UnitOfWork, UnitOfWorkFactory, VectorIndex
from memsvc.domain.probe import NULL_PROBE, Probe, Recorder
from memsvc.settings import RetrievalSettings

FIRST_PASS = 10  # turn similarities the router reads
DIVERSE_HEAD = 3  # places diversified over sessions when the route asks for it
CROWD_WINDOW, CROWD = 10, 6  # ...and when CROWD of the best CROWD_WINDOW share one session
NEIGHBOUR_SEEDS = 10  # best first-pass turns whose neighbours are candidates
FEEDBACK_SEEDS = 3  # best first-pass turns that pseudo-relevance feedback moves towards


class QueryEmbeddings:
    """A small LRU of query vectors: agents repeat queries, and embedding is most of a search.
    It lives in memory only: query vectors are never written to the embedding cache file."""

    def __init__(self, embedder: Embeddings, size: int = 2048) -> None:
        self._embedder = embedder
        self._size = size
        # Keyed by tenant too: one tenant's queries are never answered (or timed) from another's.
        self._items: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = Lock()

    def __call__(self, tenant_id: str, text: str) -> np.ndarray:
        key = (tenant_id, text)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        vector = self._embedder.for_queries(tenant_id).embed_batch([text])[0]
        with self._lock:
            self._items[key] = vector
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return vector


class Searcher:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        index: VectorIndex,
        embedder: Embeddings,
        settings: RetrievalSettings,
        probe: Probe = NULL_PROBE,
    ) -> None:
        self._uow = uow
        self._probe = probe  # times the search and each retriever (metrics, traces)
        self._index = index
        self._embed = QueryEmbeddings(embedder)
        self._settings = settings
        self._graphs = GraphCache()
        self._directories = DirectoryCache()
        self.access = AccessRecorder(uow)

    def search(self, query: SearchQuery) -> SearchResult:
        probe = Recorder(self._probe) if query.profile else self._probe
        with probe.span("search", k=query.k, mode=query.mode):
            result = self._search(query, probe)
        if isinstance(probe, Recorder):
            result.profile = probe.steps()
        return result

    def _timed(
        self, name: str, retriever: Callable[..., Any], ctx: QueryContext, *args: Any
    ) -> Any:
        """Run one retriever inside its own probe span (`retriever.<name>`)."""
        with ctx.probe.span("retriever." + name, retriever=name):
            return retriever(ctx, *args)

    def _search(self, query: SearchQuery, probe: Probe) -> SearchResult:
        with probe.span("retriever.embed", retriever="embed"):
            vector = self._embed(query.scope.tenant_id, query.text)
        material = None
        with self._uow(query.scope.tenant_id, write=False) as uow:
            ctx = QueryContext(
                query, vector, uow, self._index, self._settings.candidates, self._directories, probe
            )
            lists, plan = self._retrieve(ctx)
            with probe.span("search.fuse"):
                fused = self._fuse(lists, plan)
            # A margin over k: supporting lists may name turns the search must not show.
            pool = fused[: max(query.k * 3, 50)] if plan.diversify else fused[: query.k + 10]
            with probe.span("search.load"):
                units = self._visible(uow, query, pool)
            if query.context_budget:
                with probe.span("search.gather"):
                    material = gather(uow, lists, query, plan.diversify)
        with probe.span("search.hits"):
            hits = self._hits(
                query, plan, [(f, units[f.key]) for f in pool if f.key in units], lists
            )
        seqs = {unit.id: seq for seq, unit in units.items()}
        self.access.record(query.scope.tenant_id, [seqs[h.unit.id] for h in hits])
        result = SearchResult(
            hits=hits, route=plan.route, time_window=query.time_window or plan.window
        )
        if query.context_budget:
            with probe.span("search.pack"):
                packed = pack(hits, query.context_budget, material)
            result.context, result.context_items = packed.text, packed.items
        return result

    def _visible(
        self, uow: UnitOfWork, query: SearchQuery, pool: list[Fused[int]]
    ) -> dict[int, MemoryUnit]:
        """The pool's units the search may show (by seq)."""
        visible = visible_statuses(query)
        found = uow.units.by_seqs(f.key for f in pool)
        return {seq: unit for seq, unit in found.items() if unit.status in visible}

    def _hits(
        self,
        query: SearchQuery,
        plan: router.Plan,
        pooled: list[tuple[Fused[int], MemoryUnit]],
        lists: Lists,
    ) -> list[Hit]:
        """Explained hits in fused order, diversified over sessions when the plan asks and
        the best ones crowd into one session; the first k, ranked."""
        window = query.time_window or plan.window
        hits = [self._hit(f, unit, lists, window) for f, unit in pooled]
        if plan.diversify and crowded(
            [h.unit.scope.session_id for h in hits[:CROWD_WINDOW]], CROWD
        ):
            hits = by_session(
                hits, lambda h: h.score, lambda h: h.unit.scope.session_id, head=DIVERSE_HEAD
            )
        hits = hits[: query.k]
        for rank, hit in enumerate(hits, start=1):
            hit.rank = rank
        return hits

    def _fuse(self, lists: Lists, plan: router.Plan) -> list[Fused[int]]:
        lists_ = {**lists.turns, **lists.direct}
        fused = two_stage(
            lists_,
            plan.route.weights,
            k=self._settings.rrf_k,
            depth=self._settings.candidates,
            scored=plan.scored,
        )
        for item in fused:  # the votes behind a direct list's ranks (procedures)
            item.votes += lists.votes.get(item.key, [])
        return fused

    def _retrieve(self, ctx: QueryContext) -> tuple[Lists, router.Plan]:
        query = ctx.query
        lists = Lists()
        wanted = query.granularities
        with ctx.probe.span("search.features"):  # the query's words, read before any list
            feats = router.features(query.text, query.query_time or utcnow())
            ctx.together = _read_together(query, feats, self._settings.aggregation_priors)
        if wanted is None or Granularity.TURN in wanted:
            self._timed("turn", turn_lists, ctx, lists)
        with ctx.probe.span("search.route"):
            plan = self._plan(query, lists, feats)
        weights = plan.route.weights
        if wanted is not None:  # the caller chose granularities: no routing beyond them
            plan.route.weights = {k: v for k, v in weights.items() if k.startswith("turn.")}
            for granularity in wanted:
                if granularity is Granularity.PROCEDURE:
                    self._timed("procedure", procedure_lists, ctx, lists)
                    plan.route.weights["procedure"] = 1.0
                elif granularity is not Granularity.TURN:
                    self._timed(str(granularity), direct_lists, ctx, granularity, lists)
                    plan.route.weights |= {
                        f"{granularity}.dense": 1.0,
                        f"{granularity}.lexical": 1.0,
                    }
            plan.route.reasons.append("granularities given: " + ", ".join(wanted))
            return lists, plan
        self._run_routed(ctx, plan, lists)
        return lists, plan

    def _plan(self, query: SearchQuery, lists: Lists, feats: router.Features) -> router.Plan:
        """The router's plan from the query's words and the first (turn) pass."""
        dense, lexical = lists.turns.get("turn.dense", []), lists.turns.get("turn.lexical", [])
        first_pass = [s for _, s, _ in dense[:FIRST_PASS]]
        seen = evidence(dense, lexical, self._settings.candidates) if dense else None
        plan = router.plan(
            query.mode, feats, first_pass, seen, priors=self._settings.aggregation_priors
        )
        if query.exclude:
            router.exclude(plan, query.exclude)
        return plan

    def _run_routed(self, ctx: QueryContext, plan: router.Plan, lists: Lists) -> None:
        weights = plan.route.weights
        for granularity in plan.expand:
            self._timed(granularity, expansion_lists, ctx, Granularity(granularity), lists)
        if plan.window is not None and ctx.query.time_window is None and weights.get("time.dense"):
            self._timed("time", time_lists, ctx, plan.window, lists)
        if weights.get("session"):
            self._timed("session", session_lists, ctx, lists)
        if weights.get("topic"):
            self._timed("topic", topic_lists, ctx, lists)
        order = [
            f.key
            for f in rrf(
                {k: v for k, v in lists.turns.items() if k.startswith(("turn.", "time."))},
                k=self._settings.rrf_k,
                depth=self._settings.candidates,
                weights=weights,
                scored=plan.scored,
            )
        ]
        if weights.get("neighbour"):
            self._timed("neighbour", neighbour_lists, ctx, order[:NEIGHBOUR_SEEDS], lists)
        if weights.get("feedback"):
            self._timed("feedback", feedback_lists, ctx, order[:FEEDBACK_SEEDS], lists)
        if weights.get("author"):
            about_assistant = bool(plan.route.features.get("assistant"))
            plan.route.features["authors"] = self._timed(
                "author", author_lists, ctx, order, about_assistant, lists
            )
        if weights.get("graph"):
            plan.route.features["linked_entities"] = self._timed(
                "graph", graph_list, ctx, self._graphs, lists
            )
        if weights.get("procedure"):
            self._timed("procedure", procedure_lists, ctx, lists)

    def _hit(
        self, fused: Fused[int], unit: MemoryUnit, lists: Lists, window: TimeWindow | None
    ) -> Hit:
        key = lists.keys.get(fused.key)
        matched = key[2] if key and any(v.retriever == key[1] for v in fused.votes) else None
        return Hit(
            unit,
            fused.score,
            0,
            sorted(fused.votes, key=lambda v: v.rank),
            matched_key=matched,
            time_window=window,
        )


def _read_together(
    query: SearchQuery, feats: router.Features, priors: bool
) -> tuple[tuple[Granularity, UnitFilter], ...]:
    """The lexical lists a routed search will ask for, read in one go: those of the
    granularities `router.read_together` names, and the turns inside the query's time window
    (the time lists). A search over granularities the caller chose reads each on its own."""
    if query.granularities is not None:
        return ()
    wanted = [(g, unit_filter(query, g)) for g in router.read_together(query.mode, feats, priors)]
    if wanted and feats.window is not None and query.time_window is None:
        timed = replace(query, time_window=feats.window)
        wanted.append((Granularity.TURN, unit_filter(timed, Granularity.TURN)))
    return tuple(wanted)
