import pytest
from memsvc.retrieval.fusion import rrf


def test_rrf_sums_reciprocal_ranks_and_keeps_votes() -> None:
    fused = rrf({"a": [(1, 0.9), (2, 0.8)], "b": [(2, 5.0), (3, 4.0)]}, k=60)
    assert [f.key for f in fused] == [2, 1, 3]
    assert fused[0].score == 1 / 62 + 1 / 61
    assert [(v.retriever, v.rank) for v in fused[0].votes] == [("a", 2), ("b", 1)]


def test_rrf_ties_break_on_best_single_rank_then_key() -> None:
    fused = rrf({"a": [(7, 1.0), (5, 1.0)], "b": [(5, 1.0), (7, 1.0)]}, k=60)
    assert [f.key for f in fused] == [5, 7]


def test_rrf_weights_and_depth() -> None:
    fused = rrf({"a": [(1, 1.0), (2, 1.0)], "b": [(2, 1.0)]}, weights={"a": 1.0, "b": 0.0}, depth=1)
    assert [f.key for f in fused] == [1]


def test_scored_lists_vote_by_their_scaled_scores_not_their_ranks() -> None:
    """Each scored list adds weight * (score scaled to [0, 1] in that list) / (k + 1): how far
    apart the scores stand counts, not only their order; votes keep the raw scores."""
    lists = {
        "dense": [(1, 0.90), (2, 0.80), (3, 0.40)],
        "lexical": [(3, 20.0), (2, 2.0), (1, 1.0)],
    }
    fused = rrf(lists, k=60, weights={"dense": 1.5, "lexical": 1.0}, scored=("dense", "lexical"))
    by_key = {f.key: f.score for f in fused}
    assert by_key[1] == pytest.approx(1.5 / 61)
    assert by_key[2] == pytest.approx((1.5 * 0.8 + 1 / 19) / 61)
    assert by_key[3] == pytest.approx(1.0 / 61)
    assert [f.key for f in fused] == [1, 2, 3]
    assert {(v.retriever, v.rank, v.score) for v in fused[2].votes} == {
        ("dense", 3, 0.40),
        ("lexical", 1, 20.0),
    }
    # Unscored lists keep reciprocal ranks in the same call.
    mixed = rrf(lists, k=60, scored=("lexical",))
    assert {f.key: f.score for f in mixed}[3] == pytest.approx(1 / 63 + 1 / 61)


def test_minmax_scales_best_to_one_and_flat_lists_to_one() -> None:
    from memsvc.retrieval.fusion import minmax

    assert minmax([4.0, 3.0, 2.0]) == [1.0, 0.5, 0.0]
    assert minmax([2.0, 2.0]) == [1.0, 1.0]
    assert minmax([]) == []
