"""Eval metrics against hand-computed examples (docs/evaluation.md rules)."""

from __future__ import annotations

import math

import pytest
from memsvc.evals.loaders import Question
from memsvc.evals.metrics import (
    RankedHit,
    all_at,
    any_at,
    ks_for,
    ndcg_at,
    recall_at,
    score_question,
    session_ranking,
    summarise,
    turn_ranking,
)


def _q(qid: str, qtype: str = "t", *, turns=(), sessions=(), excluded=None) -> Question:
    return Question(qid, "scope", qtype, "q?", "a", None, tuple(sessions), tuple(turns), excluded)


def test_turn_recall_counts_fraction_of_gold_in_top_k() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at(ranked, ["b", "d"], 1) == 0.0
    assert recall_at(ranked, ["b", "d"], 2) == 0.5
    assert recall_at(ranked, ["b", "d"], 4) == 1.0
    assert recall_at(ranked, ["b", "d"], 100) == 1.0


def test_duplicate_gold_ids_count_once() -> None:
    assert recall_at(["a", "b"], ["a", "a", "c"], 2) == 0.5
    assert all_at(["a", "c"], ["a", "a", "c"], 2) == 1.0


def test_empty_gold_is_refused_not_scored_as_zero() -> None:
    with pytest.raises(ValueError):
        recall_at(["a"], [], 1)
    with pytest.raises(ValueError):
        ndcg_at(["a"], [], 1)


def test_session_counts_at_rank_of_its_first_hit() -> None:
    hits = [
        RankedHit("s1:0", "s1"),
        RankedHit("s1:3", "s1"),
        RankedHit(None, "s2"),  # a session-granularity hit: no turn
        RankedHit("s1:1", "s1"),
        RankedHit("s3:0", "s3"),
    ]
    assert session_ranking(hits) == ["s1", "s2", "s3"]
    assert turn_ranking(hits) == ["s1:0", "s1:3", "s1:1", "s3:0"]
    assert any_at(session_ranking(hits), ["s3"], 2) == 0.0
    assert any_at(session_ranking(hits), ["s3"], 3) == 1.0


def test_duplicate_turn_hits_collapse_to_first_rank() -> None:
    hits = [RankedHit("x", "s"), RankedHit("x", "s"), RankedHit("y", "s")]
    assert turn_ranking(hits) == ["x", "y"]
    assert recall_at(turn_ranking(hits), ["y"], 2) == 1.0


def test_recall_any_and_all() -> None:
    ranked = ["s1", "s2", "s3"]
    assert any_at(ranked, ["s2", "s9"], 2) == 1.0
    assert all_at(ranked, ["s2", "s9"], 3) == 0.0
    assert all_at(ranked, ["s1", "s3"], 2) == 0.0
    assert all_at(ranked, ["s1", "s3"], 3) == 1.0


def test_ndcg_binary_gains_hand_computed() -> None:
    # gold at ranks 2 and 3 of 3; ideal puts two golds at ranks 1 and 2.
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    idcg = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at(["x", "g1", "g2"], ["g1", "g2"], 3) == pytest.approx(dcg / idcg)
    # ideal is capped at k: one slot, gold first -> 1.0 although two gold exist.
    assert ndcg_at(["g1", "g2"], ["g1", "g2"], 1) == 1.0
    assert ndcg_at(["x", "y"], ["g1"], 2) == 0.0


def test_score_question_longmemeval_metrics() -> None:
    q = _q("q1", turns=["s2:1"], sessions=["s2"])
    hits = [RankedHit("s1:0", "s1"), RankedHit("s2:1", "s2")]
    scores = score_question(q, hits, "longmemeval", (1, 2))
    assert scores["turn_recall@1"] == 0.0
    assert scores["turn_recall@2"] == 1.0
    assert scores["session_recall_any@1"] == 0.0
    assert scores["session_recall_all@2"] == 1.0
    assert scores["session_ndcg@2"] == pytest.approx(1 / math.log2(3))
    assert "turn_all_hit@1" not in scores


def test_score_question_locomo_evidence_metrics() -> None:
    q = _q("q1", turns=["D1:1", "D2:3"], sessions=["session_1", "session_2"])
    hits = [RankedHit("D2:3", "session_2"), RankedHit("D1:5", "session_1")]
    hits.append(RankedHit("D1:1", "session_1"))
    scores = score_question(q, hits, "locomo", (1, 3))
    assert scores["turn_recall@1"] == 0.5
    assert scores["turn_all_hit@1"] == 0.0
    assert scores["turn_all_hit@3"] == 1.0
    assert not any(name.startswith("session_") for name in scores)


def test_question_without_gold_turns_gets_no_turn_metric() -> None:
    q = _q("q1", sessions=["s1"])
    scores = score_question(q, [RankedHit("s1:0", "s1")], "longmemeval", (1,))
    assert scores == {
        "session_recall_any@1": 1.0,
        "session_recall_all@1": 1.0,
        "session_ndcg@1": 1.0,
    }


def test_summary_excludes_and_counts_abstention_and_adversarial() -> None:
    questions = [
        _q("a", "x"),
        _q("b", "x"),
        _q("c", "y"),
        _q("d_abs", "x", excluded="abstention"),
        _q("e", "z", excluded="adversarial"),
    ]
    scores = {
        "a": {"turn_recall@1": 1.0},
        "b": {"turn_recall@1": 0.0},
        "c": {"turn_recall@1": 0.5},
        "d_abs": {"turn_recall@1": 1.0},
    }
    summary = summarise(questions, scores)
    assert summary.overall["turn_recall@1"] == pytest.approx(0.5)
    assert summary.by_type["x"]["turn_recall@1"] == 0.5
    assert summary.by_type["y"]["turn_recall@1"] == 0.5
    assert summary.n_overall["turn_recall@1"] == 3
    assert summary.excluded == {"abstention": 1, "adversarial": 1}
    assert "z" not in summary.by_type


def test_reference_ks_are_added_per_kind() -> None:
    assert ks_for("locomo") == (1, 3, 5, 10, 20, 25)
    assert ks_for("longmemeval") == (1, 3, 5, 10, 20)
    assert ks_for("longmemeval", [2, 5]) == (2, 5)
