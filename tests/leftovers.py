"""Looking for what a purge must have removed: a marker text and its embedding vectors, in
every file under a data directory (read raw), and read-only looks at the database file."""

from __future__ import annotations

import secrets
import sqlite3
import string
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from memsvc.embedding import HashingEmbedder


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


def read_db(db: Path, sql: str, *args: Any) -> list[tuple]:
    """Rows of a query on the database file, read-only: reading neither checkpoints the WAL
    nor changes anything the restart will find."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return conn.execute(sql, args).fetchall()


def assert_clean(folder: Path, needles: dict[str, Needle]) -> None:
    """No needle in any file under `folder`; else fail naming each file and needle found."""
    hits = grep_dir(folder, needles)
    assert not hits, "left behind:\n" + "\n".join(f"  {h.file}: {h.what}" for h in hits)
