"""Metrics and traces for operators: Prometheus metrics on a registry of our own (scraped at
`GET /metrics`) and, when `telemetry.tracing` is on, OpenTelemetry spans of add, search, each
retriever and the other stages of a search. Both listen through one `Probe`
(memsvc.domain.probe) that the services call; nothing here reads memory content."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from memsvc import __version__
from memsvc.settings import TelemetrySettings

# Seconds: a search or add is milliseconds to a second; jobs run up to minutes.
FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SLOW = (0.01, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


@dataclass
class Sources:
    """What the scrape reads at collection time (cheap queries and counters)."""

    embedded: Callable[[], tuple[int, float]]  # texts embedded by the model, seconds spent
    queue_depth: Callable[[], dict[str, int]]  # queued jobs per kind
    database_bytes: Callable[[], int]


class Telemetry:
    """The `Probe` of a container: times stages into histograms and, with tracing on, opens
    one span per stage."""

    def __init__(self, settings: TelemetrySettings, tracer_provider: Any = None) -> None:
        self.settings = settings
        self.registry = CollectorRegistry()
        self._tracer = _tracer(tracer_provider) if settings.tracing else None
        r = self.registry
        self.requests = Counter(
            "memsvc_http_requests", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.request_seconds = Histogram(
            "memsvc_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=FAST,
            registry=r,
        )
        self.operation_seconds = Histogram(
            "memsvc_operation_duration_seconds",
            "Latency of add and search in the service (any entrypoint)",
            ["operation"],
            buckets=FAST,
            registry=r,
        )
        self.retriever_seconds = Histogram(
            "memsvc_search_retriever_duration_seconds",
            "Time each retriever took within a search",
            ["retriever"],
            buckets=FAST,
            registry=r,
        )
        self.stage_seconds = Histogram(
            "memsvc_search_stage_duration_seconds",
            "Time of the other stages of a search (route, fuse, load, and inside retrievers: "
            "dense, lexical, directory, ...)",
            ["stage"],
            buckets=FAST,
            registry=r,
        )
        self.ingested = Counter("memsvc_ingested_turns", "Turns stored by add", registry=r)
        self.job_seconds = Histogram(
            "memsvc_job_duration_seconds",
            "Job run time by kind and outcome (its count is the number of runs)",
            ["kind", "outcome"],
            buckets=SLOW,
            registry=r,
        )

    def span(self, name: str, **attributes: str | int | float) -> AbstractContextManager[None]:
        return self._span(name, attributes)

    @contextmanager
    def _span(self, name: str, attributes: dict[str, str | int | float]) -> Iterator[None]:
        start = perf_counter()
        with self._trace(name, attributes):
            try:
                yield
            finally:
                self._observe(name, perf_counter() - start)

    def _trace(
        self, name: str, attributes: dict[str, str | int | float]
    ) -> AbstractContextManager[Any]:
        if self._tracer is None:
            return nullcontext()
        return self._tracer.start_as_current_span("memsvc." + name, attributes=attributes)

    def _observe(self, name: str, seconds: float) -> None:
        if name.startswith("retriever."):
            self.retriever_seconds.labels(name.removeprefix("retriever.")).observe(seconds)
        elif name.startswith("search."):
            self.stage_seconds.labels(name.removeprefix("search.")).observe(seconds)
        elif name in ("add", "search"):
            self.operation_seconds.labels(name).observe(seconds)

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.request_seconds.labels(method, route).observe(seconds)

    def turns_stored(self, count: int) -> None:
        self.ingested.inc(count)

    def job_finished(self, kind: str, outcome: str, seconds: float) -> None:
        self.job_seconds.labels(kind, outcome).observe(seconds)

    def watch(self, sources: Sources) -> None:
        """Read these at every scrape: embedding totals, queue depth, database size."""
        self.registry.register(_Gauges(sources))


class _Gauges(Collector):
    def __init__(self, sources: Sources) -> None:
        self._sources = sources

    def collect(self) -> Iterator[Metric]:
        texts, seconds = self._sources.embedded()
        yield CounterMetricFamily(
            "memsvc_embedded_texts", "Texts embedded by the model (cache misses)", value=texts
        )
        yield CounterMetricFamily(
            "memsvc_embedding_seconds", "Time spent in the embedding model", value=seconds
        )
        depth = GaugeMetricFamily("memsvc_job_queue_depth", "Queued jobs", labels=["kind"])
        for kind, count in sorted(self._sources.queue_depth().items()):
            depth.add_metric([kind], count)
        yield depth
        yield GaugeMetricFamily(
            "memsvc_database_size_bytes",
            "Size of the database (SQLite: files with WAL and vector index)",
            value=self._sources.database_bytes(),
        )


def _tracer(provider: Any) -> Any:
    try:
        from opentelemetry import trace
    except ImportError as exc:  # the setting asks for tracing the install cannot do
        raise RuntimeError(
            "telemetry.tracing needs OpenTelemetry: pip install 'memsvc[otel]'"
        ) from exc
    return (provider or trace.get_tracer_provider()).get_tracer("memsvc", __version__)
