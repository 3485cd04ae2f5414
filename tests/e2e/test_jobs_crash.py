"""kill -9 of `memsvc serve` in the middle of a consolidate job: every batch is all or
nothing, and at restart the job is picked up again and finishes without doing anything twice."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from memsvc import MemoryClient
from tests.lifecycle_helpers import MAY, fact, open_memory, say
from tests.servers import free_port, spawn_serve, wait_ready

GROUPS = 16
THINGS = """apple violin kayak lantern compass teapot saddle anchor quilt harp easel
telescope hammock kettle banjo sextant""".split()
PLACES = """attic garage cellar garden studio pantry closet porch barn loft shed
hallway office basement balcony veranda""".split()


def seed(data_dir: Path) -> dict[str, list[str]]:
    """GROUPS groups of three facts saying one thing three ways, each from its own turn."""
    groups: dict[str, list[str]] = {}
    with open_memory(data_dir) as mem:
        for thing, place in zip(THINGS, PLACES):
            turns = say(mem, f"s-{thing}", MAY, f"My {thing} is in the {place}.", "Yes.", "Right.")
            text = f"The user keeps the {thing} in the {place}"
            groups[thing] = [
                fact(mem, text + ".", sources=[turns[0]]),
                fact(mem, text.lower(), sources=[turns[1]]),
                fact(mem, text.upper() + "!", sources=[turns[2]]),
            ]
    return groups


def read_db(db: Path, groups: dict[str, list[str]]) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        out = {}
        for thing, ids in groups.items():
            rows = []
            for unit_id in ids:
                status, by, sources = conn.execute(
                    "SELECT status, superseded_by, sources FROM memory_units WHERE id = ?",
                    (unit_id,),
                ).fetchone()
                ops = [
                    r[0]
                    for r in conn.execute(
                        "SELECT operation FROM unit_history WHERE unit_id = ? AND job_id IS NOT NULL",
                        (unit_id,),
                    )
                ]
                rows.append((status, by, len(json.loads(sources)), sorted(ops)))
            out[thing] = rows
        return out
    finally:
        conn.close()


def merged(rows: list[tuple], keeper: str) -> bool:
    return rows == [
        ("active", None, 3, ["merge"]),
        ("superseded", keeper, 1, ["supersede"]),
        ("superseded", keeper, 1, ["supersede"]),
    ]


def untouched(rows: list[tuple]) -> bool:
    return rows == [("active", None, 1, [])] * 3


def test_a_job_killed_mid_run_resumes_at_restart_with_no_half_applied_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = seed(tmp_path)
    monkeypatch.setenv("MEMSVC_JOBS_STALE_AFTER_S", "1")
    monkeypatch.setenv("MEMSVC_JOBS_POLL_S", "0.2")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = spawn_serve(tmp_path, port)
    wait_ready(url, proc=proc)
    params = {"batch_size": 1, "pause_s": 0.3}
    body = {"kind": "consolidate", "user_id": "u", "params": params}
    job = httpx.post(url + "/v1/jobs", json=body, timeout=10).json()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        progress = httpx.get(f"{url}/v1/jobs/{job['id']}", timeout=10).json()["progress"]
        if progress >= 0.25:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # mid-run: between or inside a batch
    proc.wait()

    state = read_db(tmp_path / "memsvc.db", groups)
    done = [t for t, rows in state.items() if merged(rows, groups[t][0])]
    assert all(merged(rows, groups[t][0]) or untouched(rows) for t, rows in state.items()), state
    assert 0 < len(done) < GROUPS

    proc = spawn_serve(tmp_path, port)
    try:
        wait_ready(url, proc=proc)
        with MemoryClient(url, timeout=30) as client:
            deadline = time.monotonic() + 60
            while client.get_job(job["id"]).status != "succeeded" and time.monotonic() < deadline:
                time.sleep(0.2)
            finished = client.get_job(job["id"])
            assert finished.status == "succeeded" and finished.attempts == 2
            # Groups merged before the kill are skipped, not merged twice.
            assert finished.counts.get("merge_fact", 0) == GROUPS - len(done)
    finally:
        proc.kill()
        proc.wait()
    final = read_db(tmp_path / "memsvc.db", groups)
    assert all(merged(rows, groups[t][0]) for t, rows in final.items()), final
