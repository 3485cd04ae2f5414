"""Engines: SQLite in WAL mode (the embedded default) or PostgreSQL, chosen by URL."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from memsvc.domain.probe import count_statement

logger = logging.getLogger(__name__)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def strict_json(value: Any) -> str:
    """JSON as every store can read it back: NaN and Infinity are refused (they are not JSON,
    and SQLite's JSON functions fail on them), so a bad value fails its own write instead of
    poisoning every later read of the scope."""
    return json.dumps(value, allow_nan=False)


@dataclass(frozen=True, slots=True)
class PoolOptions:
    """Connections per engine (`MEMSVC_POOL_*`): kept open, extra under load, and how long a
    request waits for one before it fails as unavailable."""

    size: int = 8
    max_overflow: int = 16
    timeout_s: float = 30.0


@dataclass(frozen=True, slots=True)
class HnswOptions:
    """pgvector's HNSW build and search parameters (`MEMSVC_POSTGRES_*`)."""

    exact_below: int = 20_000  # scopes up to this many vectors are searched exactly
    m: int = 16
    ef_construction: int = 64
    ef_search: int = 100  # at least k (a search asks for up to `retrieval.candidates`)
    max_scan_tuples: int = 40_000  # how far an iterative scan may walk for a filtered scope


def make_engine(url: str, *, immediate: bool = False, pool: PoolOptions | None = None) -> Engine:
    """Create an engine. For SQLite, `immediate=True` makes every transaction take the write
    lock at BEGIN, so concurrent writers queue on busy_timeout instead of failing on upgrade.
    A `postgresql+pgserver:///DIR` URL starts (or joins) the bundled PostgreSQL in DIR."""
    pool = pool or PoolOptions()
    if not is_sqlite(url):
        from memsvc.stores.pgserver import resolve  # the `postgres` extra

        return _counted(
            create_engine(
                resolve(url),
                pool_pre_ping=True,  # a connection dropped by a restart is replaced, not used
                pool_size=pool.size,
                max_overflow=pool.max_overflow,
                pool_timeout=pool.timeout_s,
                json_serializer=strict_json,
            )
        )
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.timeout_s,
        json_serializer=strict_json,
    )
    _configure_sqlite(engine, immediate)
    return _counted(engine)


def _counted(engine: Engine) -> Engine:
    """Tell a search's profile (if one is being recorded) of every statement sent."""

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(*_args: Any) -> None:
        count_statement()

    return engine


def _configure_sqlite(engine: Engine, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a committed transaction survives a process crash (kill -9);
        # only an OS crash or power loss may lose the last commits.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        # Deleted rows are overwritten with zeros, not left in free pages: a purged text must
        # not survive in the database file.
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
