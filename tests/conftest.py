"""Shared fixtures. Logic and store tests use the hashing embedder (deterministic, no model);
tests marked `slow` load the real MiniLM model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from memsvc import Memory
from memsvc.bootstrap import Container, build
from memsvc.service import MemoryService
from memsvc.settings import Settings

FAST_EMBEDDER = "hash-256"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"data_dir": data_dir, "embedder": {"model": FAST_EMBEDDER}}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


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
