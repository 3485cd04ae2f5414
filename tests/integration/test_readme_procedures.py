"""The README's procedures example runs as written (on a temporary store with the hashing
embedder) and prints what the README says it prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def example() -> str:
    section = README.read_text().split("## Procedures", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "the Procedures section of README.md has no python block"
    return match.group(1)


def test_the_readme_procedures_example_runs_and_prints_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MEMSVC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEMSVC_EMBEDDER_MODEL", "hash-256")

    exec(compile(example(), str(README), "exec"), {"__name__": "readme"})

    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "['build_image(tag=\"<version>\")', 'push_image(tag=\"<version>\")']",
        "succeeded 1 of 2 times; failed when push_image: the registry was down",
    ]
