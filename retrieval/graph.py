"""Graph retrieval (as in HippoRAG): link the entities a query names to the scope's entity
units (exact name, alias, or a close spelling), then run Personalized PageRank from them over
the entity-relation graph plus entity-turn mention edges, and rank turns by their mass.

The networkx graph of a scope is cached and rebuilt when the scope's entity or relation
partitions change version (every write bumps them).
"""

from __future__ import annotations

import difflib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import networkx as nx
from memsvc.retrieval.directory import Stamp
from memsvc.retrieval.hybrid import QueryContext
from memsvc.retrieval.pagerank import Walk, pagerank, walk_of
from memsvc.retrieval.retrievers import Item, Lists

from memsvc.domain import Granularity, MemoryUnit
from memsvc.domain.filters import UnitFilter
from memsvc.domain.text import words

FUZZY = 0.88  # difflib ratio for a misspelt name to still link


@dataclass(slots=True)
class ScopeGraph:
    graph: nx.Graph
    names: dict[str, str]  # normalised name or alias -> entity id
    turn_seqs: dict[str, int]  # turn node id -> seq
    walk: Walk | None = None  # the graph as PageRank walks it, made by the first walk

    def pagerank(self, personal: dict[str, float], alpha: float) -> dict[str, float]:
        if self.walk is None:  # two searches may both make it: the same walk either way
            self.walk = walk_of(self.graph)
        return pagerank(self.walk, personal, alpha)


class GraphCache:
    """Per scope: the entity names (always, they are cheap) and the graph (built only when a
    query names one of them). Both are rebuilt when the scope's entity or relation
    partitions change version."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[tuple[str, str | None], _Entry] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def names(self, ctx: QueryContext) -> dict[str, str]:
        return self._entry(ctx).names

    def get(self, ctx: QueryContext) -> ScopeGraph:
        entry = self._entry(ctx)
        if entry.graph is None:
            entry.graph = build_graph(ctx, entry.entities)
        return entry.graph

    def _entry(self, ctx: QueryContext) -> _Entry:
        scope = ctx.query.scope
        key = (scope.tenant_id, scope.user_id)
        stamp = ctx.stamp(Granularity.ENTITY, Granularity.RELATION)
        with self._lock:
            cached = self._items.get(key)
            if cached and cached.stamp == stamp:
                self._items.move_to_end(key)
                return cached
        where = UnitFilter(user_id=scope.user_id, granularities=(Granularity.ENTITY,))
        entities = ctx.uow.units.find(where)
        entry = _Entry(stamp, entities, _names(entities))
        with self._lock:
            self._items[key] = entry
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return entry


@dataclass(slots=True)
class _Entry:
    stamp: Stamp
    entities: list[MemoryUnit]
    names: dict[str, str]
    graph: ScopeGraph | None = None


def _names(entities: list[MemoryUnit]) -> dict[str, str]:
    """Normalised name or alias -> entity id."""
    names: dict[str, str] = {}
    for entity in entities:
        for name in [
            entity.attributes.get("name", entity.content),
            *entity.attributes.get("aliases", []),
        ]:
            names.setdefault(" ".join(words(str(name))), entity.id)
    return names


def build_graph(ctx: QueryContext, entities: list[MemoryUnit]) -> ScopeGraph:
    scope = ctx.query.scope
    relations = ctx.uow.units.find(
        UnitFilter(user_id=scope.user_id, granularities=(Granularity.RELATION,))
    )
    graph: nx.Graph = nx.Graph()
    mentioned: set[str] = set()
    for entity in entities:
        graph.add_node(entity.id, kind="entity")
        for turn in entity.provenance.sources:
            graph.add_edge(entity.id, turn, weight=1.0)
            mentioned.add(turn)
    for rel in relations:
        a, b = rel.attributes.get("source_id"), rel.attributes.get("target_id")
        if a and b:
            graph.add_edge(a, b, weight=2.0)
        for turn in rel.provenance.sources:
            for end in (a, b):
                if end:
                    graph.add_edge(end, turn, weight=1.0)
                    mentioned.add(turn)
    turn_seqs = ctx.uow.units.seqs_of(mentioned, UnitFilter(granularities=(Granularity.TURN,)))
    graph.remove_nodes_from([t for t in mentioned if t not in turn_seqs])
    return ScopeGraph(graph, _names(entities), turn_seqs)


def link(text: str, names: dict[str, str]) -> dict[str, str]:
    """Entity ids named in `text` (exact or alias n-grams, then close spellings of words)."""
    tokens = words(text)
    found: dict[str, str] = {}
    for n in (3, 2, 1):
        for i in range(len(tokens) - n + 1):
            gram = " ".join(tokens[i : i + n])
            if gram in names:
                found.setdefault(names[gram], gram)
    if not found:
        singles = [name for name in names if " " not in name and len(name) > 3]
        for token in tokens:
            if len(token) > 3:
                close = difflib.get_close_matches(token, singles, n=1, cutoff=FUZZY)
                if close:
                    found.setdefault(names[close[0]], close[0])
    return found


GENERIC = 0.1  # an entity mentioned in more than this share of the scope's turns is generic


def _seed_weights(scoped: ScopeGraph, seeds: dict[str, str]) -> dict[str, float]:
    """Specific entities weigh more (1 / log of their mentions); an entity mentioned in more
    than GENERIC of the scope's turns (a chat's own speakers) says nothing about where to look
    and is dropped."""
    limit = max(3.0, GENERIC * len(scoped.turn_seqs))
    weights = {}
    for node in seeds:
        if node not in scoped.graph:
            continue
        mentions = sum(1 for n in scoped.graph.neighbors(node) if n in scoped.turn_seqs)
        if mentions <= limit:
            weights[node] = 1.0 / math.log(2 + mentions)
    return weights


def rank_turns(
    scoped: ScopeGraph, text: str, top: int = 100
) -> tuple[list[tuple[int, float]], list[str]]:
    """Turns by Personalized PageRank mass from the entities `text` names; with the names
    linked. Empty when nothing specific is named."""
    seeds = link(text, scoped.names)
    personal = _seed_weights(scoped, seeds) if scoped.graph.number_of_edges() else {}
    if not personal:
        return [], []
    mass = scoped.pagerank(personal, alpha=0.5)
    ranked = sorted(
        (
            (scoped.turn_seqs[node], score)
            for node, score in mass.items()
            if node in scoped.turn_seqs
        ),
        key=lambda item: -item[1],
    )[:top]
    return ranked, sorted({seeds[n] for n in personal})


def graph_list(ctx: QueryContext, cache: GraphCache, out: Lists, top: int = 100) -> list[str]:
    """Add the `graph` list (turns by PPR mass); returns the linked entity names. The graph
    is only built (or read from the cache) when the query names an entity of the scope."""
    with ctx.probe.span("search.names"):
        names = cache.names(ctx)
    if not link(ctx.query.text, names):
        out.turns["graph"] = []
        return []
    with ctx.probe.span("search.view"):
        scoped = cache.get(ctx)
    ranked, linked = rank_turns(scoped, ctx.query.text, top)
    items: list[Item] = [(seq, score, rank) for rank, (seq, score) in enumerate(ranked, 1)]
    out.turns["graph"] = items
    return linked
