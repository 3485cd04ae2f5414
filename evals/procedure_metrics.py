"""Scores of `memsvc eval procedures`, over what each system returned.

Every system answers a how-to query with a ranking of items: memsvc with procedures (each
holding the runs it merged, at the place of the path each run took), a baseline with raw
traces. An item counts for the goal most of its runs belong to.

- recall@k: the asked goal's item is among the first k;
- good above bad: the best place of a known-good run of the asked goal is ahead of the best
  place of a known-bad run (place = (item rank, path rank inside a procedure)); a query
  counts when its goal has runs of both;
- traces to stable: after how many of a goal's runs its procedure's recommended steps took
  their final form (and whether that form is the known-good variant's).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Place = tuple[int, int]
NOWHERE: Place = (math.inf, math.inf)  # type: ignore[assignment]


@dataclass(slots=True)
class Item:
    """One ranked answer: the goal it stands for, where each run inside it sits, and
    whether what it recommends works (a procedure's recommended steps were the known-good
    variant's in a run that succeeded; a trace is such a run)."""

    goal: str | None
    places: dict[str, Place] = field(default_factory=dict)
    works: bool = False


@dataclass(frozen=True, slots=True)
class Run:
    """What the evaluator knows about a generated run."""

    trace_id: str
    goal: str
    variant: str  # good | bad
    outcome: str


def majority_goal(run_ids: Sequence[str], runs: Mapping[str, Run]) -> str | None:
    """The goal most of the runs belong to (`runs` keyed as `run_ids` name them)."""
    goals = Counter(runs[t].goal for t in run_ids if t in runs)
    return goals.most_common(1)[0][0] if goals else None


def recall_at(items: Sequence[Item], goal: str, k: int) -> float:
    return 1.0 if any(item.goal == goal for item in items[:k]) else 0.0


def working_at_1(items: Sequence[Item], goal: str) -> float:
    """1.0 when the first answer is the asked goal's and what it recommends works."""
    return 1.0 if items and items[0].goal == goal and items[0].works else 0.0


def good_above_bad(items: Sequence[Item], goal: str, runs: Mapping[str, Run]) -> float | None:
    """1.0 when a known-good run of `goal` is placed ahead of every known-bad one; None when
    the goal has no runs of one of the two variants."""
    mine = [r for r in runs.values() if r.goal == goal]
    good = [r.trace_id for r in mine if r.variant == "good"]
    bad = [r.trace_id for r in mine if r.variant == "bad"]
    if not good or not bad:
        return None
    places: dict[str, Place] = {}
    for rank, item in enumerate(items):
        for trace_id, (_, sub) in item.places.items():
            places.setdefault(trace_id, (rank, sub))
    best_good = min(places.get(t, NOWHERE) for t in good)
    best_bad = min(places.get(t, NOWHERE) for t in bad)
    return 1.0 if best_good < best_bad else 0.0


def traces_to_stable(snapshots: Sequence[tuple[str, ...]]) -> int:
    """How many runs it took until the recommended steps stopped changing (1 = the first
    run's steps were already final)."""
    last_change = 0
    for i in range(1, len(snapshots)):
        if snapshots[i] != snapshots[i - 1]:
            last_change = i
    return last_change + 1


@dataclass(slots=True)
class SystemScores:
    recall: dict[int, float]
    working: float  # the first answer is the goal's and recommends what works
    good_above_bad: float | None
    queries: int
    pairs: int  # queries whose goal has good and bad runs


def score_system(
    answers: Mapping[str, Sequence[Item]],
    asked: Mapping[str, str],
    runs: Mapping[str, Run],
    ks: Sequence[int] = (1, 3),
) -> SystemScores:
    """`answers`: query id -> ranked items; `asked`: query id -> goal."""
    recall = {k: _mean([recall_at(answers[q], g, k) for q, g in asked.items()]) for k in ks}
    pairs = [good_above_bad(answers[q], g, runs) for q, g in asked.items()]
    known = [p for p in pairs if p is not None]
    working = _mean([working_at_1(answers[q], g) for q, g in asked.items()])
    return SystemScores(recall, working, _mean(known) if known else None, len(asked), len(known))


def _mean(values: Sequence[float]) -> float:
    return float(statistics.fmean(values)) if values else 0.0


def summary_stats(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"mean": 0.0, "median": 0.0, "max": 0.0}
    return {
        "mean": round(statistics.fmean(values), 3),
        "median": float(statistics.median(values)),
        "max": float(max(values)),
    }
