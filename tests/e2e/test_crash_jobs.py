"""kill -9 of `memsvc serve` in the middle of each lifecycle job (consolidate, compress,
forget): every batch is all or nothing, and at restart the job is picked up again and
finishes without doing anything twice.

The jobs are slowed with their public `pause_s` and `batch_size` parameters (a pause after
each committed batch), so that the kill lands while the job is running."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from memsvc.embedding import HashingEmbedder
from tests.http_helpers import start_job, wait_finished, wait_progress
from tests.leftovers import assert_clean, marker_needles, new_marker, read_db
from tests.lifecycle_helpers import MAY, fact, open_memory, run, say
from tests.servers import Serve, fast_job_recovery

GROUPS = 16
THINGS = """apple violin kayak lantern compass teapot saddle anchor quilt harp easel
telescope hammock kettle banjo sextant""".split()
PLACES = """attic garage cellar garden studio pantry closet porch barn loft shed
hallway office basement balcony veranda""".split()
SLOW = {"pause_s": 0.3}


@pytest.fixture(autouse=True)
def _fast_recovery(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_job_recovery(monkeypatch)


def kill_mid_job(server: Serve, kind: str, at: float, **params: object) -> str:
    """Start a job of user `u` on the running server, kill -9 it once the job has reported
    `at` progress; returns the job id."""
    with server.client() as client:
        job_id = start_job(client, kind, "u", **SLOW, **params)
        wait_progress(client, job_id, at)
    server.kill9()
    return job_id


def resume(server: Serve, job_id: str) -> dict:
    """Restart the server and wait for the interrupted job to finish its second attempt."""
    server.start()
    try:
        with server.client() as client:
            job = wait_finished(client, job_id)
    finally:
        server.stop()
    assert job["status"] == "succeeded" and job["attempts"] == 2, job
    return job


def job_ops(db: Path, job_id: str) -> dict[str, list[str]]:
    """The history operations `job_id` wrote, by unit."""
    out: dict[str, list[str]] = {}
    for unit_id, op in read_db(
        db, "SELECT unit_id, operation FROM unit_history WHERE job_id = ?", job_id
    ):
        out.setdefault(unit_id, []).append(op)
    return out


# -- consolidate --------------------------------------------------------------------------
def seed_groups(data_dir: Path) -> dict[str, list[str]]:
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


def group_states(db: Path, groups: dict[str, list[str]]) -> dict[str, list[tuple]]:
    out = {}
    for thing, ids in groups.items():
        rows = []
        for unit_id in ids:
            [(status, by, sources)] = read_db(
                db, "SELECT status, superseded_by, sources FROM memory_units WHERE id = ?", unit_id
            )
            ops = read_db(
                db,
                "SELECT operation FROM unit_history WHERE unit_id = ? AND job_id IS NOT NULL",
                unit_id,
            )
            rows.append((status, by, len(json.loads(sources)), sorted(r[0] for r in ops)))
        out[thing] = rows
    return out


def merged(rows: list[tuple], keeper: str) -> bool:
    return rows == [
        ("active", None, 3, ["merge"]),
        ("superseded", keeper, 1, ["supersede"]),
        ("superseded", keeper, 1, ["supersede"]),
    ]


def untouched(rows: list[tuple]) -> bool:
    return rows == [("active", None, 1, [])] * 3


def test_consolidate_killed_mid_run_resumes_with_no_half_applied_batch(tmp_path: Path) -> None:
    groups = seed_groups(tmp_path)
    db = tmp_path / "memsvc.db"
    server = Serve(tmp_path).start()
    job_id = kill_mid_job(server, "consolidate", 0.25, batch_size=1)

    state = group_states(db, groups)
    done = [t for t, rows in state.items() if merged(rows, groups[t][0])]
    assert all(merged(rows, groups[t][0]) or untouched(rows) for t, rows in state.items()), state
    assert 0 < len(done) < GROUPS

    job = resume(server, job_id)
    # Groups merged before the kill are skipped, not merged twice.
    assert job["counts"].get("merge_fact", 0) == GROUPS - len(done)
    final = group_states(db, groups)
    assert all(merged(rows, groups[t][0]) for t, rows in final.items()), final


# -- compress -----------------------------------------------------------------------------
SESSIONS = 12


def seed_sessions(data_dir: Path, marker: str = "") -> list[str]:
    """SESSIONS sessions of user `u`, three turns each; returns the session ids."""
    with open_memory(data_dir) as mem:
        for i, (thing, place) in enumerate(zip(THINGS[:SESSIONS], PLACES)):
            when = MAY + timedelta(days=i)
            say(
                mem,
                f"s{i:02d}",
                when,
                f"I keep my {thing} in the {place}. {marker}".strip(),
                f"The {place} is dry, so the {thing} stays fine there.",
                f"I bought the {thing} last spring {marker}.",
            )
        return [u.id for u in mem.list(user_id="u", granularities=["session"], limit=100).items]


def session_states(db: Path, job_id: str) -> dict[str, str]:
    """Each session: "summarised" (its text, summary, vector and history entry all from the
    job), "untouched" (none of them), or what is inconsistent about it."""
    ops = job_ops(db, job_id)
    rows = read_db(
        db,
        "SELECT u.id, u.content, u.attributes, v.vector FROM memory_units u "
        "JOIN unit_vectors v ON v.seq = u.seq WHERE u.granularity = 'session'",
    )
    out = {}
    for unit_id, content, attributes, blob in rows:
        summary = json.loads(attributes).get("summary")
        if summary is None:
            out[unit_id] = "untouched" if unit_id not in ops else f"history only: {ops}"
            continue
        summary_vector = HashingEmbedder(256).embed_batch([summary])[0]
        whole = (
            content == summary
            and ops.get(unit_id) == ["summarise"]
            and np.allclose(np.frombuffer(blob, dtype=np.float32), summary_vector)
        )
        out[unit_id] = "summarised" if whole else f"half: {content[:40]!r} {ops.get(unit_id)}"
    return out


def test_compress_killed_mid_run_resumes_and_summarises_each_session_once(
    tmp_path: Path,
) -> None:
    sessions = seed_sessions(tmp_path)
    db = tmp_path / "memsvc.db"
    server = Serve(tmp_path).start()
    # batch_size 10: one session per transaction; sessions are 80% of the progress bar.
    job_id = kill_mid_job(server, "compress", 0.2, batch_size=10, topics=False)

    state = session_states(db, job_id)
    assert sorted(state) == sorted(sessions)
    assert set(state.values()) == {"summarised", "untouched"}, state
    done = sum(s == "summarised" for s in state.values())

    job = resume(server, job_id)
    assert job["counts"]["summarised"] == SESSIONS - done
    assert job["counts"]["unchanged"] == done
    assert set(session_states(db, job_id).values()) == {"summarised"}


# -- forget -------------------------------------------------------------------------------
FAR = "2150-01-01T00:00:00+00:00"
FARTHER = "2150-06-01T00:00:00+00:00"
PURGE = {"purge_turns": True, "grace_days": 0}


def unit_states(db: Path) -> dict[str, str]:
    """Each turn and session of user `u`: "purged" (a tombstone with no vector and no lexical
    entry), "archived" (its text there, and for a turn its vector and lexical entry; a
    session rebuilt from no live turns has neither) or what is wrong with it."""
    rows = read_db(
        db,
        "SELECT u.id, u.granularity, u.status, u.content, v.seq IS NOT NULL, "
        "f.rowid IS NOT NULL FROM memory_units u LEFT JOIN unit_vectors v ON v.seq = u.seq "
        "LEFT JOIN units_fts f ON f.rowid = u.seq WHERE u.granularity IN ('turn', 'session')",
    )
    out = {}
    for unit_id, granularity, status, content, vector, lexical in rows:
        state = (status, bool(content), bool(vector), bool(lexical))
        if state == ("deleted", False, False, False):
            out[unit_id] = "purged"
        elif state == ("archived", True, True, True) or (
            granularity == "session" and state[:2] == ("archived", True)
        ):
            out[unit_id] = "archived"
        else:
            out[unit_id] = f"half: {granularity} {state}"
    return out


def test_forget_killed_mid_purge_resumes_purges_all_and_scrubs_the_files(
    tmp_path: Path,
) -> None:
    marker = new_marker()
    seed_sessions(tmp_path, marker)
    with open_memory(tmp_path) as mem:  # archive everything first, in this process
        assert run(mem, "forget", now=FAR, **PURGE).counts["archived"] > 0
    db = tmp_path / "memsvc.db"
    assert set(unit_states(db).values()) == {"archived"}
    server = Serve(tmp_path).start()
    job_id = kill_mid_job(server, "forget", 0.25, batch_size=2, now=FARTHER, **PURGE)

    state = unit_states(db)
    assert set(state.values()) == {"purged", "archived"}, state
    purged = sum(s == "purged" for s in state.values())

    job = resume(server, job_id)
    assert job["counts"]["purged"] == len(state) - purged  # none purged twice
    assert set(unit_states(db).values()) == {"purged"}
    assert_clean(tmp_path, marker_needles(marker))
