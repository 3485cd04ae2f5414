"""Hybrid retrieval inside one granularity: dense (vector index) and lexical (FTS) lists,
both scoped to the query's partitions and filters before they run."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from memsvc.retrieval.directory import DirectoryCache, TurnDirectory

from memsvc.domain import Granularity, SearchQuery, Status
from memsvc.domain.filters import LexicalSearch, UnitFilter, parse_partition
from memsvc.domain.ports import UnitOfWork, VectorFilter, VectorIndex
from memsvc.domain.probe import NULL_PROBE, Probe

Ranked = list[tuple[int, float]]  # (unit seq, score), best first


@dataclass(slots=True)
class QueryContext:
    """Everything a retriever needs for one search."""

    query: SearchQuery
    vector: np.ndarray
    uow: UnitOfWork
    index: VectorIndex
    candidates: int
    directories: DirectoryCache | None = None
    probe: Probe = NULL_PROBE  # times the stages of this search
    # The lexical lists (granularity, filter) the search will ask for, read in one go.
    together: tuple[tuple[Granularity, UnitFilter], ...] = ()
    _hidden: dict[str, list[int]] | None = None
    _versions: dict[str, int] | None = None
    _lexical: dict[LexicalSearch, Ranked] | None = None

    def versions(self) -> dict[str, int]:
        """partition -> version of the scope's vector partitions, read once per search: the
        vector index and the caches of turn directories and graphs check them."""
        if self._versions is None:
            self._versions = self.uow.vectors.versions(self.query.scope.user_id)
        return self._versions

    def lexical(self, partitions: list[str], where: UnitFilter) -> Ranked:
        """The lexical list of the partitions under `where`. The first request reads every
        list of `together` (the index may share the work: FTS5 counts each query term's
        documents once, not once per list); a request not among them reads its own."""
        if self._lexical is None and self.together:
            user = self.query.scope.user_id
            searches = [
                LexicalSearch(tuple(self.uow.vectors.partitions(user, g)), w)
                for g, w in self.together
            ]
            lists = self.uow.lexical.search_many(searches, self.query.text, self.candidates)
            self._lexical = dict(zip(searches, lists))
        found = (self._lexical or {}).get(LexicalSearch(tuple(partitions), where))
        if found is None:
            found = self.uow.lexical.search(partitions, self.query.text, self.candidates, where)
        return found

    def stamp(self, *granularities: Granularity) -> tuple[tuple[str, int], ...]:
        """The versions of the scope's partitions of these granularities (a cache key)."""
        wanted = {str(g) for g in granularities}
        return tuple(
            sorted((p, v) for p, v in self.versions().items() if parse_partition(p)[2] in wanted)
        )

    def directory(self) -> TurnDirectory:
        """The scope's turn directory (cached across searches by the searcher)."""
        cache = self.directories or DirectoryCache()
        with self.probe.span("search.directory"):
            return cache.get(self.uow, self.query.scope.user_id, self.stamp(Granularity.TURN))

    def hidden(self, granularity: Granularity) -> list[int]:
        """Seqs of the scope's units of `granularity` this search must not see (superseded,
        archived): read once per search, for every granularity at once."""
        if self._hidden is None:
            statuses = _complement(visible_statuses(self.query))
            where = UnitFilter(user_id=self.query.scope.user_id, statuses=statuses)
            self._hidden = self.uow.units.seqs_by_granularity(where) if statuses else {}
        return self._hidden.get(str(granularity), [])


def visible_statuses(query: SearchQuery) -> tuple[Status, ...]:
    """Active units; archived ones on request; with `as_of`, superseded ones too (what was
    true then may have been replaced since; validity is filtered separately)."""
    statuses = [Status.ACTIVE]
    if query.include_archived:
        statuses.append(Status.ARCHIVED)
    if query.as_of is not None:
        statuses.append(Status.SUPERSEDED)
    return tuple(statuses)


def unit_filter(query: SearchQuery, granularity: Granularity) -> UnitFilter:
    window = query.time_window
    return UnitFilter(
        user_id=query.scope.user_id,
        agent_id=query.scope.agent_id,
        session_id=query.scope.session_id,
        granularities=(granularity,),
        statuses=visible_statuses(query),
        occurred_from=window.start if window else None,
        occurred_to=window.end if window else None,
        valid_at=query.as_of,
    )


def vector_filter(ctx: QueryContext, where: UnitFilter, granularity: Granularity) -> VectorFilter:
    """An allow list when the filter is narrower than the partition, else a (short) deny list
    of the partition's units in states the search must not see."""
    narrow = any(
        (where.agent_id, where.session_id, where.occurred_from, where.occurred_to, where.valid_at)
    )
    if narrow:
        return VectorFilter(allow=ctx.uow.units.seqs(where))
    return VectorFilter(deny=ctx.hidden(granularity) or None)


def hybrid_lists(ctx: QueryContext, granularity: Granularity) -> dict[str, Ranked]:
    where = unit_filter(ctx.query, granularity)
    partitions = ctx.uow.vectors.partitions(ctx.query.scope.user_id, granularity)
    if not partitions:
        return {f"{granularity}.dense": [], f"{granularity}.lexical": []}
    with ctx.probe.span("search.dense"):
        allowed = vector_filter(ctx, where, granularity)
        dense = ctx.index.search(partitions, ctx.vector, ctx.candidates, allowed, ctx.versions())
    with ctx.probe.span("search.lexical"):
        lexical = ctx.lexical(partitions, where)
    return {f"{granularity}.dense": dense, f"{granularity}.lexical": lexical}


def _complement(statuses: Collection[Status]) -> tuple[Status, ...]:
    return tuple(s for s in (Status.SUPERSEDED, Status.ARCHIVED) if s not in statuses)
