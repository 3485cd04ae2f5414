"""Retrievers per granularity. Each returns ranked lists (best first) of turn seqs — the
values an agent reads — so that lists from different granularities fuse in one RRF:

- `turn`: the turn's own text (dense + lexical);
- `session`: session units (mean turn vector, all turn text); every turn of a session found at
  rank r gets rank r (a session prior);
- `fact` / `topic` (key expansion): a derived unit found at rank r lends that rank to the turns
  it came from, and the hit remembers the key that matched;
- `time`: dense + lexical restricted to the query's time window.

Units that are answers in their own right (procedures) come back as `direct` lists; the
votes behind a direct list's ranks (its dense and lexical ranks, ...) are kept in `votes`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
from memsvc.retrieval.fusion import rrf
from memsvc.retrieval.hybrid import (
    QueryContext,
    hybrid_lists,
    unit_filter,
    vector_filter,
    visible_statuses,
)

from memsvc.domain import Granularity, MemoryUnit, RetrieverRank, TimeWindow
from memsvc.domain.filters import UnitFilter
from memsvc.domain.text import words

Item = tuple[int, float, int]  # (turn seq, score, rank)
SHORT_MESSAGE = 400  # characters: a message this short is read with its neighbours


@dataclass(slots=True)
class Lists:
    """What the retrievers found: lists over turns, lists of direct units, matched keys."""

    turns: dict[str, list[Item]] = field(default_factory=dict)
    direct: dict[str, list[Item]] = field(default_factory=dict)
    keys: dict[int, tuple[int, str, str]] = field(default_factory=dict)  # seq -> (rank, list, key)
    # Derived units (facts, topics) found as keys, and sessions found by the session prior:
    # seq -> best rank. What a packed context shows beyond the turns.
    derived: dict[int, int] = field(default_factory=dict)
    sessions: dict[int, int] = field(default_factory=dict)

    def found(self, bucket: dict[int, int], seq: int, rank: int) -> None:
        if rank < bucket.get(seq, rank + 1):
            bucket[seq] = rank

    votes: dict[int, list[RetrieverRank]] = field(default_factory=dict)  # explanations

    def key(self, seq: int, rank: int, name: str, text: str) -> None:
        if seq not in self.keys or rank < self.keys[seq][0]:
            self.keys[seq] = (rank, name, text)


def _ranked(pairs: list[tuple[int, float]]) -> list[Item]:
    return [(seq, score, rank) for rank, (seq, score) in enumerate(pairs, start=1)]


def turn_lists(ctx: QueryContext, out: Lists) -> None:
    for name, pairs in hybrid_lists(ctx, Granularity.TURN).items():
        out.turns[name] = _ranked(pairs)


def time_lists(ctx: QueryContext, window: TimeWindow, out: Lists) -> None:
    """Hybrid turn retrieval inside the window only (finds what the global lists missed)."""
    timed = replace(ctx.query, time_window=window)
    sub = replace(ctx, query=timed)  # the same versions and hidden units
    for name, pairs in hybrid_lists(sub, Granularity.TURN).items():
        out.turns[name.replace("turn.", "time.")] = _ranked(pairs)


def session_lists(ctx: QueryContext, out: Lists, top: int = 20) -> list[int]:
    """Rank sessions (dense + lexical fused), then give each session's turns its rank.
    Returns the ranked session seqs."""
    fused = rrf(hybrid_lists(ctx, Granularity.SESSION), depth=ctx.candidates)[:top]
    session_ids = ctx.uow.units.sessions_of(f.key for f in fused)
    turns = ctx.uow.units.turns_of_sessions(
        ctx.query.scope.user_id,
        [s for s in session_ids.values() if s],
        visible_statuses(ctx.query),
    )
    items: list[Item] = []
    for rank, entry in enumerate(fused, start=1):
        session_id = session_ids.get(entry.key)
        items += [(seq, entry.score, rank) for seq in turns.get(session_id or "", [])]
    out.turns["session"] = items
    for rank, entry in enumerate(fused, start=1):
        out.found(out.sessions, entry.key, rank)
    return [f.key for f in fused]


def topic_lists(ctx: QueryContext, out: Lists, top: int = 5) -> None:
    """Topics (clusters of sessions, from compression) found by the query lend their rank to
    every turn they cover — a coarse prior, like the session one."""
    fused = rrf(hybrid_lists(ctx, Granularity.TOPIC), depth=ctx.candidates)[:top]
    topics = ctx.uow.units.by_seqs(f.key for f in fused)
    covered = _source_turns(ctx, topics.values())
    sessions = ctx.uow.units.get_many(s for u in topics.values() for s in u.provenance.sources)
    session_ids = [
        u.scope.session_id
        for u in sessions.values()
        if u.granularity is Granularity.SESSION and u.scope.session_id
    ]
    by_session = ctx.uow.units.turns_of_sessions(
        ctx.query.scope.user_id, session_ids, visible_statuses(ctx.query)
    )
    items: list[Item] = []
    for rank, entry in enumerate(fused, start=1):
        unit = topics.get(entry.key)
        if unit is None:
            continue
        seqs = list(covered.get(unit.id, []))
        for source in unit.provenance.sources:
            member = sessions.get(source)
            if member is not None and member.scope.session_id:
                seqs += by_session.get(member.scope.session_id, [])
        items += [(seq, entry.score, rank) for seq in dict.fromkeys(seqs)]
    out.turns["topic"] = items


def expansion_lists(ctx: QueryContext, granularity: Granularity, out: Lists) -> None:
    """Key expansion (LongMemEval's K = V + fact): derived units (facts, topics) are more keys
    of the turns they came from. Each turn list (dense, lexical) is re-ranked over the union of
    keys, a turn taking the best score of its own text and of its derived keys; a turn that
    won through a derived key remembers that key. A unit with no sources at all (imported
    from mem0, which keeps no messages) is ranked in the list itself."""
    lists = hybrid_lists(ctx, granularity)
    for pairs in lists.values():
        for rank, (seq, _) in enumerate(pairs, start=1):
            out.found(out.derived, seq, rank)
    found = ctx.uow.units.texts_and_sources(s for pairs in lists.values() for s, _ in pairs)
    turn_seqs = ctx.uow.units.seqs_of(
        (source for _, sources in found.values() for source in sources), _turn_filter(ctx)
    )
    for name, pairs in lists.items():
        best = {seq: score for seq, score, _ in out.turns.get(_turn_list(name), [])}
        via: dict[int, str] = {}
        for seq, score in pairs:
            text, sources = found.get(seq, ("", []))
            if not sources:  # imported on its own (a mem0 memory): no turn to stand for it
                best[seq] = max(score, best.get(seq, float("-inf")))
                continue
            for turn in (turn_seqs[s] for s in sources if s in turn_seqs):
                if score > best.get(turn, float("-inf")):
                    best[turn], via[turn] = score, text
        ranked = sorted(best.items(), key=lambda item: -item[1])[: ctx.candidates]
        out.turns[_turn_list(name)] = _ranked(ranked)
        for rank, (turn, _) in enumerate(ranked, start=1):
            if turn in via:
                out.key(turn, rank, _turn_list(name), via[turn])


def _turn_list(name: str) -> str:
    """'fact.dense' -> 'turn.dense': derived keys feed the turn lists."""
    return "turn." + name.split(".", 1)[1]


def direct_lists(ctx: QueryContext, granularity: Granularity, out: Lists) -> None:
    for name, pairs in hybrid_lists(ctx, granularity).items():
        out.direct[name] = _ranked(pairs)


def _turn_filter(ctx: QueryContext) -> UnitFilter:
    """The turns a search may return, whatever time window the derived key had."""
    return replace(
        unit_filter(ctx.query, Granularity.TURN),
        occurred_from=None,
        occurred_to=None,
        valid_at=None,
    )


def _source_turns(ctx: QueryContext, units: Iterable[MemoryUnit]) -> dict[str, list[int]]:
    """unit id -> seqs of the visible turns it was derived from, in source order."""
    units = list(units)
    ids = [s for u in units for s in u.provenance.sources]
    seqs = ctx.uow.units.seqs_of(ids, _turn_filter(ctx))
    return {u.id: [seqs[s] for s in u.provenance.sources if s in seqs] for u in units}


def neighbour_lists(
    ctx: QueryContext, seeds: list[int], out: Lists, span: int = 1, lag: int = 2
) -> None:
    """Turns next to the best hits (same session, position ± span) inherit their rank: in a
    conversation of short messages the answer often sits in the reply to the turn that
    matched. A long message stands on its own, so its neighbours are not drawn in."""
    directory = ctx.directory()
    items: dict[int, Item] = {}
    for rank, seed in enumerate(seeds, start=1):
        info = directory.turns.get(seed)
        if info is None or info.length > SHORT_MESSAGE:
            continue
        for offset in range(-span, span + 1):
            other = directory.at(info.session_id, info.position + offset)
            if offset and other is not None and other not in items:  # best seed only
                # A neighbour ranks behind the turn that matched (rank + lag).
                items[other] = (other, 1.0 / (1 + abs(offset)), rank + lag)
    out.turns["neighbour"] = list(items.values())


def feedback_lists(ctx: QueryContext, seeds: list[int], out: Lists, beta: float = 0.5) -> None:
    """Pseudo-relevance feedback (Rocchio): move the query vector towards the best first-pass
    turns and search again, finding turns that say the same thing in other words."""
    vectors = ctx.uow.vectors.get(seeds)
    if not vectors:
        out.turns["feedback"] = []
        return
    centroid = np.mean(np.stack(list(vectors.values())), axis=0)
    moved = ctx.vector + beta * centroid
    moved = moved / (np.linalg.norm(moved) or 1.0)
    where = unit_filter(ctx.query, Granularity.TURN)
    partitions = ctx.uow.vectors.partitions(ctx.query.scope.user_id, Granularity.TURN)
    allowed = vector_filter(ctx, where, Granularity.TURN)
    pairs = ctx.index.search(partitions, moved, ctx.candidates, allowed, ctx.versions())
    out.turns["feedback"] = _ranked(pairs)


def author_lists(ctx: QueryContext, order: list[int], about_assistant: bool, out: Lists) -> str:
    """Whose words are evidence: when the query names a speaker of the conversation, that
    speaker's turns; when it asks what the assistant said, the assistant's; otherwise what
    people said (the user, named speakers) over what an unnamed assistant said. The list
    holds those candidates in their fused order; returns who it chose."""
    turns = ctx.directory().turns
    authors = {seq: (turns[seq].role, turns[seq].speaker) for seq in order if seq in turns}
    asked = set(words(ctx.query.text))
    named = {n for _, n in authors.values() if n and set(words(n)) & asked}
    if named:
        chosen, who = {s for s, (_, n) in authors.items() if n in named}, ", ".join(sorted(named))
    elif about_assistant:
        chosen = {s for s, (r, n) in authors.items() if r == "assistant" and not n}
        who = "the assistant"
    else:
        chosen = {s for s, (r, n) in authors.items() if n or r != "assistant"}
        who = "people (not the assistant)"
        if len(chosen) == len(authors):  # nothing to tell apart
            chosen, who = set(), ""
    out.turns["author"] = _ranked([(seq, 1.0) for seq in order if seq in chosen])
    return who
