"""Real servers for tests: the app in a uvicorn thread, or `memsvc serve` as a subprocess
(`Serve`: started, killed with SIGKILL and started again on the same data dir)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from memsvc.evals.load import free_port
from memsvc.evals.load import wait_ready as serve_ready


def wait_ready(base_url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Until the server answers /healthz (alive; /readyz also waits for its database)."""
    serve_ready(base_url, proc, timeout, path="/healthz")


@contextmanager
def app_server(app: FastAPI) -> Iterator[str]:
    """Serve `app` on a free loopback port in a background thread; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base_url)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def spawn_serve(data_dir: Path, port: int, embedder: str = "hash-256") -> subprocess.Popen:
    """Start `memsvc serve` in its own process on the loopback interface."""
    env = {
        **os.environ,
        "MEMSVC_DATA_DIR": str(data_dir),
        "MEMSVC_EMBEDDER_MODEL": embedder,
        "MEMSVC_LOG_LEVEL": "warning",
    }
    env.pop("MEMSVC_DATABASE_URL", None)
    with open(data_dir / "serve.log", "ab") as log:  # the child keeps its own handle
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "memsvc.cli.main",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `memsvc` command line on `data_dir` with the fast hashing embedder."""
    env = {**os.environ, "MEMSVC_DATA_DIR": str(data_dir), "MEMSVC_EMBEDDER_MODEL": "hash-64"}
    env.pop("MEMSVC_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "memsvc.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


class Serve:
    """`memsvc serve` on `data_dir` (loopback, one fixed port across restarts)."""

    def __init__(self, data_dir: Path, embedder: str = "hash-256") -> None:
        self.data_dir = data_dir
        self.embedder = embedder
        self.url = f"http://127.0.0.1:{free_port()}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Serve:
        port = int(self.url.rsplit(":", 1)[1])
        self.proc = spawn_serve(self.data_dir, port, self.embedder)
        wait_ready(self.url, proc=self.proc)
        return self

    def kill9(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut of the process."""
        assert self.proc is not None and self.proc.poll() is None, "the server is not running"
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def log(self) -> str:
        return (self.data_dir / "serve.log").read_text(errors="replace")


@contextmanager
def serving(data_dir: Path, embedder: str = "hash-256") -> Iterator[Serve]:
    server = Serve(data_dir, embedder).start()
    try:
        yield server
    finally:
        server.stop()


def fast_job_recovery(monkeypatch: pytest.MonkeyPatch) -> None:
    """A restarted server requeues a dead runner's job after 1 s (default 30 s)."""
    monkeypatch.setenv("MEMSVC_JOBS_STALE_AFTER_S", "1")
    monkeypatch.setenv("MEMSVC_JOBS_POLL_S", "0.2")
