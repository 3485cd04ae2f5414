"""SQL is the source of truth: the FAISS files heal from it after a crash or a rival writer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from memsvc.bootstrap import build
from memsvc.domain import AddCommand, Message, Scope, SearchQuery
from memsvc.settings import Settings

pytestmark = pytest.mark.sqlite_only  # the FAISS files (PostgreSQL keeps vectors in pgvector)


def add_and_find(settings: Settings, text: str, session: str) -> None:
    box = build(settings)
    box.service.add(AddCommand(Scope("t", "u", None, session), [Message("user", text)]))
    box.close()


def dense_hit_contents(settings: Settings, text: str) -> list[str]:
    box = build(settings)
    try:
        hits = box.service.search(SearchQuery(Scope("t", "u"), text, k=10)).hits
        return [
            h.unit.content for h in hits if any(v.retriever == "turn.dense" for v in h.retrievers)
        ]
    finally:
        box.close()


def test_index_rebuilds_when_its_files_are_missing(settings: Settings) -> None:
    add_and_find(settings, "the red bicycle is in the garage", "s1")
    shutil.rmtree(Path(settings.data_dir) / "memsvc.db.faiss")
    assert "the red bicycle is in the garage" in dense_hit_contents(settings, "red bicycle garage")


def test_index_catches_up_when_files_are_older_than_sql(settings: Settings) -> None:
    add_and_find(settings, "first memory about apples", "s1")
    faiss_dir = Path(settings.data_dir) / "memsvc.db.faiss"
    snapshot = Path(settings.data_dir) / "old-index"
    shutil.copytree(faiss_dir, snapshot)
    add_and_find(settings, "second memory about oranges", "s2")
    # Simulate a crash after the SQL commit but before the index was written.
    shutil.rmtree(faiss_dir)
    shutil.copytree(snapshot, faiss_dir)
    found = dense_hit_contents(settings, "memory about oranges")
    assert "second memory about oranges" in found
    assert "first memory about apples" in found


def test_a_second_process_sees_writes_of_the_first(settings: Settings) -> None:
    reader = build(settings)
    writer = build(settings)
    try:
        reader.service.search(SearchQuery(Scope("t", "u"), "warm up the partition"))
        writer.service.add(AddCommand(Scope("t", "u", None, "s"), [Message("user", "blue whale")]))
        hits = reader.service.search(SearchQuery(Scope("t", "u"), "blue whale")).hits
        assert [h.unit.content for h in hits if h.unit.granularity == "turn"] == ["blue whale"]
        assert any(v.retriever == "turn.dense" for v in hits[0].retrievers)
    finally:
        writer.close()
        reader.close()


def test_index_of_another_database_is_discarded(settings: Settings, tmp_path: Path) -> None:
    add_and_find(settings, "original database text", "s1")
    (Path(settings.data_dir) / "memsvc.db").unlink()
    add_and_find(settings, "replacement database text", "s1")
    found = dense_hit_contents(settings, "database text")
    assert found == ["replacement database text"]


def test_a_rebuild_writes_every_file_from_sql_and_drops_files_sql_does_not_know(
    settings: Settings,
) -> None:
    add_and_find(settings, "the green kayak is in the shed", "s1")
    faiss_dir = Path(settings.data_dir) / "memsvc.db.faiss"
    stray = faiss_dir / ("0" * 32 + ".faiss")
    shutil.copy(next(faiss_dir.glob("*.faiss")), stray)  # a partition SQL does not have
    box = build(settings)
    try:
        assert box.index.rebuild() > 0
    finally:
        box.close()
    assert not stray.exists()
    assert "the green kayak is in the shed" in dense_hit_contents(settings, "green kayak shed")
