"""A store opened with another embedder than the one its vectors were made by: SQLite
re-embeds them at start, PostgreSQL refuses until `memsvc reembed` (or `build(reembed=True)`).
The hashing embedders stand in for models here (hash-256 and hash-384 even differ in
dimension); tests/integration/test_embedder_backends.py does the same with the real ONNX and
torch backends."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, text

from memsvc import Memory
from memsvc.bootstrap import build
from memsvc.domain import UnavailableError
from memsvc.settings import Settings
from tests import postgres
from tests.conftest import make_settings
from tests.servers import run_cli

MESSAGES = [
    {"role": "user", "content": "I keep my passport in the blue drawer."},
    {"role": "assistant", "content": "Noted: the blue drawer."},
    {"role": "user", "content": "My sister Ana moved to Porto in spring."},
    {"role": "user", "content": "I prefer green tea to coffee."},
]


def _fill(settings: Settings) -> None:
    with Memory(settings) as memory:
        memory.add(MESSAGES[:2], user_id="u", session_id="s1")
        memory.add(MESSAGES[2:], user_id="u", session_id="s2")
        memory.add(MESSAGES[:1], user_id="v", session_id="s1")


def vectors_by_unit(database: Path) -> dict[tuple[str, str, str | None], tuple[str, np.ndarray]]:
    """(granularity, content, user) -> (model, vector) of every stored vector."""
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT u.granularity, u.content, u.user_id, v.model, v.vector "
            "FROM unit_vectors v JOIN memory_units u ON u.seq = v.seq"
        ).fetchall()
    return {(g, c, user): (m, np.frombuffer(blob, np.float32)) for g, c, user, m, blob in rows}


@pytest.mark.sqlite_only
def test_a_store_opened_with_another_embedder_is_reembedded_as_if_written_by_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = make_settings(tmp_path / "store", embedder={"model": "hash-256"})
    _fill(old)
    new = make_settings(tmp_path / "store", embedder={"model": "hash-384"})
    with caplog.at_level(logging.WARNING, logger="memsvc.bootstrap"), Memory(new) as memory:
        hits = memory.search("where is my passport", user_id="u", k=3).hits
    assert "made by hash-256 and the embedder is now hash-384" in caplog.text
    assert hits and "passport" in hits[0].memory.content
    fresh = make_settings(tmp_path / "fresh", embedder={"model": "hash-384"})
    _fill(fresh)
    got = vectors_by_unit(tmp_path / "store" / "memsvc.db")
    want = vectors_by_unit(tmp_path / "fresh" / "memsvc.db")
    assert got.keys() == want.keys() and len(got) > len(MESSAGES)  # sessions and facts too
    for unit, (model, vector) in got.items():
        assert model == "hash-384", unit
        assert np.allclose(vector, want[unit][1], atol=1e-6), unit


@pytest.mark.sqlite_only
def test_a_store_opened_with_its_own_embedder_is_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path, embedder={"model": "hash-256"})
    _fill(settings)
    before = vectors_by_unit(tmp_path / "memsvc.db")
    with caplog.at_level(logging.WARNING, logger="memsvc.bootstrap"), Memory(settings):
        pass
    assert "re-embedding" not in caplog.text
    after = vectors_by_unit(tmp_path / "memsvc.db")
    assert all(np.array_equal(after[k][1], v[1]) for k, v in before.items())


@pytest.mark.sqlite_only
def test_memsvc_reembed_on_the_command_line(tmp_path: Path) -> None:
    _fill(make_settings(tmp_path, embedder={"model": "hash-256"}))
    out = run_cli(tmp_path, "reembed")  # the CLI helper runs hash-64
    assert out.returncode == 0, out.stderr
    assert "every vector is now made by hash-64" in out.stdout
    assert {m for m, _ in vectors_by_unit(tmp_path / "memsvc.db").values()} == {"hash-64"}


@pytest.fixture
def postgres_url(postgres_server: postgres.TestPostgres) -> Iterator[str]:
    name, url = postgres_server.fresh()
    yield url
    postgres_server.drop(name)


@pytest.mark.skipif(not postgres.available(), reason="PostgreSQL unavailable")
def test_a_postgres_store_refuses_another_embedder_until_reembedded(
    tmp_path: Path, postgres_url: str
) -> None:
    _fill(make_settings(tmp_path, database_url=postgres_url, embedder={"model": "hash-256"}))
    new = make_settings(tmp_path, database_url=postgres_url, embedder={"model": "hash-384"})
    with pytest.raises(UnavailableError, match="run `memsvc reembed` once"):
        build(new)
    build(new, reembed=True).close()
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            models = set(conn.scalars(text("SELECT DISTINCT model FROM unit_vectors")))
    finally:
        engine.dispose()
    assert models == {"hash-384"}
    with Memory(new) as memory:  # now it starts as usual
        assert memory.search("passport", user_id="u", k=1).hits
