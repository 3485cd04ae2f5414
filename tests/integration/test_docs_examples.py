"""Every python example of docs/*.md, and those of README.md no other test runs, runs as
written: in a temporary working directory (relative data dirs land there), with the default
data dir there too and the hashing embedder. The blocks of one file run in order in one
namespace, as a reader would type them.

A block right after `<!-- docs-test: skip REASON -->` is not run (it needs a server or the
network; keep these few). README blocks marked `<!-- readme-test: NAME -->` are run, with
their output checked, by their own tests (tests/e2e/test_readme_integrations.py,
tests/integration/test_readme_procedures.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(r"(?:<!-- (?P<mark>[^>]*?) -->\n)?```python\n(?P<code>.*?)```", re.S)
MOST_SKIPPED = 3


def examples(path: Path) -> list[str]:
    return [
        m.group("code")
        for m in BLOCK.finditer(path.read_text())
        if not (m.group("mark") or "").startswith(("docs-test: skip", "readme-test:"))
    ]


@pytest.mark.parametrize(
    "path", [p for p in FILES if examples(p)], ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_the_python_examples_run_as_written(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEMSVC_DATA_DIR", str(tmp_path / "default-data-dir"))
    monkeypatch.setenv("MEMSVC_EMBEDDER_MODEL", "hash-384")
    monkeypatch.delenv("MEMSVC_DATABASE_URL", raising=False)
    namespace = {"__name__": f"docs_{path.stem}"}
    for code in examples(path):
        exec(compile(code, str(path), "exec"), namespace)


def test_the_docs_have_examples_and_skip_few() -> None:
    docs = [p.name for p in FILES if p.parent.name == "docs" and examples(p)]
    assert {"architecture.md", "domain.md", "evaluation.md", "export-import.md"} <= set(docs)
    skipped = sum(
        (m.group("mark") or "").startswith("docs-test: skip")
        for p in FILES
        for m in BLOCK.finditer(p.read_text())
    )
    assert skipped <= MOST_SKIPPED
