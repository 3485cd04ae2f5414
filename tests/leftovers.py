"""Looking for what a purge must have removed: a marker text (and its embedding vector) in
every file under a data directory, and helpers to drive a real `memsvc serve` there."""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from memsvc.embedding import HashingEmbedder

DONE = ("succeeded", "failed", "cancelled")


def new_marker() -> str:
    """A made-up word no text of the tests contains, that no tokenizer splits or stems, and
    whose first letters no other word shares (SQLite FTS5 stores a term after the prefix it
    shares with the term before it, so a shared prefix would hide it from a byte search)."""
    middle = "".join(secrets.choice(string.ascii_lowercase) for _ in range(6))
    return f"Zqx{middle}quinth"


@dataclass(frozen=True, slots=True)
class Needle:
    """Bytes to look for; `fold_case`: in a lower-cased copy of each file (text only)."""

    data: bytes
    fold_case: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    file: str
    what: str
    offset: int


def marker_needles(marker: str) -> dict[str, Needle]:
    """The marker as it may sit on disk: UTF-8 and UTF-16-LE, in any case (the lexical
    index keeps lower-cased terms)."""
    low = marker.lower()
    return {
        "utf-8": Needle(low.encode("utf-8"), fold_case=True),
        "utf-16-le": Needle(low.encode("utf-16-le"), fold_case=True),
    }


MIN_NONZERO = 4


def vector_needles(texts: Iterable[str], dim: int) -> dict[str, Needle]:
    """The float32 bytes the hashing embedder gives each text (what the store and the cache
    hold for it), for texts whose vector can be told apart by its bytes: a vector with fewer
    than MIN_NONZERO non-zero components (a one-word text) is mostly zeros, and its bytes
    would also match another one-word vector that shares its bucket next to zeroed space."""
    out: dict[str, Needle] = {}
    for text in dict.fromkeys(texts):
        vector = HashingEmbedder(dim).embed_batch([text])[0].astype(np.float32)
        if np.count_nonzero(vector) >= MIN_NONZERO:
            out[f"vector of {text!r}"] = Needle(vector.tobytes())
    return out


def grep_dir(folder: Path, needles: dict[str, Needle]) -> list[Hit]:
    """Every needle found in any file under `folder` (read raw), with where it was first."""
    hits: list[Hit] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        folded = data.lower()
        for what, needle in needles.items():
            at = (folded if needle.fold_case else data).find(needle.data)
            if at >= 0:
                hits.append(Hit(str(path.relative_to(folder)), what, at))
    return hits


def wait_job(client: httpx.Client, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll a job until it has finished (or the timeout passed); returns its last state."""
    deadline = time.monotonic() + timeout
    job = client.get(f"/v1/jobs/{job_id}").json()
    while job["status"] not in DONE and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.get(f"/v1/jobs/{job_id}").json()
    return job


def run_job(client: httpx.Client, kind: str, user_id: str, **params: Any) -> dict[str, Any]:
    response = client.post("/v1/jobs", json={"kind": kind, "user_id": user_id, "params": params})
    assert response.status_code == 201, response.text
    job = wait_job(client, response.json()["id"])
    assert job["status"] == "succeeded", job
    return job
