"""The scrub after a purge removes the last bytes of deleted rows from the SQLite files.

`secure_delete` zeroes a deleted row where it lies, but when SQLite rebalances a page it
copies the cells it keeps and leaves their old bytes in the page's unused gap: a row that
was moved and deleted later can still be read in the file. Such a file is built here by
churning a table (seeded inserts, replacements and deletes of rows, some holding a marker)
until deleting the marker's rows leaves it behind, which is checked first; then the scrub
(the database's after a purge, the embedding cache's `delete`) must leave nothing."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

from memsvc.stores.engine import make_engine
from memsvc.stores.maintenance import mark_pending, scrub_files, scrub_pending
from memsvc.stores.migrate import upgrade
from sqlalchemy.orm import Session

from memsvc.embedding import EmbeddingCache

MARKER = b"zqxresiduequinth"
SEEDS = 300  # churns tried before giving up on building the case


def churn(conn: Any, table: str, seed: int) -> list[str]:
    """Seeded writes to `table` (key TEXT PRIMARY KEY, vector BLOB) in one transaction;
    returns the keys of the rows that hold the marker at the end."""
    rnd = random.Random(seed)

    def blob() -> bytes:
        body = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(50, 900)))
        return body + MARKER if rnd.random() < 0.3 else body

    conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, vector BLOB)")
    conn.execute("BEGIN")
    for _ in range(500):
        key = f"k{rnd.randrange(240)}"
        if rnd.random() < 0.8:
            conn.execute(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", (key, blob()))
        else:
            conn.execute(f"DELETE FROM {table} WHERE key = ?", (key,))
    conn.execute("COMMIT")
    rows = conn.execute(f"SELECT key, vector FROM {table}").fetchall()
    return [key for key, vector in rows if MARKER in vector]


def residue_after_plain_delete(conn: Any, table: str, keys: list[str]) -> bool:
    conn.executemany(f"DELETE FROM {table} WHERE key = ?", [(k,) for k in keys])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return bool(files_holding(Path(conn.execute("PRAGMA database_list").fetchone()[2]).parent))


def files_holding(folder: Path, needle: bytes = MARKER) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes())


def test_rows_left_in_page_gaps_are_gone_after_the_scrub(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'memsvc.db'}"
    engine = make_engine(url, immediate=True)  # secure_delete is on
    upgrade(engine)
    raw = engine.raw_connection()
    try:
        for seed in range(SEEDS):
            keys = churn(raw, f"scratch{seed}", seed)
            if residue_after_plain_delete(raw, f"scratch{seed}", keys):
                break
        # secure_delete alone left the marker in the file: the case the scrub is for.
        assert files_holding(tmp_path) == ["memsvc.db"], "could not build the case"
    finally:
        raw.close()
    with Session(engine) as session, session.begin():
        mark_pending(session)

    assert scrub_files(engine)

    assert files_holding(tmp_path) == []
    assert not scrub_pending(engine)
    engine.dispose()


def test_a_dropped_cache_entry_leaves_nothing_in_the_cache_file(tmp_path: Path) -> None:
    for seed in range(SEEDS):  # the same churn, dropped plainly, leaves the marker behind
        twin = tmp_path / f"twin{seed}" / "cache.db"
        twin.parent.mkdir()
        conn = sqlite3.connect(twin, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("PRAGMA synchronous=OFF")  # speed only: pages are laid out alike
        keys = churn(conn, "vectors", seed)
        left = residue_after_plain_delete(conn, "vectors", keys)
        conn.close()
        if left:
            break
    assert left, "could not build the case"
    cache = EmbeddingCache(tmp_path / "cache" / "embedding-cache.db")
    keys = churn(cache._conn, "vectors", seed)

    cache.delete(keys)
    cache.close()

    assert files_holding(tmp_path / "cache") == []
