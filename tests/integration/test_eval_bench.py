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


def test_bench_profile_tables_where_search_time_goes(tmp_path: Path) -> None:
    config = BenchConfig(sizes=(30,), queries=4, k=3, embedder="hash-64", progress=False)
    config.profile = True
    result = run_bench(config)
    size = result.sizes[0]
    assert size.stages is not None
    first, later = size.stages["first"], size.stages["later"]
    assert (first["searches"], later["searches"]) == (1, 4)  # the scope's first search apart
    stages = [s["name"] for s in later["stages"]]
    assert stages[:2] == ["search", "embed"] and "turn" in stages and stages[-1] == "sdk"
    assert all(s["p95"] >= s["p50"] >= 0 for s in later["stages"])
    markdown = (write_bench(result, tmp_path / "b") / "bench.md").read_text()
    assert "Where memsvc's search time goes" in markdown and "| turn/dense |" not in markdown
    assert "&nbsp;&nbsp;turn/dense" in markdown
