"""Near-duplicate statements: stored vectors for recall, normalised text for precision.

Two facts are the same statement when their cosine similarity is high and their content words
mostly agree (or the similarity alone is very high), and nothing marks them as different
statements: another object of the same predicate, other numbers, or a negation on one side
only. "The user lives in Boston" and "... in Denver" are close in any embedding space; they
are a contradiction for the slot logic, never a merge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from memsvc.operations.derive import norm

from memsvc.domain import MemoryUnit
from memsvc.domain.text import content_words

NEGATIONS = frozenset("not no never nobody nothing none nor n't cannot without".split())
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
BLOCK = 1024  # rows of the similarity matrix computed at once


@dataclass(frozen=True, slots=True)
class MergeRule:
    similarity: float = 0.9
    overlap: float = 0.5
    similarity_alone: float = 0.97


@dataclass(frozen=True, slots=True)
class Statement:
    """What the comparison needs of a fact, computed once."""

    text: str
    words: frozenset[str]
    numbers: frozenset[str]
    negated: bool
    subject: str
    obj: str

    @classmethod
    def of(cls, unit: MemoryUnit) -> Statement:
        raw = unit.content.lower().replace("’", "'")
        tokens = set(re.findall(r"[a-z']+", raw))
        a = unit.attributes
        return cls(
            text=norm(unit.content),
            words=frozenset(content_words(unit.content)),
            numbers=frozenset(_NUMBER.findall(raw)),
            negated=bool(tokens & NEGATIONS) or "n't" in raw,
            subject=norm(str(a.get("subject") or "")),
            obj=norm(str(a.get("object") or "")),
        )


def same_statement(a: Statement, b: Statement, cosine: float, rule: MergeRule) -> bool:
    if a.text == b.text:
        return True
    if a.numbers != b.numbers or a.negated != b.negated:
        return False
    if a.obj and b.obj and (a.obj != b.obj or (a.subject and b.subject and a.subject != b.subject)):
        return False
    if cosine >= rule.similarity_alone:
        return True
    return cosine >= rule.similarity and _jaccard(a.words, b.words) >= rule.overlap


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def candidate_pairs(vectors: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """(i, j, cosine) for i < j with cosine >= threshold; rows are L2-normalised vectors."""
    out: list[tuple[int, int, float]] = []
    n = len(vectors)
    for start in range(0, n, BLOCK):
        sims = vectors[start : start + BLOCK] @ vectors.T
        rows, cols = np.nonzero(sims >= threshold)
        for r, c in zip(rows.tolist(), cols.tolist()):
            i = start + r
            if i < c:
                out.append((i, c, float(sims[r, c])))
    return out


def duplicate_pairs(
    units: Sequence[MemoryUnit], vectors: np.ndarray, rule: MergeRule
) -> list[tuple[int, int]]:
    """Index pairs of units that state the same thing."""
    if len(units) < 2:
        return []
    statements = [Statement.of(u) for u in units]
    floor = min(rule.similarity, rule.similarity_alone)
    by_text: dict[str, list[int]] = {}
    for i, s in enumerate(statements):
        by_text.setdefault(s.text, []).append(i)
    pairs = {
        (i, j)
        for i, j, cos in candidate_pairs(vectors, floor)
        if same_statement(statements[i], statements[j], cos, rule)
    }
    for same in by_text.values():  # identical text is a duplicate whatever the vectors say
        pairs.update((i, j) for k, i in enumerate(same) for j in same[k + 1 :])
    return sorted(pairs)


def star_groups(n: int, pairs: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Groups around the earliest unit: each unassigned unit, in order, takes its unassigned
    duplicates. Stars, not connected components, so a chain a~b~c with a and c unlike does
    not merge a with c."""
    partners: dict[int, list[int]] = {}
    for i, j in pairs:
        partners.setdefault(i, []).append(j)
        partners.setdefault(j, []).append(i)
    taken: set[int] = set()
    groups: list[list[int]] = []
    for i in range(n):
        if i in taken or i not in partners:
            continue
        members = [j for j in sorted(partners[i]) if j not in taken and j != i]
        if members:
            taken.update([i, *members])
            groups.append([i, *members])
    return groups
