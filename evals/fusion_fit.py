"""Choose the router's lexical rule leave one dataset out, from `--dump-hits` output.

Each dumped question is replayed offline: its lists are rebuilt from the hits' votes, the
router plans its route (with the query's evidence as the search saw it) under a candidate
`LexicalRule`, and the lists are fused as the searcher fuses them. For every dataset held
out, the rule with the least worst-case regret over the *other* datasets is chosen (see
`best_rule`) and reported on the held-out one, beside the previous fixed rule and the shipped
one. Run the searches with `--mode all` so that every list is in the dump.

    python -m memsvc.evals.fusion_fit locomo=runs/locomo/hits.jsonl \\
        s350=runs/s350/hits.jsonl synth=runs/synth101/hits.jsonl synth=runs/synth102/hits.jsonl \\
        +seed1=runs/synth1/hits.jsonl

A dataset written `+NAME=PATH` takes no part in any choice: it is only reported, with the
previous fixed rule (`LexicalRule()`, lexical 1.25) beside the shipped one (sets kept for
reporting, never tuned on).
"""

from __future__ import annotations

import itertools
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from memsvc.evals.metrics import any_at, recall_at
from memsvc.retrieval import router
from memsvc.retrieval.evidence import Evidence
from memsvc.retrieval.fusion import two_stage

KS = (5, 10)
GRID = {
    "low": (0.0, 0.25, 0.5, 0.75, 1.0, 1.25),
    "high": (0.5, 0.75, 1.0, 1.25, 1.5, 2.0),
    "agree_gain": (0.0, 1.0, 2.0, 4.0),
}
Item = tuple[int, float, int]


@dataclass(slots=True)
class Replay:
    """One dumped search, ready to re-rank: the pool's fused score without the lexical
    lists (`rest`), and what the lexical lists add per unit of their weight (`lexical`)."""

    dataset: str
    gold_turns: set[str]
    gold_sessions: set[str]
    turns: list[str | None]
    sessions: list[str | None]
    seen: Evidence | None
    rest: np.ndarray
    lexical: np.ndarray


def dumped_lists(item: dict[str, Any]) -> dict[str, list[Item]]:
    """A dumped search's lists rebuilt from its hits' votes: (pool index, score, rank), by rank."""
    lists: dict[str, list[Item]] = defaultdict(list)
    for i, hit in enumerate(item["hits"]):
        for name, rank, score in hit["votes"]:
            lists[name].append((i, float(score), int(rank)))
    for ranked in lists.values():
        ranked.sort(key=lambda entry: entry[2])
    return lists


def load(dataset: str, path: Path) -> list[Replay]:
    out = []
    for line in path.read_text().splitlines():
        item = json.loads(line)
        if item["excluded"] or not item["gold_turns"] or not item["hits"]:
            continue
        lists = dumped_lists(item)
        when = datetime.fromisoformat(item["query_time"]) if item["query_time"] else None
        feats = router.features(item["question"], when or datetime.now())
        first_pass = [s for _, s, r in lists.get("turn.dense", []) if r <= 10]
        seen = _evidence(item["route"]["features"])
        weights = router.plan("auto", feats, first_pass, seen, rule=router.LEXICAL).route.weights
        rest, lexical = _split(dict(lists), weights, len(item["hits"]))
        out.append(
            Replay(
                dataset=dataset,
                gold_turns=set(item["gold_turns"]),
                gold_sessions=set(item["gold_sessions"]),
                turns=[hit["turn"] for hit in item["hits"]],
                sessions=[hit["session"] for hit in item["hits"]],
                seen=seen,
                rest=rest,
                lexical=lexical,
            )
        )
    return out


def _evidence(found: dict[str, object]) -> Evidence | None:
    """The evidence the search saw (in the route's features), or None for older dumps."""
    if "agree" not in found:
        return None
    return Evidence(**{k: float(found[k]) for k in Evidence.__slots__})  # type: ignore[arg-type]


def _split(
    lists: dict[str, list[Item]], weights: dict[str, float], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """The fused scores without the lexical lists, and the lexical lists' reciprocal ranks
    (time.lexical in its share, when the route searched a window). The lexical lists are
    primary lists, so a candidate's score is `rest + weight * lexical`."""
    time_share = weights.get("time.lexical", 0.0) / (weights.get("turn.lexical") or 1.0)
    without = {**weights, "turn.lexical": 0.0, "time.lexical": 0.0}
    rest = np.zeros(n)
    for fused in two_stage(lists, without):
        rest[fused.key] = fused.score
    lexical = np.zeros(n)
    for name, share in (("turn.lexical", 1.0), ("time.lexical", time_share)):
        for i, _, rank in lists.get(name, []):
            if rank <= 100:
                lexical[i] += share / (60 + rank)
    return rest, lexical


def order(replay: Replay, rule: router.LexicalRule | None) -> list[int]:
    """The pool's order under `rule` (None: as memsvc returned it)."""
    if rule is None:
        return list(range(len(replay.turns)))
    weight = router.lexical_weight(replay.seen, rule) if replay.seen else rule.high
    return [int(i) for i in np.argsort(-(replay.rest + weight * replay.lexical), kind="stable")]


def scores(replays: Iterable[Replay], rule: router.LexicalRule | None) -> dict[str, float]:
    """Mean turn recall and session recall_any at KS."""
    sums: dict[str, list[float]] = defaultdict(list)
    for r in replays:
        idx = order(r, rule)
        turns = list(dict.fromkeys(t for t in (r.turns[i] for i in idx) if t))
        sessions = list(dict.fromkeys(s for s in (r.sessions[i] for i in idx) if s))
        for k in KS:
            sums[f"turn@{k}"].append(recall_at(turns, r.gold_turns, k))
            if r.gold_sessions:
                sums[f"session@{k}"].append(any_at(sessions, r.gold_sessions, k))
    return {name: float(np.mean(values)) for name, values in sums.items()}


def rules() -> list[router.LexicalRule]:
    combos = itertools.product(*GRID.values())
    return [r for r in (router.LexicalRule(*v) for v in combos) if r.low <= r.high]


def best_rule(by_dataset: dict[str, list[Replay]]) -> router.LexicalRule:
    """The rule with the least regret on its worst dataset: each dataset's score (the mean
    of recall@5 and @10, turn and session) is compared with the best any rule reaches there,
    and the rule whose largest shortfall is smallest wins. A rule that is best on one
    dataset and poor on another loses to one that is nearly best on all."""
    candidates = rules()
    table = np.array(
        [[np.mean(list(scores(rs, r).values())) for r in candidates] for rs in by_dataset.values()]
    )
    regret = table.max(axis=1, keepdims=True) - table
    return candidates[int(np.argmin(regret.max(axis=0)))]


def print_rows(replays: list[Replay], rule: router.LexicalRule | None = None) -> None:
    """`replays` scored under the previous fixed rule, the shipped one and `rule` if given."""
    rows = [("previous", router.LexicalRule()), ("shipped", router.LEXICAL)]
    for label, used in rows + ([("chosen", rule)] if rule else []):
        row = scores(replays, used)
        print(f"  {label:9s}" + "  ".join(f"{k} {v:.3f}" for k, v in row.items()))


def main(argv: Sequence[str]) -> None:
    replays: dict[str, list[Replay]] = defaultdict(list)
    reported: dict[str, list[Replay]] = defaultdict(list)
    for arg in argv:
        name, path = arg.split("=", 1)
        into = reported if name.startswith("+") else replays
        into[name.lstrip("+")] += load(name.lstrip("+"), Path(path))
    for name, rs in sorted(reported.items()):
        print(f"\n{name} (n={len(rs)}, reported only)")
        print_rows(rs)
    for held in sorted(replays):
        train = {name: rs for name, rs in replays.items() if name != held}
        rule = best_rule(train)
        print(f"\n{held} (n={len(replays[held])}): rule chosen on {sorted(train)}: {rule}")
        print_rows(replays[held], rule)
    if replays:
        print(f"\nchosen on all: {best_rule(dict(replays))}")


if __name__ == "__main__":
    main(sys.argv[1:])
