"""`memsvc bench load` end to end for a few seconds with the hashing embedder: it starts its
own `memsvc serve`, loads it, writes its reports, and its consistency check passes. The check
itself is shown to catch a lost and a duplicated write. No timing is asserted."""

from __future__ import annotations

import json
from pathlib import Path

from memsvc.evals.load import LoadConfig, check, run_load
from memsvc.evals.load_report import write_load

from memsvc import MemoryClient
from tests.servers import run_cli, serving


def test_the_load_bench_runs_and_finds_every_acknowledged_write_once(tmp_path: Path) -> None:
    config = LoadConfig(
        clients=4, seconds=3, write_share=0.5, embedder="hash-384", prefill=10, progress=False
    )
    result = run_load(config)
    folder = write_load(result, tmp_path / "report", "memsvc bench load (test)")

    verdict = result.consistency
    assert verdict.passed, verdict
    written = sum(1 for s in result.samples if s.op == "add" and s.outcome == "201")
    assert written > 0 and verdict.acknowledged == written + config.users * config.prefill
    assert verdict.stored >= verdict.acknowledged
    assert {s.op for s in result.samples} == {"add", "search"}
    data = json.loads((folder / "load.json").read_text())
    assert data["embedder"] == "hash-384" and data["consistency"]["passed"] is True
    assert data["ops"]["search"]["latency_ms"]["n"] == data["ops"]["search"]["ok"]
    assert "requests/s" in (folder / "load.md").read_text()
    assert (folder / "load.png").stat().st_size > 0
    # The adds' own texts, embedded apart in the bench's process: the rate adds are held to.
    assert data["raw_embedding"]["texts"] == written and data["raw_embedding"]["per_s"] > 0
    assert "Raw batched embedding of the same" in (folder / "load.md").read_text()


def test_the_check_reports_a_lost_write_and_a_write_stored_twice(tmp_path: Path) -> None:
    with serving(tmp_path) as server, MemoryClient(server.url) as client:
        message = {"role": "user", "content": "same message", "client_id": "dup"}
        client.add([message], user_id="u0", session_id="a")
        client.add([message], user_id="u0", session_id="b")  # another session: stored again
        acked = [("u0", "dup"), ("u0", "never-sent")]
        verdict = check(server.url, None, ["u0", "u1"], acked)
    assert not verdict.passed
    assert verdict.lost == ["u0/never-sent"]
    assert verdict.duplicated == ["u0/dup"]
    assert verdict.missing_scopes == ["u1"]


def test_bench_load_is_a_subcommand_of_bench(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "bench", "load", "--help")
    assert done.returncode == 0, done.stderr
    assert "--write-share" in done.stdout and "--clients" in done.stdout
