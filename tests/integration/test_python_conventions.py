"""What a Python user expects: `python -m memsvc`, paths as strings, and a clear answer for a
batch with an empty message in it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from memsvc import Memory, ValidationError
from tests.conftest import make_settings


def test_python_dash_m_memsvc_is_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "memsvc", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "serve" in done.stdout


def test_memory_takes_its_data_dir_as_a_plain_string(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    with Memory(make_settings(tmp_path), data_dir=str(folder)) as memory:
        memory.add([{"content": "hello"}], user_id="u")
    assert (folder / "memsvc.db").exists()


def test_an_empty_message_rejects_the_whole_add_naming_its_index(memory: Memory) -> None:
    with pytest.raises(ValidationError) as caught:
        memory.add([{"content": "fine"}, {"content": "   "}], user_id="u")
    assert caught.value.field == "messages.1.content"
    assert memory.list(user_id="u").items == []  # nothing of the batch was stored
