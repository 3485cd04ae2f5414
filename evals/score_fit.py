"""Choose how the turn lists are fused, leave one dataset out, from `--dump-hits` output.

Where `fusion_fit` only moves the lexical list's rank weight, this replays every dumped search
under a wider set of fusions of the turn lists (turn.dense, turn.lexical and their windowed
twins): rank fusion at a lexical weight (the `LexicalRule` way), or fusion of their scores
scaled per query (min-max, z-score through a logistic, or share of the best score) at a dense
and a lexical weight. A candidate is one such setting, or two lexical weights
split at a quartile of one feature of the query's evidence (the part a search has before it
fuses: `Evidence`, the lists' top ranks and scores, the query's words). Per held-out dataset
the candidate with the least worst-case regret on the others is chosen (as `fusion_fit` does)
and reported on the held-out one beside rank fusion under `router.LEXICAL`.

    python -m memsvc.evals.score_fit locomo=runs/locomo/hits.jsonl s350=runs/s350/hits.jsonl \\
        synth=runs/synth101/hits.jsonl synth=runs/synth102/hits.jsonl \\
        +seed1=runs/synth1/hits.jsonl@data/seed1.json.gz

`+NAME` sets are only reported. `PATH@DATA` reads question texts and times from the data file
for dumps that lack them. Options narrow the candidates: `--rank` (rank fusion only),
`--constant` (no splits), `--lexical-on` (no lexical weight of 0), `--drop=FEATURE`.
Replayed, scaling runs over the dumped pool's scores of a list (the list's top 100 at search
time), and the supporting lists stay as the dumped search built them. Result (BENCHMARKS.md
"Score fusion of the turn lists"): the splits only tell LoCoMo from the rest and were not
used; constant min-max fusion (dense 1.5, lexical 1.0), confirmed through `memsvc eval`, is
what the router ships (`router.SCORED`).
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import Stemmer
from memsvc.evals import loaders
from memsvc.evals.fusion_fit import _evidence, dumped_lists
from memsvc.evals.metrics import any_at, recall_at
from memsvc.retrieval import fusion, router
from memsvc.retrieval.evidence import Evidence
from memsvc.retrieval.fusion import two_stage

from memsvc.domain.text import content_words

DENSE = (0.5, 1.0, 1.5, 2.0)
LEXICAL = (0.0, 0.125, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
RANK_LEXICAL = (0.0, 0.125, 0.25, 0.375, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
QUARTILES = (0.25, 0.5, 0.75)
TURN_LISTS = ("turn.dense", "turn.lexical", "time.dense", "time.lexical")
FEATURES = (
    "agree", "lexical_depth", "lexical_peak", "dense_peak", "lexical_gap", "same_top",
    "lexical_top_dense_rank", "dense_top_lexical_rank", "entity", "terms", "overlap5",
)  # fmt: skip
_PORTER = Stemmer.Stemmer("porter")


@dataclass(slots=True)
class Query:
    """One dumped search: the fused score of every list but the turn lists (`base`), and per
    turn list each pool member's reciprocal rank and score (NaN: not in the list)."""

    gold_turns: set[str]
    gold_sessions: set[str]
    turns: list[str | None]
    sessions: list[str | None]
    window: bool
    seen: Evidence
    base: np.ndarray
    rr: dict[str, np.ndarray]
    score: dict[str, np.ndarray]
    features: np.ndarray


def load(path: Path, data: Path | None = None) -> list[Query]:
    texts = {}
    if data is not None:
        for q in loaders.load(data, loaders.detect_kind(data)).questions:
            texts[q.question_id] = (q.text, q.query_time)
    out = []
    for line in path.read_text().splitlines():
        item = json.loads(line)
        if item["excluded"] or not item["gold_turns"] or not item["hits"]:
            continue
        text, when = texts.get(item["question_id"], (item.get("question", ""), None))
        if item.get("query_time"):
            when = datetime.fromisoformat(item["query_time"])
        out.append(_query(item, text, when or datetime.now()))
    return out


def _query(item: dict, text: str, when: datetime) -> Query:
    lists = dumped_lists(item)
    feats = router.features(text, when)
    seen = _evidence(item["route"]["features"])
    if seen is None:
        raise ValueError("the dump has no evidence features: rerun it with this memsvc")
    first_pass = [s for _, s, r in lists.get("turn.dense", []) if r <= 10]
    weights = router.plan("auto", feats, first_pass, seen, rule=router.LEXICAL).route.weights
    n = len(item["hits"])
    base = np.zeros(n)
    for fused in two_stage(lists, {**weights, **dict.fromkeys(TURN_LISTS, 0.0)}):
        base[fused.key] = fused.score
    rr = {name: np.zeros(n) for name in TURN_LISTS}
    score = {name: np.full(n, np.nan) for name in TURN_LISTS}
    for name in TURN_LISTS if feats.window is not None else TURN_LISTS[:2]:
        for i, s, rank in lists.get(name, []):
            rr[name][i] = 1 / (60 + rank) if rank <= 100 else 0.0
            score[name][i] = s
    query = Query(
        gold_turns=set(item["gold_turns"]),
        gold_sessions=set(item["gold_sessions"]),
        turns=[hit["turn"] for hit in item["hits"]],
        sessions=[hit["session"] for hit in item["hits"]],
        window=feats.window is not None,
        seen=seen,
        base=base,
        rr=rr,
        score=score,
        features=np.zeros(len(FEATURES)),
    )
    query.features = _features(query, text, bool(feats.entities))
    return query


def _features(q: Query, text: str, entity: bool) -> np.ndarray:
    """What the search knows before fusing, per `FEATURES`."""
    ranks = {name: _ranks(q.rr[name]) for name in TURN_LISTS[:2]}
    dense, lexical = ranks["turn.dense"], ranks["turn.lexical"]
    top_d, top_l = _top(dense), _top(lexical)
    second = q.score["turn.lexical"][lexical == 2]
    best = q.score["turn.lexical"][top_l] if top_l is not None else math.nan
    gap = 1 - second[0] / best if len(second) and best > 0 else 1.0
    stems = set(_PORTER.stemWords(content_words(text)))
    overlap = len(set(np.where(dense <= 5)[0]) & set(np.where(lexical <= 5)[0])) / 5
    s = q.seen
    return np.array([
        s.agree, s.lexical_depth, s.lexical_peak, s.dense_peak, gap,
        float(top_l is not None and top_l == top_d),
        math.log(dense[top_l] if top_l is not None else 999),
        math.log(lexical[top_d] if top_d is not None else 999),
        float(entity), float(len(stems)), overlap,
    ])  # fmt: skip


def _ranks(rr: np.ndarray) -> np.ndarray:
    """Ranks back from reciprocal ranks (999: not in the list)."""
    with np.errstate(divide="ignore"):
        return np.where(rr > 0, np.round(1 / rr) - 60, 999)


def _top(ranks: np.ndarray) -> int | None:
    hit = np.where(ranks == 1)[0]
    return int(hit[0]) if len(hit) else None


def minmax(values: np.ndarray) -> np.ndarray:
    """The search's own scaling (`fusion.minmax`), on an array."""
    return np.asarray(fusion.minmax(values.tolist()))


def _scaled(scores: np.ndarray, norm: str) -> np.ndarray:
    """A list's scores scaled per query (0 for pool members not in the list)."""
    out, inside = np.zeros(len(scores)), ~np.isnan(scores)
    values = scores[inside]
    if not len(values):
        return out
    if norm == "minmax":
        out[inside] = minmax(values)
    elif norm == "z":
        sd = values.std()
        out[inside] = 1 / (1 + np.exp(-(values - values.mean()) / sd)) if sd > 0 else 0.5
    else:  # share of the best
        out[inside] = values / values.max() if values.max() > 0 else 0.0
    return out


def outcomes(q: Query, fused: np.ndarray) -> np.ndarray:
    """turn recall@5, @10, session recall_any@5, @10 (NaN: no gold session)."""
    idx = np.argsort(-fused, kind="stable")
    turns = list(dict.fromkeys(t for t in (q.turns[i] for i in idx) if t))
    sessions = list(dict.fromkeys(s for s in (q.sessions[i] for i in idx) if s))
    row = [recall_at(turns, q.gold_turns, 5), recall_at(turns, q.gold_turns, 10)]
    if not q.gold_sessions:
        return np.array(row + [np.nan, np.nan])
    return np.array(row + [any_at(sessions, q.gold_sessions, k) for k in (5, 10)])


def rank_fused(q: Query, lexical: float) -> np.ndarray:
    rr = q.rr
    lexical_part = rr["turn.lexical"] + router.TIME_LEXICAL * rr["time.lexical"]
    return q.base + rr["turn.dense"] + rr["time.dense"] + lexical * lexical_part


def score_fused(q: Query, norm: str, dense: float, lexical: float) -> np.ndarray:
    s = {name: _scaled(q.score[name], norm) / 61 for name in TURN_LISTS}
    lexical_part = s["turn.lexical"] + router.TIME_LEXICAL * s["time.lexical"]
    return q.base + dense * (s["turn.dense"] + s["time.dense"]) + lexical * lexical_part


# A family: the fused scores under each of its lexical weights (a candidate picks one or two).
Family = tuple[str, Sequence[float], Callable[[Query, float], np.ndarray]]


def families() -> list[Family]:
    out: list[Family] = [("rank fusion", RANK_LEXICAL, rank_fused)]
    for norm, dense in itertools.product(("minmax", "z", "share"), DENSE):
        fuse = (lambda n, d: lambda q, w: score_fused(q, n, d, w))(norm, dense)
        out.append((f"{norm} scores, dense {dense}", LEXICAL, fuse))
    return out


def table(queries: list[Query], fams: list[Family]) -> list[np.ndarray]:
    """Per family: (queries, lexical weights, 4 outcomes)."""
    return [np.stack([[outcomes(q, f(q, w)) for w in ws] for q in queries]) for _, ws, f in fams]


@dataclass(frozen=True, slots=True)
class Candidate:
    family: int
    below: int  # lexical weight index where the feature is below the threshold (or always)
    above: int
    feature: int = -1
    threshold: float = 0.0

    def choice(self, feats: np.ndarray) -> np.ndarray:
        if self.feature < 0:
            return np.full(len(feats), self.below)
        return np.where(feats[:, self.feature] < self.threshold, self.below, self.above)

    def label(self, fams: list[Family]) -> str:
        name, ws, _ = fams[self.family]
        if self.feature < 0:
            return f"{name}, lexical {ws[self.below]}"
        feature = FEATURES[self.feature]
        return (
            f"{name}, lexical {ws[self.below]} if {feature} < {self.threshold} "
            f"else {ws[self.above]}"
        )


def candidates(fams: list[Family], feats: list[np.ndarray]) -> list[Candidate]:
    out = []
    for f, (_, ws, _) in enumerate(fams):
        out += [Candidate(f, i, i) for i in range(len(ws))]
        pairs = list(itertools.permutations(range(len(ws)), 2))
        for j in range(len(FEATURES)):
            cuts = {round(float(np.quantile(x[:, j], p)), 4) for x in feats for p in QUARTILES}
            out += [Candidate(f, a, b, j, t) for t in sorted(cuts) for a, b in pairs]
    return out


def outcome(tab: list[np.ndarray], feats: np.ndarray, c: Candidate) -> np.ndarray:
    rows = tab[c.family]
    return np.nanmean(rows[np.arange(len(rows)), c.choice(feats)], axis=0)


Keep = Callable[[Candidate], bool]


def choose(
    data: dict[str, tuple[list[np.ndarray], np.ndarray]], fams: list[Family], keep: Keep
) -> Candidate:
    """The candidate with the least regret on its worst dataset (`fusion_fit.best_rule`)."""
    pool = [c for c in candidates(fams, [feats for _, feats in data.values()]) if keep(c)]
    scores = np.array([[outcome(t, f, c).mean() for c in pool] for t, f in data.values()])
    regret = scores.max(axis=1, keepdims=True) - scores
    return pool[int(np.argmin(regret.max(axis=0)))]


def shipped(q: Query) -> np.ndarray:
    """Outcomes under rank fusion with `router.LEXICAL` (what score fusion replaced)."""
    return outcomes(q, rank_fused(q, router.lexical_weight(q.seen, router.LEXICAL)))


def narrowed(options: Sequence[str], fams: list[Family]) -> Keep:
    """Which candidates the options leave (see the module)."""
    dropped = {FEATURES.index(o.split("=", 1)[1]) for o in options if o.startswith("--drop=")}

    def keep(c: Candidate) -> bool:
        weights = fams[c.family][1]
        return not (
            ("--rank" in options and c.family != 0)
            or ("--constant" in options and c.feature >= 0)
            or ("--lexical-on" in options and not weights[c.below] * weights[c.above])
            or c.feature in dropped
        )

    return keep


def main(argv: Sequence[str]) -> None:
    fams = families()
    keep = narrowed([a for a in argv if a.startswith("--")], fams)
    queries: dict[str, list[Query]] = defaultdict(list)
    for arg in (a for a in argv if not a.startswith("--")):
        name, spec = arg.split("=", 1)
        path, _, source = spec.partition("@")
        queries[name] += load(Path(path), Path(source) if source else None)
    data = {
        name: (table(qs, fams), np.stack([q.features for q in qs])) for name, qs in queries.items()
    }
    fitted = {n: d for n, d in data.items() if not n.startswith("+")}
    rows = {}
    for held in sorted(fitted):
        train = {n: d for n, d in fitted.items() if n != held}
        rows[f"held out {held}"] = (choose(train, fams, keep), [held])
    rows["chosen on all"] = (choose(fitted, fams, keep), sorted(data))
    for title, (chosen, shown) in rows.items():
        print(f"\n{title}: {chosen.label(fams)}")
        for name in shown:
            ship = np.nanmean([shipped(q) for q in queries[name]], axis=0)
            mine = outcome(*data[name], chosen)
            print(
                f"  {name:8s} n={len(queries[name]):5d}  LEXICAL rank fusion turn@10 "
                f"{ship[1]:.3f} session@5 {ship[2]:.3f}   chosen turn@10 {mine[1]:.3f} "
                f"session@5 {mine[2]:.3f}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
