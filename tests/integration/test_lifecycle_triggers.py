"""Jobs that start themselves (thresholds per scope, a schedule run by the in-process
runner) and memory health statistics."""

from __future__ import annotations

import time
from pathlib import Path

from memsvc import Memory
from tests.lifecycle_helpers import MAY, fact, open_memory, run, say

THRESHOLD = {"after_turns": 3, "threshold_kinds": ["compress", "consolidate"]}


def kinds(memory: Memory) -> list[str]:
    return sorted(j.kind for j in memory.list_jobs())


def test_thresholds_are_off_by_default(tmp_path: Path) -> None:
    with open_memory(tmp_path) as mem:
        say(mem, "s1", MAY, *(f"message {i}" for i in range(10)))
        assert kinds(mem) == []


def test_n_new_turns_in_a_scope_queue_compress_and_consolidate_once(tmp_path: Path) -> None:
    with open_memory(tmp_path, lifecycle=THRESHOLD) as mem:
        say(mem, "s1", MAY, "one", "two")
        assert kinds(mem) == []
        say(mem, "s2", MAY, "three")
        assert kinds(mem) == ["compress", "consolidate"]
        [job] = mem.list_jobs(kind="compress")
        assert (job.user_id, job.session_id, job.params["trigger"]) == (
            "u",
            None,
            "threshold: 3 new turns",
        )
        say(mem, "s2", MAY, "four", "five", "six")  # while those are queued: nothing more
        assert kinds(mem) == ["compress", "consolidate"]
        mem._container.runner.run_pending()
        say(mem, "s3", MAY, "seven", "eight")  # 2 turns since the jobs were created
        assert len(mem.list_jobs()) == 2
        mem.add([{"role": "user", "content": "nine"}], user_id="someone else")
        assert len(mem.list_jobs()) == 2  # another scope counts its own turns
        say(mem, "s3", MAY, "ten")
        assert kinds(mem) == ["compress", "compress", "consolidate", "consolidate"]


def test_the_schedule_runs_forget_on_the_in_process_runner(tmp_path: Path) -> None:
    lifecycle = {"schedule": {"forget": 3600}, "schedule_check_s": 0.05}
    jobs = {"run_in_process": True, "poll_s": 0.05}
    with open_memory(tmp_path, lifecycle=lifecycle, jobs=jobs) as mem:
        say(mem, "s1", MAY, "hello")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done = mem.list_jobs(kind="forget", status="succeeded")
            if done:
                break
            time.sleep(0.05)
        [job] = done
        assert (job.user_id, job.params["trigger"], job.counts["scanned"]) == (None, "schedule", 2)
        time.sleep(0.3)  # several more checks: not due again for an hour
        assert len(mem.list_jobs(kind="forget")) == 1
        scheduler = mem._container.lifecycle.scheduler
        assert scheduler is not None and scheduler.tick() == []


def test_stats_count_units_duplicates_shares_and_last_jobs(tmp_path: Path) -> None:
    with open_memory(tmp_path) as mem:
        [t] = say(mem, "s1", MAY, "I work at Google.")
        works = ("the user", "works_at", "Google")
        fact(mem, "The user works at Google.", works, sources=[t])
        fact(mem, "the user works at google", works, sources=[t])
        fact(mem, "The user likes jazz.", sources=[t])
        fact(mem, "Someone else's fact.", user="v")
        empty = mem.stats(user_id="u")
        assert empty.by_granularity == {"turn": 1, "session": 1, "fact": 3}
        assert empty.by_kind == {"episodic": 2, "semantic": 3}
        assert (empty.active_facts, empty.duplicate_pairs) == (3, 1)
        assert abs(empty.duplicate_rate - 2 / 3) < 1e-9
        assert empty.last_jobs["consolidate"] is None
        job = run(mem, "consolidate")
        run(mem, "forget", now="2040-01-01T00:00:00+00:00", granularities=["turn"])
        after = mem.stats(user_id="u")
        assert after.by_status == {"active": 3, "superseded": 1, "archived": 1}
        assert after.duplicate_pairs == 0 and after.active_facts == 2
        assert after.superseded_share == 0.2 and after.archived_share == 0.2
        assert after.last_jobs["consolidate"].id == job.id
        assert after.last_jobs["compress"] is None
        assert mem.stats().total == after.total + 1  # the whole tenant: user v's fact too
