"""SQLite's planner statistics follow the store's growth, so primary-key lookups stay
lookups however many units the tenant holds (a real SQLite file)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import memsvc.stores.statistics as statistics
import pytest

from memsvc import Memory
from memsvc.settings import Settings

pytestmark = pytest.mark.sqlite_only  # SQLite's own statistics (PostgreSQL's autovacuum analyses)


def _plan(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "EXPLAIN QUERY PLAN SELECT content FROM memory_units "
            "WHERE tenant_id = 'default' AND seq IN (1, 2, 3)"
        ).fetchall()
    return " ".join(str(r[-1]) for r in rows)


def _stats(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "sqlite_stat1" not in names:
            return 0
        query = "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'memory_units'"
        return int(conn.execute(query).fetchone()[0])


def _add(memory: Memory, session: str, n: int) -> None:
    messages = [
        {"role": "user", "content": f"note {session} {i} about topic {i % 7}"} for i in range(n)
    ]
    memory.add(messages, user_id="u", session_id=session)


def test_statistics_refresh_as_the_store_grows(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statistics, "MIN_ROWS", 40)
    db = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    with Memory(settings) as memory:
        _add(memory, "s1", 20)  # below the floor: no statistics yet
        assert _stats(db) == 0
        _add(memory, "s2", 30)  # 50 units written since start-up: refreshed
        assert _stats(db) > 0
        assert "PRIMARY KEY" in _plan(db)
        hits = memory.search("topic 3", user_id="u", k=5).hits
        assert hits and all(h.memory.user_id == "u" for h in hits)


def test_statistics_are_refreshed_at_start_up(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statistics, "MIN_ROWS", 1_000_000)  # never while writing
    db = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    with Memory(settings) as memory:
        _add(memory, "s1", 60)
    assert _stats(db) == 0
    monkeypatch.setattr(statistics, "MIN_ROWS", 40)
    with Memory(settings):
        assert _stats(db) > 0


def test_a_users_time_window_is_read_through_the_user_index(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sampled statistics rate a two-sided date range as very selective; without an index
    that starts with the user, SQLite walked every user's units in the window."""
    monkeypatch.setattr(statistics, "MIN_ROWS", 40)
    db = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    with Memory(settings) as memory:
        _add(memory, "s1", 60)
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "EXPLAIN QUERY PLAN SELECT seq FROM memory_units WHERE tenant_id = 'default' "
            "AND user_id = 'u' AND granularity IN ('turn') AND status IN ('active') "
            "AND occurred_at >= '2024-01-01' AND occurred_at < '2024-02-01'"
        ).fetchall()
    assert "ix_units_user_occurred" in " ".join(str(r[-1]) for r in rows)
