"""`GET /metrics`: the container's Prometheus registry in the text exposition format."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Request counts and latency per route, add/search and per-retriever latency, ingest and
    embedding totals, job durations and outcomes, queue depth, database size."""
    telemetry = request.app.state.container.telemetry
    if telemetry is None:
        return Response("metrics are not configured in this service\n", status_code=404)
    return Response(generate_latest(telemetry.registry), media_type=CONTENT_TYPE_LATEST)
