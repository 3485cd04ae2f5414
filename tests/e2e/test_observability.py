"""What operators see: Prometheus metrics that move with traffic, OpenTelemetry spans of add
and search (one per retriever), one JSON log line per request without content or keys, and
readable operationIds in the OpenAPI schema."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from memsvc.api.app import create_app
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from memsvc import domain as d
from memsvc.bootstrap import Container, build
from memsvc.domain.auth import NewKey
from memsvc.logs import ACCESS, JsonFormatter
from tests.conftest import make_settings
from tests.servers import app_server

SECRET = "Ana keeps her spare key under the blue flowerpot"
MESSAGES = [{"content": SECRET}, {"role": "assistant", "content": "Noted, the blue flowerpot"}]


def scrape(api: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Container]:
    # Jobs wait in the queue until the test runs them, so the queue depth can be seen.
    container = build(make_settings(tmp_path, jobs={"run_in_process": False}))
    yield container
    container.close()


@pytest.fixture
def api(box: Container) -> Iterator[httpx.Client]:
    with app_server(create_app(container=box)) as url, httpx.Client(base_url=url) as client:
        yield client


def test_metrics_move_with_traffic(api: httpx.Client, box: Container) -> None:
    before = scrape(api)
    assert value(before, "memsvc_ingested_turns_total") == 0
    added = api.post("/v1/memories", json={"user_id": "u1", "messages": MESSAGES})
    assert added.status_code == 201
    for _ in range(3):
        api.post("/v1/memories/search", json={"user_id": "u1", "query": "where is the key?"})
    api.get("/v1/memories/does-not-exist")
    api.post("/v1/jobs", json={"kind": "compress", "user_id": "u1"})
    queued = scrape(api)
    assert value(queued, "memsvc_job_queue_depth", kind="compress") == 1
    assert box.runner.run_pending() == 1
    after = scrape(api)

    post = {"method": "POST", "route": "/v1/memories/search"}
    assert value(after, "memsvc_http_requests_total", **post, status="200") == 3
    assert value(after, "memsvc_http_request_duration_seconds_count", **post) == 3
    assert value(after, "memsvc_http_request_duration_seconds_sum", **post) > 0
    # the template, not the id asked for
    missing = {"method": "GET", "route": "/v1/memories/{memory_id}", "status": "404"}
    assert value(after, "memsvc_http_requests_total", **missing) == 1
    assert value(after, "memsvc_operation_duration_seconds_count", operation="search") == 3
    assert value(after, "memsvc_operation_duration_seconds_count", operation="add") == 1
    for retriever in ("embed", "turn"):
        assert (
            value(after, "memsvc_search_retriever_duration_seconds_count", retriever=retriever) == 3
        )
    for stage in ("route", "fuse", "load"):
        assert value(after, "memsvc_search_stage_duration_seconds_count", stage=stage) == 3
    assert value(after, "memsvc_ingested_turns_total") == 2
    assert value(after, "memsvc_embedded_texts_total") > value(
        before, "memsvc_embedded_texts_total"
    )
    assert value(after, "memsvc_embedding_seconds_total") > 0
    done = {"kind": "compress", "outcome": "succeeded"}
    assert value(after, "memsvc_job_duration_seconds_count", **done) == 1
    assert value(after, "memsvc_job_queue_depth", kind="compress") == 0
    assert value(after, "memsvc_database_size_bytes") > 0


def test_tracing_spans_add_search_and_each_retriever(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = make_settings(tmp_path, telemetry={"tracing": True})
    box = build(settings, tracer_provider=provider)
    try:
        with app_server(create_app(container=box)) as url, httpx.Client(base_url=url) as api:
            api.post("/v1/memories", json={"user_id": "u1", "messages": MESSAGES})
            api.post("/v1/memories/search", json={"user_id": "u1", "query": "where is the key?"})
    finally:
        box.close()
    spans = exporter.get_finished_spans()
    names = [s.name for s in spans]
    assert names.count("memsvc.add") == 1 and names.count("memsvc.search") == 1
    search = next(s for s in spans if s.name == "memsvc.search")
    retrievers = [s for s in spans if s.name.startswith("memsvc.retriever.")]
    assert {"memsvc.retriever.embed", "memsvc.retriever.turn"} <= {s.name for s in retrievers}
    assert all(
        s.parent is not None and s.parent.span_id == search.context.span_id for s in retrievers
    )
    assert all(SECRET not in str(dict(s.attributes or {})) for s in spans)


def test_tracing_is_off_by_default(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    box = build(make_settings(tmp_path), tracer_provider=provider)
    try:
        box.service.search(_query(box))
    finally:
        box.close()
    assert exporter.get_finished_spans() == ()


def _query(box: Container) -> d.SearchQuery:
    return d.SearchQuery(scope=d.Scope(box.settings.default_tenant, "u1"), text="anything")


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(ACCESS)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_one_json_log_line_per_request_without_content_or_key(
    box: Container, access_log: io.StringIO
) -> None:
    _, key = box.keys.create(NewKey("acme", name="logs"))
    headers = {"Authorization": f"Bearer {key}", "X-Request-ID": "req-42"}
    with app_server(create_app(container=box)) as url, httpx.Client(base_url=url) as api:
        added = api.post(
            "/v1/memories", json={"user_id": "u1", "messages": MESSAGES}, headers=headers
        )
        assert added.headers["x-request-id"] == "req-42"
        searched = api.post(
            "/v1/memories/search",
            json={"user_id": "u1", "query": SECRET},
            headers={"Authorization": f"Bearer {key}"},
        )
        refused = api.get("/v1/memories", headers={"Authorization": "Bearer wrong-key"})
    lines = [json.loads(line) for line in access_log.getvalue().splitlines()]
    requests = [line for line in lines if line["route"] != "/healthz"]
    assert [(r["method"], r["route"], r["status"]) for r in requests] == [
        ("POST", "/v1/memories", 201),
        ("POST", "/v1/memories/search", 200),
        ("GET", "/v1/memories", 401),
    ]
    assert [r["tenant"] for r in requests] == ["acme", "acme", None]
    assert requests[0]["request_id"] == "req-42"
    assert requests[1]["request_id"] == searched.headers["x-request-id"] != "req-42"
    assert refused.status_code == 401
    assert all(r["duration_ms"] >= 0 and r["level"] == "info" for r in requests)
    text = access_log.getvalue()
    for secret in (SECRET, "flowerpot", key, "wrong-key", "u1"):
        assert secret not in text


def test_operation_ids_are_the_route_names() -> None:
    schema = create_app(make_settings(Path("/nonexistent"))).openapi()
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert {
        "add",
        "search",
        "list_memories",
        "get",
        "history",
        "provenance",
        "list_jobs",
        "revert_job",
        "list_scopes",
        "job_changes",
    } <= set(ids)
    assert not [i for i in ids if i.endswith(("_get", "_post", "_patch", "_delete"))]
    assert "/metrics" not in schema["paths"] and "/ui" not in schema["paths"]
