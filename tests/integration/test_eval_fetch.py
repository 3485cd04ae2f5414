"""`memsvc eval fetch` against a local HTTP server: a file is kept only when its sha256 is
the expected one, and a failed or mismatched download leaves nothing in the cache."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from memsvc.evals.datasets import DATASETS
from typer.testing import CliRunner

from memsvc.cli.main import app

BODY = b'[{"sample_id": "conv-1", "conversation": {}, "qa": []}]\n'


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[str]:
    served = tmp_path / "served"
    served.mkdir()
    (served / "locomo10.json").write_bytes(BODY)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fetch(cache: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["eval", "fetch", *args, "--cache-dir", str(cache)])
    return result.exit_code, result.stdout, result.stderr


def test_a_download_with_the_expected_checksum_is_kept_and_then_reused(
    mirror: str, tmp_path: Path
) -> None:
    cache, digest = tmp_path / "cache", hashlib.sha256(BODY).hexdigest()
    code, out, err = fetch(cache, "locomo", "--url", f"{mirror}/locomo10.json", "--sha256", digest)
    assert code == 0, err
    assert out.strip() == str(cache / "locomo10.json")
    assert (cache / "locomo10.json").read_bytes() == BODY
    assert "snap-research/LoCoMo" in err and "CC BY-NC 4.0" in err
    code, out, err = fetch(cache, "locomo", "--url", f"{mirror}/gone.json", "--sha256", digest)
    assert code == 0 and "cached" in err  # the checked copy answers; nothing is downloaded


def test_a_checksum_mismatch_is_a_clear_error_and_leaves_nothing(
    mirror: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    code, out, err = fetch(cache, "locomo", "--url", f"{mirror}/locomo10.json")  # pinned sha256
    assert code == 1 and out == ""
    assert hashlib.sha256(BODY).hexdigest() in err and DATASETS["locomo"].sha256 in err
    assert "not kept" in err
    assert list(cache.iterdir()) == []


def test_a_missing_file_bad_names_and_bad_checksums_are_refused(
    mirror: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    code, _, err = fetch(cache, "longmemeval-s", "--url", f"{mirror}/nothing.json")
    assert code == 1 and "HTTP 404" in err
    assert not cache.exists() or list(cache.iterdir()) == []
    code, _, err = fetch(cache, "locomo2")
    assert code == 2 and "longmemeval-oracle" in err
    code, _, err = fetch(cache, "locomo", "--sha256", "abc")
    assert code == 2 and "64 hexadecimal" in err
