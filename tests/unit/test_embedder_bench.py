"""`memsvc bench embedders`: the rule that picks the default backend, and its table."""

from __future__ import annotations

from dataclasses import asdict

from memsvc.evals.embedder_bench import BackendResult, default_backend, embedders_markdown

LATENCY = {"n": 10, "p50": 10.0, "p95": 12.0}


def result(backend: str, speed: float, locomo: float, longmemeval: float) -> BackendResult:
    return BackendResult(
        backend=backend,
        embedder=f"m+{backend}",
        short_per_s=speed,
        long_per_s=speed / 10,
        ingest_turns_per_s=speed / 2,
        search_ms=LATENCY,
        query_ms=LATENCY,
        recall={
            "locomo": {"memsvc": locomo, "dense": locomo - 0.1, "cold": 0.0},
            "longmemeval": {"memsvc": longmemeval, "dense": longmemeval - 0.1, "cold": 1.0},
        },
    )


def test_the_default_is_the_fastest_backend_within_the_tolerance_of_torch() -> None:
    results = [
        result("torch", 90, 0.700, 0.900),
        result("onnx", 100, 0.700, 0.900),
        result("onnx-int8", 240, 0.696, 0.8951),
    ]
    assert default_backend(results) == "onnx-int8"


def test_a_backend_losing_more_than_the_tolerance_on_one_dataset_is_not_the_default() -> None:
    results = [
        result("torch", 90, 0.700, 0.900),
        result("onnx", 100, 0.700, 0.900),
        result("onnx-int8", 240, 0.700, 0.894),
    ]
    assert default_backend(results) == "onnx"
    assert default_backend([results[0], result("onnx", 80, 0.7, 0.9)]) == "torch"


def test_the_table_has_a_row_per_backend_and_names_the_default() -> None:
    results = [result("torch", 90, 0.7, 0.9), result("onnx-int8", 240, 0.7, 0.9)]
    data = {
        "command": "memsvc bench embedders",
        "created": "2026-12-05T00:00:00+00:00",
        "git": {"commit": "abc", "dirty": False},
        "machine": {"cpus": 2, "cpu": "cpu"},
        "threads": 1,
        "config": {"turns": 1000, "long_texts": 200, "queries": 200, "sample": 30, "seed": 0},
        "backends": [asdict(r) for r in results],
        "default": default_backend(results),
    }
    table = embedders_markdown(data)
    assert "| torch | 90 |" in table and "| onnx-int8 | 240 |" in table
    assert "0.700 (0.600)" in table and "0.900 (0.800) cold" in table
    assert "**onnx-int8**" in table
