"""The recorder behind `search(..., profile=True)`: stages named by path, times and statements
kept per stage, and every span still passed on to the probe it wraps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from memsvc.domain.probe import Recorder, count_statement


class Spans:
    """A probe that remembers the names of the spans it saw."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def span(self, name: str, **attributes: str | int | float) -> AbstractContextManager[None]:
        return self._span(name)

    @contextmanager
    def _span(self, name: str) -> Iterator[None]:
        self.names.append(name)
        yield


def test_stages_nest_by_path_and_repeat_into_one_step() -> None:
    inner = Spans()
    recorder = Recorder(inner)
    with recorder.span("search"):
        with recorder.span("retriever.turn"), recorder.span("search.dense"):
            count_statement()
        for _ in range(2):
            with recorder.span("retriever.neighbour"), recorder.span("search.directory"):
                count_statement()
        count_statement()
    steps = {s.name: s for s in recorder.steps()}
    assert list(steps) == [
        "search",
        "turn",
        "turn/dense",
        "neighbour",
        "neighbour/directory",
    ]
    assert steps["neighbour/directory"].calls == 2 and steps["neighbour"].statements == 2
    assert steps["turn/dense"].statements == 1 and steps["turn"].statements == 1
    assert steps["search"].statements == 4  # a statement counts in every open stage
    assert steps["search"].ms >= steps["turn"].ms >= steps["turn/dense"].ms >= 0
    assert inner.names.count("search.directory") == 2 and inner.names[0] == "search"


def test_statements_outside_a_recorded_operation_count_nowhere() -> None:
    recorder = Recorder(Spans())
    count_statement()  # no operation recorded in this context
    with recorder.span("search"):
        pass
    count_statement()  # after it ended
    assert [s.statements for s in recorder.steps()] == [0]
