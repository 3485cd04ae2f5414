"""The examples in examples/ run as a user would run them: offline, in their own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import memsvc
from tests.conftest import make_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_langgraph_agent_remembers_across_conversations(tmp_path: Path) -> None:
    env = {**os.environ, "MEMSVC_EMBEDDER_MODEL": "hash-384", "HF_HUB_OFFLINE": "1"}
    env.pop("MEMSVC_DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / "langgraph_agent.py"), "--data-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    recalled = [line for line in run.stdout.splitlines() if line.startswith("recalled:")]
    assert recalled[0] == "recalled: []"  # the first conversation starts with nothing
    assert "Sam is allergic to peanuts" in recalled[1]  # the second knows what the first taught
    settings = make_settings(tmp_path, embedder={"model": "hash-384"})
    with memsvc.Memory(settings) as memory:
        hits = memory.search("peanuts", user_id="sam", k=3).hits
    assert hits[0].memory.content == "Sam is allergic to peanuts"
    assert hits[0].memory.session_id == "lg:memories/sam"
