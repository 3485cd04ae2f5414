"""Reading import input for the SDK: a file (plain or gzip) or lines in memory, and the parts
an HTTP client sends it in (each under the server's body limit)."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from memsvc.domain import ValidationError

NDJSON = "application/x-ndjson"
LineSource = Callable[[], Iterable[str]]  # opens the input; an import reads it twice
ImportFormat = Literal["memsvc", "mem0"]


def line_source(source: str | os.PathLike[str] | Sequence[str]) -> LineSource:
    """A path (`.gz` is read through gzip) or the lines themselves."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ValidationError(f"no such file: {path}", field="source")
        return lambda: _read(path)
    lines = list(source)
    return lambda: lines


def _read(path: Path) -> Iterator[str]:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as zipped:
            yield from zipped
    else:
        with path.open(encoding="utf-8") as plain:
            yield from plain


def chunks(lines: LineSource, fmt: ImportFormat, limit: int) -> Iterator[bytes]:
    """Request bodies of at most `limit` bytes (a single larger item goes alone), at least
    one: export lines after the header line, which heads every part; or mem0 items as
    `{"results": [...]}`."""
    if fmt == "mem0":
        from memsvc.transfer_handlers import mem0_records

        parts = (json.dumps(r, ensure_ascii=False).encode() for r in mem0_records(lines))
        yield from _packed(parts, b'{"results": [', b",", b"]}", limit)
        return
    it = (line.rstrip("\n").encode() for line in lines() if line.strip())
    header = next(it, None)
    if header is not None:
        yield from _packed(it, header + b"\n", b"\n", b"\n", limit)


def _packed(
    items: Iterable[bytes], head: bytes, sep: bytes, tail: bytes, limit: int
) -> Iterator[bytes]:
    part: list[bytes] = []
    size, sent = len(head) + len(tail), False
    for item in items:
        if part and size + len(sep) + len(item) > limit:
            yield head + sep.join(part) + tail
            part, size, sent = [], len(head) + len(tail), True
        part.append(item)
        size += len(item) + len(sep)
    if part or not sent:  # an empty input is still one request (the server checks the role)
        yield head + sep.join(part) + tail
