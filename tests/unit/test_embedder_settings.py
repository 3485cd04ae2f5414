"""MEMSVC_EMBEDDER_BACKEND: parsing, and what "auto" resolves to for a new or an existing store."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from memsvc.settings import BUNDLED_MODEL, DEFAULT_BACKEND, EmbedderSettings, Settings


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize("backend", ["auto", "torch", "onnx", "onnx-int8"])
def test_backend_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    monkeypatch.setenv("MEMSVC_EMBEDDER_BACKEND", backend)
    assert _settings().embedder.backend == backend


def test_an_unknown_backend_is_refused_naming_the_setting_and_the_choices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEMSVC_EMBEDDER_BACKEND", "tensorrt")
    with pytest.raises(ValidationError) as caught:
        _settings()
    message = str(caught.value)
    assert "embedder.backend" in message
    assert all(choice in message for choice in ("'auto'", "'torch'", "'onnx'", "'onnx-int8'"))


def test_auto_gives_a_new_store_of_the_bundled_model_the_default_backend() -> None:
    assert EmbedderSettings().resolved(None).backend == DEFAULT_BACKEND


def test_auto_gives_a_new_store_of_another_model_torch() -> None:
    # The ONNX backends' recall was measured on the bundled model only.
    assert EmbedderSettings(model="/models/other").resolved(None).backend == "torch"


@pytest.mark.parametrize(
    ("recorded", "backend"),
    [
        (f"{BUNDLED_MODEL}+onnx", "onnx"),
        (f"{BUNDLED_MODEL}+onnx-int8", "onnx-int8"),
        (BUNDLED_MODEL, "torch"),  # torch vectors carry the model's name alone
        ("hash-384", DEFAULT_BACKEND),  # another model's vectors: as for a new store
    ],
)
def test_auto_keeps_the_backend_of_the_stores_vectors(recorded: str, backend: str) -> None:
    assert EmbedderSettings().resolved(recorded).backend == backend


def test_an_explicit_backend_wins_over_the_stores() -> None:
    settings = EmbedderSettings(backend="torch")
    assert settings.resolved(f"{BUNDLED_MODEL}+onnx-int8").backend == "torch"


def test_the_embedder_name_carries_the_backend_unless_torch() -> None:
    assert EmbedderSettings(backend="torch").embedder_name() == BUNDLED_MODEL
    assert EmbedderSettings(backend="onnx").embedder_name() == f"{BUNDLED_MODEL}+onnx"
    assert EmbedderSettings(model="hash-64", backend="onnx").embedder_name() == "hash-64"
    recorded = f"{BUNDLED_MODEL}+onnx"
    assert EmbedderSettings().embedder_name(recorded) == recorded


def test_onnx_exports_fall_back_to_the_data_dir(tmp_path: Path) -> None:
    settings = _settings(data_dir=tmp_path)
    assert settings.embedder_for(None).export_dir == str(tmp_path / "models")
    chosen = _settings(data_dir=tmp_path, embedder={"export_dir": "/srv/exports"})
    assert chosen.embedder_for(None).export_dir == "/srv/exports"
