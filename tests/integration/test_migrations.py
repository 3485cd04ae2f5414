"""Every Alembic migration runs on SQLite and on PostgreSQL: from an empty database to head,
one revision after another from the previous one, and back down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from memsvc.stores.engine import make_engine
from memsvc.stores.migrate import alembic_config, current_revision, upgrade
from sqlalchemy import Engine, inspect

from tests import postgres

BACKENDS = ["sqlite", "postgres"] if postgres.available() else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    server: postgres.TestPostgres = request.getfixturevalue("postgres_server")
    name, url = server.empty()
    engine = make_engine(url)
    yield engine
    engine.dispose()
    server.drop(name)


def revisions(engine: Engine) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_an_empty_database_migrates_to_head(empty: Engine) -> None:
    head = revisions(empty)[-1]
    assert upgrade(empty) == head
    tables = set(inspect(empty).get_table_names())
    assert {"memory_units", "unit_vectors", "unit_history", "jobs", "api_keys"} <= tables


def test_each_revision_upgrades_from_the_previous_one_and_downgrades_back(empty: Engine) -> None:
    steps = revisions(empty)
    for revision in steps:
        assert upgrade(empty, revision) == revision
    for previous in reversed(["base", *steps[:-1]]):
        downgrade(empty, previous)
        assert current_revision(empty) == (None if previous == "base" else previous)
    assert upgrade(empty) == steps[-1]
