"""The default embedder: all-MiniLM-L6-v2 from the installed package, offline."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from memsvc import Memory
from memsvc.embedding import SentenceTransformerEmbedder
from memsvc.settings import Settings


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def test_minilm_loads_offline_and_normalises(minilm: SentenceTransformerEmbedder) -> None:
    vectors = minilm.embed_batch(["a cat sat on the mat", "a kitten on a rug", "tax law"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_default_memory_finds_a_paraphrase(
    tmp_path: Path, minilm: SentenceTransformerEmbedder
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    with Memory(settings, embedder=minilm) as memory:
        memory.add(
            [
                {"role": "user", "content": "My sister Ana moved to Porto in spring."},
                {"role": "user", "content": "I had pasta for lunch today."},
            ],
            user_id="u",
        )
        hits = memory.search("Which city does my sibling live in?", user_id="u", k=1).hits
    assert hits[0].memory.content.startswith("My sister Ana")
    assert "turn.dense" in {v.retriever for v in hits[0].retrievers}


def test_concurrent_calls_share_the_model_and_each_gets_its_own_vectors(
    minilm: SentenceTransformerEmbedder,
) -> None:
    calls = [[f"note {i}: the meeting moved to room {i}", "ok"][: 1 + i % 2] for i in range(12)]
    alone = [minilm.embed_batch(texts) for texts in calls]
    start = threading.Barrier(len(calls))

    def call(texts: list[str]) -> np.ndarray:
        start.wait()
        return minilm.embed_batch(texts)

    with ThreadPoolExecutor(len(calls)) as pool:
        shared = list(pool.map(call, calls))
    for mine, solo in zip(shared, alone, strict=True):
        assert mine.shape == solo.shape
        assert np.allclose(mine, solo, atol=1e-5)  # padding within a shared batch changes nothing
