"""Readiness: the database answers and its schema is at the revision the code expects."""

from __future__ import annotations

from memsvc.stores.migrate import current_revision, head_revision
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from memsvc.domain import UnavailableError


def readiness(engine: Engine) -> dict[str, str]:
    """{"status": "ready", "schema": revision}, or UnavailableError saying why not."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current, head = current_revision(engine), head_revision(engine)
    except SQLAlchemyError as exc:
        raise UnavailableError(f"database not ready: {exc}") from exc
    if current != head:
        raise UnavailableError(f"schema at revision {current}, code expects {head}")
    return {"status": "ready", "schema": str(current)}
