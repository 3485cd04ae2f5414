"""The observation port: services say where a stage of work begins and ends, and whoever
listens (Prometheus histograms, OpenTelemetry spans) measures it. The default hears nothing."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
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
