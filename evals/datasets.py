"""The public datasets `memsvc eval` reads, where each comes from, and `memsvc eval fetch`,
which downloads one into a cache directory and keeps it only if its sha256 is the one pinned
here (or given with `--sha256`).

The checksums are of the files as their publishers serve them (the downloaded bytes):

- LoCoMo: `data/locomo10.json` of GitHub snap-research/LoCoMo (Maharana et al., ACL 2024),
  2,805,274 bytes. License CC BY-NC 4.0: non-commercial use only.
- LongMemEval (Wu et al., ICLR 2025; code GitHub xiaowu0162/LongMemEval): the cleaned
  release on Hugging Face, xiaowu0162/longmemeval-cleaned. `longmemeval_s_cleaned.json`
  (500 questions, about 50 sessions each; 277,383,467 bytes) and `longmemeval_oracle.json`
  (the same 500 questions with their evidence sessions only; 15,388,478 bytes). License MIT.
  The two checksums are those other projects pin for these files (the oracle's also matches
  the original xiaowu0162/longmemeval release).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    file: str
    url: str
    sha256: str
    size: int
    origin: str
    license: str


DATASETS = {
    d.name: d
    for d in (
        Dataset(
            "locomo",
            "locomo10.json",
            "https://raw.githubusercontent.com/snap-research/LoCoMo/main/data/locomo10.json",
            "79fa87e90f04081343b8c8debecb80a9a6842b76a7aa537dc9fdf651ea698ff4",
            2_805_274,
            "LoCoMo: GitHub snap-research/LoCoMo, data/locomo10.json",
            "CC BY-NC 4.0 (non-commercial use only)",
        ),
        Dataset(
            "longmemeval-s",
            "longmemeval_s_cleaned.json",
            "https://huggingface.co/datasets/xiaowu0162/longmemeval-cleaned/resolve/main/"
            "longmemeval_s_cleaned.json",
            "d6f21ea9d60a0d56f34a05b609c79c88a451d2ae03597821ea3d5a9678c3a442",
            277_383_467,
            "LongMemEval_S (cleaned): Hugging Face xiaowu0162/longmemeval-cleaned "
            "(code: GitHub xiaowu0162/LongMemEval)",
            "MIT",
        ),
        Dataset(
            "longmemeval-oracle",
            "longmemeval_oracle.json",
            "https://huggingface.co/datasets/xiaowu0162/longmemeval-cleaned/resolve/main/"
            "longmemeval_oracle.json",
            "821a2034d219ab45846873dd14c14f12cfe7776e73527a483f9dac095d38620c",
            15_388_478,
            "LongMemEval oracle: Hugging Face xiaowu0162/longmemeval-cleaned "
            "(code: GitHub xiaowu0162/LongMemEval)",
            "MIT",
        ),
    )
}
CHUNK = 1 << 20


class FetchError(Exception):
    """The download failed or its bytes are not the pinned ones; nothing was kept."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def fetch(
    dataset: Dataset,
    cache_dir: Path,
    *,
    url: str | None = None,
    sha256: str | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> tuple[Path, bool]:
    """The dataset's file in `cache_dir`, downloaded unless a copy with the expected sha256
    is there already; (path, downloaded). The bytes go to a temporary file beside the
    target and replace it only when their sha256 matches; otherwise FetchError, and the
    temporary file is removed. `progress(bytes so far, total or None)`."""
    expected = (sha256 or dataset.sha256).strip().lower()
    target = cache_dir / dataset.file
    if target.is_file() and sha256_of(target) == expected:
        return target, False
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{dataset.file}.", suffix=".part", dir=cache_dir)
    os.close(handle)
    part = Path(name)
    try:
        got = _download(url or dataset.url, part, progress)
        if got != expected:
            raise FetchError(
                f"{dataset.name}: the downloaded file's sha256 is {got}, not {expected}; "
                "it was not kept (a changed upstream file, a wrong --url, or a broken "
                "download: check the source, or pass the right --sha256)"
            )
        part.replace(target)
    finally:
        part.unlink(missing_ok=True)
    return target, True


def _download(url: str, part: Path, progress: Callable[[int, int | None], None] | None) -> str:
    digest, done = hashlib.sha256(), 0
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=60.0) as response:
            if response.status_code != 200:
                raise FetchError(f"{url} answered HTTP {response.status_code}; nothing was kept")
            length = response.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
            with part.open("wb") as out:
                for block in response.iter_bytes(CHUNK):
                    out.write(block)
                    digest.update(block)
                    done += len(block)
                    if progress is not None:
                        progress(done, total)
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot download {url}: {exc}; nothing was kept") from exc
    return digest.hexdigest()
