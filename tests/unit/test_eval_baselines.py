"""Baselines on hand-computed examples: tokenizer, Lucene BM25, stable ties, RRF."""

from __future__ import annotations

import math

import numpy as np
import pytest
from memsvc.evals.baselines import BM25, Tokenizer, build_index, rrf, stable_order


def test_tokenizer_drops_stop_words_and_one_letter_tokens_and_stems() -> None:
    assert Tokenizer()("The dogs were running to a park, I think") == [
        "dog",
        "were",
        "run",
        "park",
        "think",
    ]


def test_bm25_matches_the_lucene_formula() -> None:
    docs = ["apple banana", "apple apple cherry", "cherry"]
    bm25 = BM25(docs, Tokenizer(), k1=1.5, b=0.75)
    scores = bm25.scores("apple")
    n, df, avg = 3, 2, (2 + 3 + 1) / 3
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))

    def term(tf: int, length: int) -> float:
        return idf * tf * 2.5 / (tf + 1.5 * (0.25 + 0.75 * length / avg))

    assert scores == pytest.approx([term(1, 2), term(2, 3), 0.0])


def test_ties_keep_haystack_order() -> None:
    assert stable_order(np.array([0.5, 1.0, 0.5, 1.0])) == [1, 3, 0, 2]


def test_rrf_sums_reciprocal_ranks_of_each_lists_top() -> None:
    fused = rrf([[1, 2, 3], [3, 2, 9]], k=60, depth=2)
    # 2: 1/62 + 1/62; 1: 1/61; 3: 1/61 (only in list two's top 2); 9 is beyond depth.
    assert fused == [2, 1, 3]


def test_index_returns_turn_and_session_for_each_baseline() -> None:
    rows = [("s1:0", "s1", "I adopted a puppy"), ("s2:0", "s2", "pasta recipe for dinner")]
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    index = build_index(rows, vectors, Tokenizer())
    ranked = index.search("dinner recipe", np.array([0.0, 1.0], dtype=np.float32))
    for name in ("bm25", "dense", "rrf"):
        hits, elapsed_ms = ranked[name]
        assert hits[0].turn_id == "s2:0" and hits[0].session_id == "s2"
        assert elapsed_ms >= 0
