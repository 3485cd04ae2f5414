"""`memsvc bench` end to end at toy sizes with the hashing embedder, including the cheaper
configuration used above `cheap_above` turns."""

from __future__ import annotations

import json
from pathlib import Path

from memsvc.evals.bench import BenchConfig, run_bench, write_bench
from memsvc.evals.synthetic import synthetic_questions, synthetic_turns


def test_synthetic_texts_are_distinct_and_seeded() -> None:
    turns = synthetic_turns(500, seed=3)
    assert len(set(turns)) == 500
    assert turns == synthetic_turns(500, seed=3)
    assert len(set(synthetic_questions(50))) == 50


def test_bench_measures_each_size_next_to_dense_flat(tmp_path: Path) -> None:
    config = BenchConfig(
        sizes=(60, 40), queries=5, k=5, cheap_above=50, embedder="hash-64", progress=False
    )
    result = run_bench(config)
    folder = write_bench(result, tmp_path / "bench")

    small, large = result.sizes
    assert (small.size, large.size) == (40, 60)
    assert not small.cheap and small.distinct_texts == 40
    assert small.ingest_vs_raw is not None and small.ingest_vs_raw > 0
    assert large.cheap and large.distinct_texts == 25 and large.ingest_vs_raw is None
    assert "cheaper configuration" in large.note
    for size in result.sizes:
        assert size.memsvc_latency_ms["n"] == 5
        assert size.dense_latency_ms["n"] == 5
        assert size.peak_rss_mb["search"] > 0
    data = json.loads((folder / "bench.json").read_text())
    assert [s["size"] for s in data["sizes"]] == [40, 60]
    markdown = (folder / "bench.md").read_text()
    assert "| 60 * |" in markdown and "cheaper configuration" in markdown
