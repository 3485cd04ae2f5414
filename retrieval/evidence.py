"""What the first pass says about how far each list can be trusted for *this* query.

Fixed list weights tuned on one benchmark overfit it: where a question's words are shared by
many other memories (facts said in passing among chats on the same subjects), the lexical
list fills with look-alikes, while on benchmarks whose questions repeat rare words of their
evidence it is the strongest list. The first pass shows which case a query is in:

- `agree`: the share of the dense top 10 that the lexical top 10 also holds (two different
  views finding the same turns means the words are not misleading);
- `lexical_depth`: how many candidates the lexical list found, as a share of a full list
  (rare words match few turns; common ones match everything);
- `lexical_peak`: how far the best lexical hit stands above the 10th (1 - s10 / s1);
- `dense_peak`: the best cosine minus the 10th.

The router turns them into the lexical weight (`router.lexical_weight`); they are part of
every route's features, so a search explains the weight it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

TOP = 10

Ranked = Sequence[tuple[int, float, int]]  # (seq, score, rank), best first


@dataclass(frozen=True, slots=True)
class Evidence:
    agree: float
    lexical_depth: float
    lexical_peak: float
    dense_peak: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in asdict(self).items()}


def evidence(dense: Ranked, lexical: Ranked, candidates: int) -> Evidence:
    top_dense = {seq for seq, _, _ in dense[:TOP]}
    top_lexical = {seq for seq, _, _ in lexical[:TOP]}
    return Evidence(
        agree=len(top_dense & top_lexical) / TOP,
        lexical_depth=min(1.0, len(lexical) / max(1, candidates)),
        lexical_peak=_peak([s for _, s, _ in lexical], ratio=True),
        dense_peak=_peak([s for _, s, _ in dense], ratio=False),
    )


def _peak(scores: list[float], *, ratio: bool) -> float:
    if len(scores) < 2:
        return 1.0 if scores else 0.0
    best, tenth = scores[0], scores[min(TOP, len(scores)) - 1]
    if ratio:
        return max(0.0, 1.0 - tenth / best) if best > 0 else 0.0
    return max(0.0, best - tenth)
