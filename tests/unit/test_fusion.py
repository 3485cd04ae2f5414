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
