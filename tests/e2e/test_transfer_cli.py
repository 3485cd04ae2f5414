"""`memsvc export` and `memsvc import` as a user runs them: a scope moved to another data
directory through a file written from standard output, imported twice, and a mem0 export."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from typer.testing import CliRunner

from memsvc import Memory
from memsvc.cli.main import app
from tests.conftest import make_settings


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    env = {"MEMSVC_DATA_DIR": str(data_dir), "MEMSVC_EMBEDDER_MODEL": "hash-256"}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_a_users_memories_move_to_another_data_dir_through_a_file(tmp_path: Path) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    with Memory(make_settings(here)) as memory:
        for text in ("I keep my passport in the blue drawer", "My sister lives in Lyon"):
            memory.add([{"role": "user", "content": text}], user_id="me")
        memory.add([{"role": "user", "content": "Not mine"}], user_id="someone-else")
    code, out, err = run(here, "export", "--user", "me")
    assert code == 0, err
    lines = out.splitlines()
    units = len(lines) - 1
    assert json.loads(lines[0])["counts"]["units"] == units >= 4  # 2 turns, 2 sessions, facts
    assert all(json.loads(line)["unit"]["user_id"] == "me" for line in lines[1:])
    file = tmp_path / "me.jsonl.gz"
    file.write_bytes(gzip.compress(out.encode()))
    code, _, err = run(there, "import", str(file))
    assert code == 0, err
    assert f"read {units}: {units} imported" in err
    _, _, again = run(there, "import", str(file))
    assert f"0 imported, {units} present already" in again
    with Memory(make_settings(there)) as memory:
        hits = memory.search("where is my passport", user_id="me").hits
        assert "blue drawer" in hits[0].memory.content


def test_a_mem0_export_and_files_that_cannot_be_imported(tmp_path: Path) -> None:
    mem0 = tmp_path / "mem0.json"
    mem0.write_text(
        json.dumps({"results": [{"id": "m-1", "memory": "Prefers tea", "user_id": "u"}]})
    )
    code, _, err = run(tmp_path, "import", str(mem0), "--from", "mem0")
    assert code == 0, err
    assert "1 imported" in err
    code, _, err = run(tmp_path, "import", str(mem0))  # a mem0 file read as an export file
    assert code == 2 and "--from mem0" in err
    code, _, err = run(tmp_path, "import", str(tmp_path / "nope.jsonl"))
    assert code == 2 and "no such file" in err
    code, _, err = run(tmp_path, "import", str(mem0), "--from", "zep")
    assert code == 2 and "memsvc or mem0" in err
