"""Procedure retrieval: relevance and reliability in one ranking.

Candidates are the procedures the hybrid lists find (dense and lexical). Relevance mixes
their scores, each divided by the best candidate's (`LEXICAL_SHARE` of it lexical; a
candidate the dense list missed has its cosine read from its stored vector, one the lexical
list missed scores 0 there). To relevance it adds `RELIABILITY_WEIGHT` times the net Wilson
score of its recommended steps (`memsvc.domain.reliability`: +1 keeps working, 0 untested,
-1 keeps failing), so reliability moves a procedure by at most that weight: it orders
procedures that answer the query about equally well (a failing one sinks below a working
one), and does not lift a reliable procedure for another goal over the one asked about.

Every hit keeps the votes that explain it: its dense and lexical ranks, and
`procedure.reliability` (score: the net reliability, rank: its place by reliability).
"""

from __future__ import annotations

import numpy as np
from memsvc.retrieval.hybrid import QueryContext, hybrid_lists, visible_statuses
from memsvc.retrieval.retrievers import Lists

from memsvc.domain import Granularity, MemoryUnit, RetrieverRank

RELIABILITY_WEIGHT = 0.2  # no change to recall@1 from 0.1 on seeds 1-2; sinks failing ones
RUN_KEYS = 50  # best turns of the dense turn list read as keys of procedures
LEXICAL_SHARE = 0.25  # paraphrased how-tos share few words with the procedure (seeds 1-2)
NAME = "procedure"


def net_reliability(unit: MemoryUnit) -> float:
    """The net Wilson score of a procedure's recommended steps (0 when unknown)."""
    value = unit.attributes.get("reliability", {})
    try:
        return float(value.get("net", 0.0)) if isinstance(value, dict) else 0.0
    except (TypeError, ValueError):
        return 0.0


def procedure_lists(ctx: QueryContext, out: Lists) -> None:
    """The `procedure` list (relevance + reliability), with the votes behind each rank."""
    lists = hybrid_lists(ctx, Granularity.PROCEDURE)
    asked = _asked_as(ctx, out)
    lists[f"{NAME}.asked"] = sorted(asked.items(), key=lambda item: -item[1])
    seqs = list(dict.fromkeys(seq for pairs in lists.values() for seq, _ in pairs))
    units = ctx.uow.units.by_seqs(seqs) if seqs else {}
    seqs = [s for s in seqs if s in units]
    if not seqs:
        out.direct[NAME] = []
        return
    cosine = _cosines(ctx, seqs, dict(lists.get(f"{NAME}.dense", [])))
    cosine = {seq: max(cosine[seq], asked.get(seq, float("-inf"))) for seq in seqs}
    lexical = dict(lists.get(f"{NAME}.lexical", []))
    relevance = _relevance(seqs, cosine, lexical)
    net = {seq: net_reliability(units[seq]) for seq in seqs}
    score = {seq: relevance[seq] + RELIABILITY_WEIGHT * net[seq] for seq in seqs}
    ranked = sorted(seqs, key=lambda s: (-score[s], seqs.index(s)))
    out.direct[NAME] = [(seq, score[seq], rank) for rank, seq in enumerate(ranked, start=1)]
    by_net = {seq: r for r, seq in enumerate(sorted(seqs, key=lambda s: -net[s]), start=1)}
    for name, pairs in lists.items():
        for rank, (seq, value) in enumerate(pairs, start=1):
            out.votes.setdefault(seq, []).append(RetrieverRank(name, rank, float(value)))
    for seq in seqs:
        out.votes.setdefault(seq, []).append(
            RetrieverRank(f"{NAME}.reliability", by_net[seq], round(net[seq], 4))
        )


def _asked_as(ctx: QueryContext, out: Lists) -> dict[int, float]:
    """Procedures found through the runs they were learned from: a run is its session (the
    session vector, the mean of its turns) and the message that started it (the request, or
    the how-to itself), both searched by the dense lists. Each lends its cosine to the
    procedure holding that run, the best one counting, so a procedure is found by every way
    it was asked for and done, not only by the phrasings its one vector holds."""
    score: dict[str, float] = {}
    found = out.turns.get("turn.dense", [])[:RUN_KEYS]
    turns = ctx.uow.units.by_seqs(seq for seq, _, _ in found) if found else {}
    for seq, value, _ in found:
        if seq in turns:
            score[turns[seq].id] = value
    sessions = hybrid_lists(ctx, Granularity.SESSION)[f"{Granularity.SESSION}.dense"][:RUN_KEYS]
    units = ctx.uow.units.by_seqs(seq for seq, _ in sessions) if sessions else {}
    for seq, value in sessions:
        for turn_id in units[seq].provenance.sources if seq in units else ():
            score[turn_id] = max(score.get(turn_id, float("-inf")), value)
    return _lend(ctx, score)


def _lend(ctx: QueryContext, score: dict[str, float]) -> dict[int, float]:
    """procedure seq -> the best score of the turns that started its runs."""
    derived = ctx.uow.units.derived_from(score) if score else {}
    units = ctx.uow.units.get_many({d for ds in derived.values() for d in ds})
    visible = visible_statuses(ctx.query)
    heads = {
        u.id: {str(t.get("id")) for t in u.attributes.get("traces", [])}
        for u in units.values()
        if u.granularity is Granularity.PROCEDURE and u.status in visible
    }
    best: dict[str, float] = {}
    for turn_id, ids in derived.items():
        for unit_id in ids:
            if turn_id in heads.get(unit_id, ()):
                best[unit_id] = max(best.get(unit_id, float("-inf")), score[turn_id])
    seqs = ctx.uow.units.seqs_of(best)
    return {seqs[i]: value for i, value in best.items() if i in seqs}


def _relevance(
    seqs: list[int], cosine: dict[int, float], lexical: dict[int, float]
) -> dict[int, float]:
    """Mean of the dense and lexical scores, each relative to the best candidate's."""
    top_cos = max((max(cosine[s], 0.0) for s in seqs), default=0.0) or 1.0
    top_lex = max((lexical.get(s, 0.0) for s in seqs), default=0.0) or 1.0
    return {
        s: (1 - LEXICAL_SHARE) * max(cosine[s], 0.0) / top_cos
        + LEXICAL_SHARE * max(lexical.get(s, 0.0), 0.0) / top_lex
        for s in seqs
    }


def _cosines(ctx: QueryContext, seqs: list[int], dense: dict[int, float]) -> dict[int, float]:
    """Cosine similarity of each candidate to the query: from the dense list, or from the
    stored vector of a candidate only the lexical list found."""
    missing = [s for s in seqs if s not in dense]
    vectors = ctx.uow.vectors.get(missing) if missing else {}
    query = np.asarray(ctx.vector, dtype=np.float32)
    out = dict(dense)
    for seq in missing:
        vector = vectors.get(seq)
        out[seq] = float(np.dot(vector, query)) if vector is not None else 0.0
    return out
