"""Shared fixtures. Logic and store tests use the hashing embedder (deterministic, no model);
tests marked `slow` load the real MiniLM model."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from memsvc import Memory
from memsvc.bootstrap import Container, build
from memsvc.service import MemoryService
from memsvc.settings import Settings
from tests import postgres

FAST_EMBEDDER = "hash-256"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"data_dir": data_dir, "embedder": {"model": FAST_EMBEDDER}}
    values.update(overrides)
    if values.get("database_url") is None:
        values.pop("database_url", None)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


BACKENDS = ("sqlite", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: tests a SQLite-only part (FAISS files, FTS5), not the backend"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that takes `database_url` (through `settings`, `container`, `service`,
    `memory` or a lifecycle store) runs on SQLite and on PostgreSQL, unless marked
    `sqlite_only` (or PostgreSQL is unavailable: the `postgres` extra missing, or
    MEMSVC_TEST_POSTGRES=0)."""
    if "database_url" not in metafunc.fixturenames:
        return
    only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
    backends = ["sqlite"] if only_sqlite or not postgres.available() else list(BACKENDS)
    metafunc.parametrize("database_url", backends, indirect=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.TestPostgres]:
    # Not under pytest's basetemp: another pytest run on the machine prunes old basetemps,
    # and a server's data directory must not vanish under it.
    home = Path(tempfile.mkdtemp(prefix="memsvc-pg-"))
    server = postgres.TestPostgres(home / "data")
    yield server
    server.close()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the SQLite default in the test's directory; else a fresh PostgreSQL database."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield None
        return
    server: postgres.TestPostgres = request.getfixturevalue("postgres_server")
    name, url = server.fresh()
    yield url
    server.drop(name)


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return make_settings(tmp_path, database_url=database_url)


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    box = build(settings)
    yield box
    box.close()


@pytest.fixture
def service(container: Container) -> MemoryService:
    return container.service


@pytest.fixture
def memory(settings: Settings) -> Iterator[Memory]:
    with Memory(settings) as mem:
        yield mem
