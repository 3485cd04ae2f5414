"""Fit the calibrated fusion model leave one dataset out, and report what it does.

Input: `hits.jsonl` files written by `memsvc eval ... --dump-hits` (each names its dataset).
For every held-out dataset a model is fitted on the others and the held-out questions are
re-ranked with it; the table compares that with the order memsvc returned (the pool's RRF).
`--write` fits one model on all the given datasets and writes it where the searcher reads it.

    python -m memsvc.evals.fusion_fit runs/locomo/hits.jsonl runs/s350/hits.jsonl \\
        runs/synth-101/hits.jsonl --group synth=synth-101,synth-102
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from memsvc.evals.metrics import all_at, any_at, recall_at
from memsvc.retrieval.calibrate import MODEL_PATH, FusionModel, Votes, features

KS = (5, 10)
REGULARISATION = 1.0  # inverse strength of the L2 penalty (sklearn's C)


@dataclass(slots=True)
class Query:
    dataset: str
    qtype: str
    gold_turns: set[str]
    gold_sessions: set[str]
    turns: list[str | None]
    sessions: list[str | None]
    rows: np.ndarray
    labels: np.ndarray


def load(path: Path, group: dict[str, str]) -> list[Query]:
    out = []
    for line in path.read_text().splitlines():
        item = json.loads(line)
        if item["excluded"] or not item["gold_turns"] or not item["hits"]:
            continue
        pool: list[Votes] = [
            {name: (int(rank), float(score)) for name, rank, score in hit["votes"]}
            for hit in item["hits"]
        ]
        entropy = float(item["route"]["features"].get("first_pass_entropy", 0.0))
        turns = [hit["turn"] for hit in item["hits"]]
        gold = set(item["gold_turns"])
        out.append(
            Query(
                dataset=group.get(item["dataset"], item["dataset"]),
                qtype=item["qtype"],
                gold_turns=gold,
                gold_sessions=set(item["gold_sessions"]),
                turns=turns,
                sessions=[hit["session"] for hit in item["hits"]],
                rows=features(pool, entropy),
                labels=np.array([t in gold for t in turns], dtype=np.int64),
            )
        )
    return out


def fit(queries: Sequence[Query], about: dict[str, Any]) -> FusionModel:
    from sklearn.linear_model import LogisticRegression  # comes with sentence-transformers

    rows = np.vstack([q.rows for q in queries])
    labels = np.concatenate([q.labels for q in queries])
    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=REGULARISATION, max_iter=2000)
    model.fit((rows - mean) / scale, labels)
    return FusionModel(model.coef_[0], float(model.intercept_[0]), mean, scale, about)


def metrics(queries: Sequence[Query], order: str, model: FusionModel | None) -> dict[str, float]:
    """Mean turn recall and session recall (any, all) at KS, in memsvc's order or re-ranked."""
    sums: dict[str, list[float]] = defaultdict(list)
    for q in queries:
        idx = np.arange(len(q.turns))
        if order == "model" and model is not None:
            idx = np.argsort(-model.logits(q.rows), kind="stable")
        turns = list(dict.fromkeys(t for t in (q.turns[i] for i in idx) if t))
        sessions = list(dict.fromkeys(s for s in (q.sessions[i] for i in idx) if s))
        for k in KS:
            sums[f"turn@{k}"].append(recall_at(turns, q.gold_turns, k))
            if q.gold_sessions:
                sums[f"sess_any@{k}"].append(any_at(sessions, q.gold_sessions, k))
                sums[f"sess_all@{k}"].append(all_at(sessions, q.gold_sessions, k))
    return {name: float(np.mean(values)) for name, values in sums.items()}


def leave_one_out(queries: list[Query]) -> dict[str, dict[str, dict[str, float]]]:
    datasets = sorted({q.dataset for q in queries})
    out: dict[str, dict[str, dict[str, float]]] = {}
    for held in datasets:
        train = [q for q in queries if q.dataset != held]
        test = [q for q in queries if q.dataset == held]
        model = fit(train, {"trained_on": sorted({q.dataset for q in train})})
        out[held] = {"memsvc": metrics(test, "memsvc", None), "lodo": metrics(test, "model", model)}
    return out


def main(argv: Sequence[str]) -> None:
    paths, group, write = [], {}, False
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--group":  # --group name=member,member: count several dumps as one dataset
            name, members = args.pop(0).split("=", 1)
            group.update(dict.fromkeys(members.split(","), name))
        elif arg == "--write":
            write = True
        else:
            paths.append(Path(arg))
    queries = [q for p in paths for q in load(p, group)]
    for held, table in leave_one_out(queries).items():
        print(f"\n{held}  (n={sum(q.dataset == held for q in queries)})")
        for name, values in table.items():
            print(f"  {name:7s} " + "  ".join(f"{k} {v:.3f}" for k, v in values.items()))
    if write:
        about = {"trained_on": sorted({q.dataset for q in queries}), "questions": len(queries)}
        MODEL_PATH.write_text(json.dumps(fit(queries, about).to_json(), indent=1) + "\n")
        print(f"wrote {MODEL_PATH}")


if __name__ == "__main__":
    main(sys.argv[1:])
