"""The coalescer: calls that arrive together run as one batch, each caller gets its own
outcome, and a lone caller is not held back."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from memsvc.coalesce import Coalescer


def doubled(items: Sequence[int]) -> list[int | BaseException]:
    return [ValueError(f"no {i}") if i < 0 else 2 * i for i in items]


def run_together(coalescer: Coalescer[int, int], items: list[int]) -> list[object]:
    """Submit every item from its own thread at once; each thread's outcome."""
    start = threading.Barrier(len(items))

    def call(item: int) -> object:
        start.wait()
        try:
            return coalescer.submit("k", item)
        except ValueError as exc:
            return exc

    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(call, items))


def test_calls_that_arrive_together_run_as_one_batch() -> None:
    seen: list[list[int]] = []

    def run(items: Sequence[int]) -> list[int | BaseException]:
        seen.append(list(items))
        return doubled(items)

    # A long wait that a full batch cuts short: the batch is exactly the four calls.
    coalescer = Coalescer(run, max_items=4, wait_s=30.0)
    assert run_together(coalescer, [1, 2, 3, 4]) == [2, 4, 6, 8]
    assert len(seen) == 1 and sorted(seen[0]) == [1, 2, 3, 4]


def test_each_caller_raises_only_its_own_error() -> None:
    coalescer = Coalescer(doubled, max_items=3, wait_s=30.0)
    out = run_together(coalescer, [1, -1, 3])
    assert out[0] == 2 and out[2] == 6
    assert isinstance(out[1], ValueError) and str(out[1]) == "no -1"


def test_an_error_of_the_whole_batch_reaches_every_caller() -> None:
    def broken(items: Sequence[int]) -> list[int | BaseException]:
        raise ValueError("batch failed")

    out = run_together(Coalescer(broken, max_items=2, wait_s=30.0), [1, 2])
    assert [str(e) for e in out] == ["batch failed", "batch failed"]


def test_batches_never_exceed_their_bound_and_every_call_is_answered() -> None:
    sizes: list[int] = []

    def run(items: Sequence[int]) -> list[int | BaseException]:
        sizes.append(len(items))
        return doubled(items)

    coalescer = Coalescer(run, max_items=3, wait_s=0.01)
    assert run_together(coalescer, list(range(10))) == [2 * i for i in range(10)]
    assert max(sizes) <= 3 and sum(sizes) == 10


def test_a_lone_call_runs_without_waiting_for_company() -> None:
    coalescer = Coalescer(doubled, max_items=8, wait_s=0.0)
    assert coalescer.submit("k", 21) == 42
    with pytest.raises(ValueError, match="no -2"):
        coalescer.submit("k", -2)
    assert coalescer.batches == 2


def test_keys_are_batched_apart() -> None:
    seen: list[list[int]] = []

    def run(items: Sequence[int]) -> list[int | BaseException]:
        seen.append(sorted(items))
        return doubled(items)

    coalescer = Coalescer(run, max_items=2, wait_s=30.0)
    start = threading.Barrier(4)

    def call(key_item: tuple[str, int]) -> int:
        start.wait()
        return coalescer.submit(*key_item)

    with ThreadPoolExecutor(4) as pool:
        out = list(pool.map(call, [("a", 1), ("b", 10), ("a", 2), ("b", 20)]))
    assert out == [2, 20, 4, 40]
    assert sorted(seen) == [[1, 2], [10, 20]]
