"""The observation port: services say where a stage of work begins and ends, and whoever
listens (Prometheus histograms, OpenTelemetry spans) measures it. The default hears nothing.

`Recorder` listens for one operation whose caller asked for a profile (`search(...,
profile=True)`): it keeps each stage's time and database statements, and passes every span on
to the probe it wraps, so metrics and traces see profiled searches like any other."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from time import perf_counter
from typing import Protocol


class Probe(Protocol):
    def span(self, name: str, **attributes: str | int | float) -> AbstractContextManager[None]:
        """A stage of work named `name` ("add", "search", "retriever.turn", ...). Attributes
        carry counts and names only, never memory content."""
        ...


class NullProbe:
    def span(self, name: str, **attributes: str | int | float) -> AbstractContextManager[None]:
        return nullcontext()


NULL_PROBE = NullProbe()


@dataclass(slots=True)
class Step:
    """One stage of a profiled operation. A stage inside another is named by its path
    ("turn/dense": the dense list of the turn retriever) and is part of its parent's time.
    `statements` counts the database statements the stage sent (BEGIN included); `calls`
    how often it ran."""

    name: str
    ms: float = 0.0
    statements: int = 0
    calls: int = 0


# The recorder of the operation running in this context, which the stores tell of each
# statement they send (a context variable: concurrent searches each count their own).
_RECORDING: ContextVar[Recorder | None] = ContextVar("memsvc_recording", default=None)


def count_statement() -> None:
    """Count one database statement towards the stage open in this context, if a profile is
    being recorded (the engines call this for every statement)."""
    recorder = _RECORDING.get()
    if recorder is not None:
        recorder.statement()


class Recorder:
    """A probe that keeps the time and statements of every stage of one operation. The first
    span is the operation; the names of the spans inside it lose their family prefix
    ("retriever.turn" is "turn") and nest by path."""

    def __init__(self, inner: Probe) -> None:
        self._inner = inner
        self._open: list[Step] = []
        self._steps: dict[str, Step] = {}

    def span(self, name: str, **attributes: str | int | float) -> AbstractContextManager[None]:
        return self._span(name, attributes)

    def steps(self) -> list[Step]:
        """The stages in the order they started, the operation itself first."""
        return list(self._steps.values())

    def statement(self) -> None:
        for step in self._open:  # a statement counts in its stage and the stages around it
            step.statements += 1

    @contextmanager
    def _span(self, name: str, attributes: dict[str, str | int | float]) -> Iterator[None]:
        path = _path(self._open, name)
        step = self._steps.setdefault(path, Step(path))
        step.calls += 1
        token = _RECORDING.set(self) if not self._open else None
        self._open.append(step)
        start = perf_counter()
        try:
            with self._inner.span(name, **attributes):
                yield
        finally:
            step.ms += (perf_counter() - start) * 1000
            self._open.pop()
            if token is not None:
                _RECORDING.reset(token)


def _path(open_steps: list[Step], name: str) -> str:
    """The operation keeps its name; a stage of it drops the family prefix ("retriever.turn"
    is "turn"); a stage inside a stage is named by both ("turn/dense")."""
    if not open_steps:
        return name
    short = name.split(".", 1)[-1]
    return short if len(open_steps) == 1 else f"{open_steps[-1].name}/{short}"
