"""Turn-level baselines run on the same scopes as memsvc: BM25, dense flat cosine over the same
embedder's vectors, and their reciprocal rank fusion.

BM25 is the common "stopwords, stemming" setup: scikit-learn's token pattern (words of two or
more characters, lower-cased), Lucene's 33-word English stop list, the Snowball English
stemmer (PyStemmer), and Lucene's BM25 (k1 = 1.5, b = 0.75, idf = ln(1 + (N - df + .5) /
(df + .5))). Rankings are stable: equal scores keep the haystack's order.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import Stemmer
from memsvc.evals.metrics import RankedHit

TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")
# Lucene's English stop list (also bm25s' and Elasticsearch's `_english_` default).
LUCENE_STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split()
)
RRF_K = 60
RRF_DEPTH = 100
BASELINES = ("bm25", "dense", "rrf")


class Tokenizer:
    """Lower-cased word tokens without stop words, Snowball-stemmed (memoised per word)."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._memo: dict[str, str] = {}

    def __call__(self, text: str) -> list[str]:
        out = []
        for word in TOKEN_RE.findall(text.lower()):
            if word in LUCENE_STOPWORDS:
                continue
            stem = self._memo.get(word)
            if stem is None:
                stem = self._memo[word] = self._stemmer.stemWord(word)
            out.append(stem)
        return out


class BM25:
    """Lucene-variant BM25 over a small corpus (one scope), scored exhaustively."""

    def __init__(
        self, docs: Sequence[str], tokenizer: Tokenizer, k1: float = 1.5, b: float = 0.75
    ) -> None:
        self._tokenize = tokenizer
        self._tfs = [Counter(tokenizer(d)) for d in docs]
        lengths = np.array([sum(tf.values()) for tf in self._tfs], dtype=np.float64)
        avg = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0
        self._norm = k1 * (1.0 - b + b * lengths / avg)
        self._k1 = k1
        df: Counter[str] = Counter()
        for tf in self._tfs:
            df.update(tf.keys())
        n = len(docs)
        self._idf = {t: math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self._postings: dict[str, list[tuple[int, int]]] = {}
        for i, tf in enumerate(self._tfs):
            for term, count in tf.items():
                self._postings.setdefault(term, []).append((i, count))

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(len(self._tfs), dtype=np.float64)
        for term in set(self._tokenize(query)):
            idf = self._idf.get(term)
            if idf is None:
                continue
            for i, tf in self._postings[term]:
                out[i] += idf * tf * (self._k1 + 1.0) / (tf + self._norm[i])
        return out


def stable_order(scores: np.ndarray) -> list[int]:
    """Indices by descending score; ties keep their original order."""
    return [int(i) for i in np.argsort(-scores, kind="stable")]


def rrf(lists: Sequence[Sequence[int]], k: int = RRF_K, depth: int = RRF_DEPTH) -> list[int]:
    """Reciprocal rank fusion of the top `depth` of each list (ranks from 1)."""
    fused: dict[int, float] = {}
    for ranking in lists:
        for rank, item in enumerate(ranking[:depth], start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    # Stable on insertion order, so ties favour the first list's order.
    return sorted(fused, key=lambda i: -fused[i])


@dataclass(slots=True)
class HaystackIndex:
    """One scope's turns, ready for all three baselines."""

    turn_ids: list[str]
    session_ids: list[str]
    vectors: np.ndarray  # (n, dim), L2-normalised
    bm25: BM25

    def search(
        self, query: str, query_vector: np.ndarray
    ) -> dict[str, tuple[list[RankedHit], float]]:
        """Ranked turns and milliseconds per baseline: full rankings for BM25 and dense, RRF
        of their tops (its time includes both inputs). The query vector is given: its
        embedding time is not part of these numbers."""
        t0 = time.perf_counter()
        lexical = stable_order(self.bm25.scores(query))
        t1 = time.perf_counter()
        dense = stable_order(self.vectors @ query_vector.astype(np.float32))
        t2 = time.perf_counter()
        fused = rrf([lexical, dense])
        t3 = time.perf_counter()
        ms = ((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t0) * 1e3)
        orders = (lexical, dense, fused)
        return {
            name: (self._hits(order), elapsed)
            for name, order, elapsed in zip(BASELINES, orders, ms)
        }

    def _hits(self, order: Sequence[int]) -> list[RankedHit]:
        return [RankedHit(self.turn_ids[i], self.session_ids[i]) for i in order]


def build_index(
    turns: Sequence[tuple[str, str, str]], vectors: np.ndarray, tokenizer: Tokenizer
) -> HaystackIndex:
    """`turns` are (client id, session id, key text) in haystack order; `vectors` match."""
    return HaystackIndex(
        turn_ids=[t[0] for t in turns],
        session_ids=[t[1] for t in turns],
        vectors=np.asarray(vectors, dtype=np.float32).reshape(len(turns), -1),
        bm25=BM25([t[2] for t in turns], tokenizer),
    )
