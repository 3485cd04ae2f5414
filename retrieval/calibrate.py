"""Calibrated fusion: instead of fixed RRF weights, each candidate's chance of being evidence
is read from what the search can see, and candidates are ranked by it.

The first stage is plain RRF over every list the route ran (a pool of candidates). For each
pooled candidate the features are its reciprocal ranks and normalised scores in each list,
and, crossed with them, evidence about the query that decides how far a list can be trusted
*for this query*: whether the dense and lexical first passes agree, how peaked the lexical
and dense score distributions are, how many candidates the lexical list found, the first
pass's entropy. A lexical list whose hits share only common words with the query (many
documents, flat scores, disagreeing with dense) earns little; one whose top hit stands out
earns much. A logistic model over these features gives each candidate a probability; its
weights are fitted offline, leave one dataset out (`python -m memsvc.evals.fusion_fit`), and
shipped in `fusion_model.json`.

Features are built from each candidate's votes (list, rank, score) in the pool only, so the
offline fit (from `memsvc eval --dump-hits` output) and the search compute them identically.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Lists whose votes are features (others are ignored): the primary hybrid pair, the time
# window pair, and the supporting lists.
LISTS = (
    "turn.dense",
    "turn.lexical",
    "time.dense",
    "time.lexical",
    "session",
    "topic",
    "neighbour",
    "feedback",
    "author",
    "graph",
)
RRF_K = 60
TOP = 10  # the head of a list that the agreement and peakedness read
QUERY = ("agree", "lexical_peak", "dense_peak", "lexical_depth", "entropy", "no_lexical")
CROSSED = ("turn.dense", "turn.lexical")

Votes = Mapping[str, tuple[int, float]]  # list name -> (rank, score)


def feature_names() -> list[str]:
    names = [f"rr:{n}" for n in LISTS] + ["score:turn.dense", "score:turn.lexical"]
    names += [f"rr:{lst}*{q}" for lst in CROSSED for q in QUERY]
    return names


@dataclass(frozen=True, slots=True)
class QueryEvidence:
    """What one search's pool says about how much each list can be trusted."""

    agree: float  # share of the dense top 10 also in the lexical top 10
    lexical_peak: float  # 1 - (10th lexical score / best): one hit standing out
    dense_peak: float  # best dense cosine minus the 10th, scaled
    lexical_depth: float  # how many candidates the lexical list has (share of a full list)
    entropy: float  # the first pass's normalised entropy (the router's)
    no_lexical: float  # 1 when the lexical list is empty

    def vector(self) -> list[float]:
        return [getattr(self, q) for q in QUERY]


def evidence(pool: Sequence[Votes], entropy: float, depth: int = 100) -> QueryEvidence:
    dense = _head(pool, "turn.dense")
    lexical = _head(pool, "turn.lexical")
    overlap = len({i for i, _ in dense[:TOP]} & {i for i, _ in lexical[:TOP]})
    return QueryEvidence(
        agree=overlap / TOP,
        lexical_peak=_peak(lexical, ratio=True),
        dense_peak=_peak(dense, ratio=False) * 5.0,
        lexical_depth=min(1.0, sum(1 for v in pool if "turn.lexical" in v) / depth),
        entropy=entropy,
        no_lexical=0.0 if lexical else 1.0,
    )


def _head(pool: Sequence[Votes], name: str) -> list[tuple[int, float]]:
    """(pool index, score) of the list's candidates, best rank first."""
    found = [(i, v[name]) for i, v in enumerate(pool) if name in v]
    return [(i, score) for i, (_, score) in sorted(found, key=lambda item: item[1][0])]


def _peak(head: list[tuple[int, float]], *, ratio: bool) -> float:
    if len(head) < 2:
        return 1.0 if head else 0.0
    best, tenth = head[0][1], head[min(TOP, len(head)) - 1][1]
    if ratio:
        return float(1.0 - tenth / best) if best > 0 else 0.0
    return float(max(0.0, best - tenth))


def features(pool: Sequence[Votes], entropy: float) -> np.ndarray:
    """One row of features per pooled candidate (columns: `feature_names()`)."""
    query = evidence(pool, entropy)
    tops = {n: max((v[n][1] for v in pool if n in v), default=0.0) for n in CROSSED}
    rows = []
    for votes in pool:
        rr = [1.0 / (RRF_K + votes[n][0]) * RRF_K if n in votes else 0.0 for n in LISTS]
        dense = votes["turn.dense"][1] - tops["turn.dense"] if "turn.dense" in votes else -1.0
        top_lex = tops["turn.lexical"]
        lexical = votes["turn.lexical"][1] / top_lex if "turn.lexical" in votes and top_lex else 0.0
        crossed = [rr[LISTS.index(n)] * q for n in CROSSED for q in query.vector()]
        rows.append(rr + [dense, lexical] + crossed)
    return np.asarray(rows, dtype=np.float64).reshape(len(pool), len(feature_names()))


@dataclass(frozen=True, slots=True)
class FusionModel:
    """A logistic model over `features`: standardise, then weights and bias."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    about: dict[str, object]

    def logits(self, rows: np.ndarray) -> np.ndarray:
        return ((rows - self.mean) / self.scale) @ self.weights + self.bias

    def to_json(self) -> dict[str, object]:
        names = feature_names()
        return {
            "features": names,
            "weights": dict(zip(names, self.weights.round(6).tolist())),
            "bias": round(self.bias, 6),
            "mean": dict(zip(names, self.mean.round(6).tolist())),
            "scale": dict(zip(names, self.scale.round(6).tolist())),
            "about": self.about,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> FusionModel:
        names = feature_names()
        weights, mean, scale = (data[k] for k in ("weights", "mean", "scale"))
        assert isinstance(weights, dict) and isinstance(mean, dict) and isinstance(scale, dict)
        if sorted(weights) != sorted(names):
            raise ValueError("fusion model features do not match this code's features")
        return cls(
            np.array([weights[n] for n in names]),
            float(data["bias"]),  # type: ignore[arg-type]
            np.array([mean[n] for n in names]),
            np.array([scale[n] for n in names]),
            dict(data.get("about", {})),  # type: ignore[call-overload]
        )


MODEL_PATH = Path(__file__).with_name("fusion_model.json")


def load_model(path: Path = MODEL_PATH) -> FusionModel | None:
    """The shipped model, or None when there is none (plain RRF then)."""
    if not path.exists():
        return None
    return FusionModel.from_json(json.loads(path.read_text()))
