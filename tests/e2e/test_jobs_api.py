"""Lifecycle jobs over HTTP and from the command line: create, follow, revert (409 the second
time), stats; the HTTP SDK agrees with the embedded one."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from memsvc.api.app import create_app

from memsvc import ConflictError, Memory, MemoryClient
from tests.lifecycle_helpers import MAY, fact, open_memory, say
from tests.servers import app_server, run_cli

WORKS = ("the user", "works_at", "Google")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Memory, str]]:
    jobs = {"run_in_process": True, "poll_s": 0.05}
    with (
        open_memory(tmp_path, jobs=jobs) as mem,
        app_server(create_app(container=mem._container)) as url,
    ):
        yield mem, url


def wait(api: httpx.Client, job_id: str) -> dict:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        job = api.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise TimeoutError(job_id)


def test_consolidate_revert_and_stats_over_http(served: tuple[Memory, str]) -> None:
    mem, url = served
    [t1, t2] = say(mem, "s1", MAY, "I work at Google.", "Yes, Google.")
    keep = fact(mem, "The user works at Google.", WORKS, sources=[t1])
    dup = fact(mem, "the user works at google", WORKS, sources=[t2])
    with httpx.Client(base_url=url, timeout=10) as api:
        dry = api.post("/v1/jobs", json={"kind": "consolidate", "user_id": "u", "dry_run": True})
        assert dry.status_code == 201
        assert wait(api, dry.json()["id"])["counts"]["planned_merge_fact"] == 1
        assert api.get(f"/v1/memories/{dup}").json()["status"] == "active"
        created = api.post("/v1/jobs", json={"kind": "consolidate", "user_id": "u"}).json()
        job = wait(api, created["id"])
        assert job["status"] == "succeeded" and job["counts"]["superseded"] == 1
        assert api.get(f"/v1/memories/{dup}").json()["superseded_by"] == keep
        stats = api.get("/v1/stats", params={"user_id": "u"}).json()
        assert stats["by_granularity_status"]["fact"] == {"active": 1, "superseded": 1}
        assert stats["last_jobs"]["consolidate"]["id"] == job["id"]
        reverted = api.post(f"/v1/jobs/{job['id']}/revert")
        assert reverted.status_code == 200, reverted.text
        assert (reverted.json()["restored"], reverted.json()["removed"]) == (2, 0)
        assert api.get(f"/v1/memories/{dup}").json()["status"] == "active"
        again = api.post(f"/v1/jobs/{job['id']}/revert")
        assert again.status_code == 409 and again.json()["error"]["type"] == "conflict"
        assert "already reverted" in again.json()["error"]["message"]
        assert api.post("/v1/jobs/nope/revert").status_code == 404
        extract = api.post("/v1/jobs", json={"kind": "extract", "user_id": "u", "session_id": "s1"})
        wait(api, extract.json()["id"])
        assert api.post(f"/v1/jobs/{extract.json()['id']}/revert").status_code == 409
    with MemoryClient(url) as client:
        with pytest.raises(ConflictError):
            client.revert_job(job["id"])
        remote, local = client.stats(user_id="u"), mem.stats(user_id="u")
        assert remote.model_dump(exclude={"last_jobs"}) == local.model_dump(exclude={"last_jobs"})


cli = run_cli


def test_jobs_run_list_show_revert_and_stats_from_the_command_line(tmp_path: Path) -> None:
    for text in ("I moved to Lisbon in May 2023.", "My cat Miso loves the balcony."):
        assert cli(tmp_path, "add", text, "--user", "me", "--session", "s1").returncode == 0
    dry = cli(
        tmp_path,
        "jobs",
        "run",
        "forget",
        "--user",
        "me",
        "--dry-run",
        "--param",
        'now="2030-01-01T00:00:00+00:00"',
    )
    assert dry.returncode == 0, dry.stderr
    # Far in the future every memory (turns, session, extracted facts) would be archived.
    scanned = re.search(r"scanned=(\d+)", dry.stdout)
    assert scanned and int(scanned.group(1)) >= 3
    assert f"would_archive={scanned.group(1)}" in dry.stdout
    out = cli(tmp_path, "jobs", "run", "compress", "--user", "me")
    assert out.returncode == 0 and "succeeded" in out.stdout and "summarised=1" in out.stdout
    listed = cli(tmp_path, "jobs", "list", "--kind", "compress")
    [job_id] = [w for w in listed.stdout.split() if len(w) == 36 and w.count("-") == 4]
    shown = json.loads(cli(tmp_path, "jobs", "show", job_id).stdout)
    assert shown["kind"] == "compress" and shown["status"] == "succeeded"
    stats = json.loads(cli(tmp_path, "stats", "--user", "me", "--json").stdout)
    assert stats["by_granularity"]["turn"] == 2 and stats["by_granularity"]["session"] == 1
    assert stats["by_granularity"]["fact"] >= 2  # "moved to Lisbon", "cat Miso": extracted
    assert stats["last_jobs"]["compress"]["id"] == job_id
    reverted = cli(tmp_path, "jobs", "revert", job_id)
    assert reverted.returncode == 0 and "1 restored" in reverted.stdout
    failed = cli(tmp_path, "jobs", "run", "dream", "--user", "me")
    assert failed.returncode != 0 and "unknown job kind" in (failed.stdout + failed.stderr)
