"""After a purge, the database files themselves must forget: SQLite keeps deleted FTS5 terms
in old index segments until they are merged, and committed pages in the WAL file until a
checkpoint. `scrub_files` merges and checkpoints. A purge flags `scrub_pending` in the same
transaction, so a crash before the scrub is finished on the next start."""

from __future__ import annotations

import logging
import time

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
    """Merge the lexical index (dropping deleted entries) and empty the WAL; clear the flag.
    False when readers kept the checkpoint from finishing (the flag stays for a later try)."""
    if not is_sqlite(engine.url.render_as_string()):
        with Session(engine) as session, session.begin():
            flag(session, PENDING, False)
        return True
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO units_fts(units_fts) VALUES ('optimize')"))
    with Session(engine) as session, session.begin():
        flag(session, PENDING, False)
    for attempt in range(ATTEMPTS):
        if _checkpoint(engine):
            return True
        time.sleep(0.05 * (attempt + 1))
    logger.warning("WAL checkpoint kept busy by readers; it runs again at the next purge or start")
    with Session(engine) as session, session.begin():
        flag(session, PENDING, True)
    return False


def _checkpoint(engine: Engine) -> bool:
    """Copy the WAL into the database and truncate it. It must run outside a transaction,
    so on the raw connection (which this engine leaves in autocommit)."""
    raw = engine.raw_connection()
    try:
        busy = raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        raw.close()
    return not busy
