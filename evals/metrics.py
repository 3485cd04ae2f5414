"""Retrieval metrics exactly as docs/evaluation.md defines them.

A system's answer to one question is a ranked list of hits; each hit names its turn (a client
id, or None for a hit that is not a turn) and its session. Turn metrics use the turn hits in
order; a session counts at the rank of its first hit of any granularity. Duplicates collapse
to their first rank.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from memsvc.evals.loaders import Kind, Question

DEFAULT_KS = (1, 3, 5, 10, 20)
# The ks the protocol's reference tables use, added to the defaults for each kind.
REFERENCE_KS: dict[str, tuple[int, ...]] = {"locomo": (25,), "longmemeval": ()}


@dataclass(frozen=True, slots=True)
class RankedHit:
    turn_id: str | None
    session_id: str | None


def ks_for(kind: Kind, ks: Iterable[int] | None = None) -> tuple[int, ...]:
    return tuple(sorted(set(ks or DEFAULT_KS) | set(REFERENCE_KS.get(kind, ()))))


def turn_ranking(hits: Sequence[RankedHit]) -> list[str]:
    """Turn ids in rank order, each once."""
    return list(dict.fromkeys(h.turn_id for h in hits if h.turn_id is not None))


def session_ranking(hits: Sequence[RankedHit]) -> list[str]:
    """Session ids in the order of their first hit, each once."""
    return list(dict.fromkeys(h.session_id for h in hits if h.session_id is not None))


def recall_at(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """The fraction of gold ids among the first k (gold counted once each)."""
    wanted = set(gold)
    if not wanted:
        raise ValueError("recall of an empty gold set is undefined")
    return len(wanted & set(ranked[:k])) / len(wanted)


def any_at(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """1.0 when at least one gold id is among the first k."""
    return 1.0 if set(gold) & set(ranked[:k]) else 0.0


def all_at(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """1.0 when every gold id is among the first k."""
    wanted = set(gold)
    if not wanted:
        raise ValueError("all-hit of an empty gold set is undefined")
    return 1.0 if wanted <= set(ranked[:k]) else 0.0


def ndcg_at(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """NDCG with binary gains and a log2(rank + 1) discount (ranks from 1)."""
    wanted = set(gold)
    if not wanted:
        raise ValueError("NDCG of an empty gold set is undefined")
    dcg = sum(1.0 / math.log2(r + 2) for r, x in enumerate(ranked[:k]) if x in wanted)
    ideal = sum(1.0 / math.log2(r + 2) for r in range(min(len(wanted), k)))
    return dcg / ideal


def score_question(
    question: Question, hits: Sequence[RankedHit], kind: Kind, ks: Sequence[int]
) -> dict[str, float]:
    """Every metric of one scored question for one system (names like `turn_recall@5`)."""
    out: dict[str, float] = {}
    turns = turn_ranking(hits)
    sessions = session_ranking(hits)
    for k in ks:
        if question.gold_turns:
            out[f"turn_recall@{k}"] = recall_at(turns, question.gold_turns, k)
            if kind == "locomo":
                out[f"turn_all_hit@{k}"] = all_at(turns, question.gold_turns, k)
        if kind == "longmemeval" and question.gold_sessions:
            out[f"session_recall_any@{k}"] = any_at(sessions, question.gold_sessions, k)
            out[f"session_recall_all@{k}"] = all_at(sessions, question.gold_sessions, k)
            out[f"session_ndcg@{k}"] = ndcg_at(sessions, question.gold_sessions, k)
    return out


@dataclass(slots=True)
class Summary:
    """Means per metric overall and per question type, with how many questions each mean
    covers, and the excluded questions by reason."""

    overall: dict[str, float] = field(default_factory=dict)
    by_type: dict[str, dict[str, float]] = field(default_factory=dict)
    n_overall: dict[str, int] = field(default_factory=dict)
    n_by_type: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "overall": self.overall,
            "by_type": self.by_type,
            "n_overall": self.n_overall,
            "n_by_type": self.n_by_type,
            "excluded": self.excluded,
        }


def summarise(questions: Sequence[Question], scores: dict[str, dict[str, float]]) -> Summary:
    """Average per-question scores (keyed by question id); excluded questions are counted."""
    summary = Summary()
    overall: dict[str, list[float]] = defaultdict(list)
    typed: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for q in questions:
        if q.excluded:
            summary.excluded[q.excluded] = summary.excluded.get(q.excluded, 0) + 1
            continue
        summary.n_by_type[q.qtype] = summary.n_by_type.get(q.qtype, 0) + 1
        for name, value in scores.get(q.question_id, {}).items():
            overall[name].append(value)
            typed[q.qtype][name].append(value)
    summary.overall = {m: _mean(v) for m, v in sorted(overall.items())}
    summary.n_overall = {m: len(v) for m, v in sorted(overall.items())}
    summary.by_type = {
        t: {m: _mean(v) for m, v in sorted(ms.items())} for t, ms in sorted(typed.items())
    }
    return summary


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")
