"""Operator gauges read at scrape time: jobs waiting in the queue and the database's size.
They span all tenants (an operator's view; no tenant's data is in them)."""

from __future__ import annotations

from pathlib import Path

from memsvc.stores.tables import JobRow
from sqlalchemy import Engine, func, select, text


def queue_depth(engine: Engine) -> dict[str, int]:
    """Queued jobs per kind."""
    stmt = select(JobRow.kind, func.count()).where(JobRow.status == "queued").group_by(JobRow.kind)
    with engine.connect() as conn:
        return {str(kind): int(n) for kind, n in conn.execute(stmt)}


def database_bytes(engine: Engine, index_dir: Path | None) -> int:
    """Bytes on disk: a SQLite file with its WAL and the FAISS files beside it, or what
    PostgreSQL reports for the database."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return int(conn.scalar(text("SELECT pg_database_size(current_database())")) or 0)
    database = engine.url.database
    if not database or database == ":memory:":
        return 0
    main = Path(database)
    files = [main, main.with_name(main.name + "-wal"), main.with_name(main.name + "-shm")]
    if index_dir is not None and index_dir.is_dir():
        files.extend(p for p in index_dir.rglob("*") if p.is_file())
    return sum(p.stat().st_size for p in files if p.is_file())
