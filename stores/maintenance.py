"""After a purge, the database files themselves must forget: SQLite keeps deleted FTS5 terms
in old index segments until they are merged, stale copies of moved rows in the unused space
of its pages until the file is rewritten, and committed pages in the WAL file until a
checkpoint. `scrub_files` merges, rewrites (VACUUM) and checkpoints. A purge flags
`scrub_pending` in the same transaction and only a finished scrub clears it, so a crash
before or during the scrub is finished on the next start."""

from __future__ import annotations

import logging
import time
from typing import Any

from memsvc.stores.engine import is_sqlite
from memsvc.stores.meta import flag, is_flagged
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)
PENDING = "scrub_pending"
ATTEMPTS = 20


def mark_pending(session: Session) -> None:
    """Inside a purge's transaction: the files still hold what it removed."""
    flag(session, PENDING, True)


def scrub_pending(engine: Engine) -> bool:
    return is_flagged(engine, PENDING)


def scrub_files(engine: Engine) -> bool:
    """Merge the lexical index (dropping deleted entries), rewrite the database file and
    empty the WAL; then clear the flag. False when readers kept the checkpoint from finishing
    (the flag stays, for the next purge or start to try again).

    The rewrite (VACUUM) is what removes the last copies: `secure_delete` zeroes a deleted
    row, but when SQLite rebalances a page it leaves the old bytes of the cells it moved in
    the page's unused gap, so a row moved once and deleted later can still be read there.
    PostgreSQL keeps no side files: only the flag is cleared."""
    if not is_sqlite(engine.url.render_as_string()):
        _clear(engine)
        return True
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO units_fts(units_fts) VALUES ('optimize')"))
    _raw(engine, "VACUUM")
    if not _checkpoint(engine):
        logger.warning(
            "WAL checkpoint kept busy by readers; it runs again at the next purge or start"
        )
        return False
    _clear(engine)  # the flag's own page is all the WAL holds from here on
    return True


def _clear(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        flag(session, PENDING, False)


def _checkpoint(engine: Engine) -> bool:
    """Copy the WAL into the database and truncate it, retrying while readers hold it."""
    for attempt in range(ATTEMPTS):
        if not _raw(engine, "PRAGMA wal_checkpoint(TRUNCATE)")[0]:
            return True
        time.sleep(0.05 * (attempt + 1))
    return False


def _raw(engine: Engine, statement: str) -> tuple[Any, ...]:
    """Run a statement that must run outside a transaction on a raw connection (which this
    engine leaves in autocommit); returns its first row, if any."""
    raw = engine.raw_connection()
    try:
        row = raw.cursor().execute(statement).fetchone()
    finally:
        raw.close()
    return tuple(row or ())
