"""Liveness and readiness probes (no key needed: load balancers call them)."""

from __future__ import annotations

from fastapi import APIRouter
from memsvc.api.deps import ServiceDep

router = APIRouter(tags=["ops"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(svc: ServiceDep) -> dict[str, str]:
    """Readiness: the database answers and its schema is at the code's revision (else 503)."""
    return svc.readiness()
