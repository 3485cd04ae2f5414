"""`memsvc bench load`: concurrent clients against `memsvc serve` on 127.0.0.1 for a bounded
time, then a check that every acknowledged write is stored exactly once.

1. The server: `--url` targets a running one; otherwise `memsvc serve` starts on a free
   loopback port over a fresh temporary data dir (the embedder given, the per-key rate limit
   off: the bench measures capacity, not the limiter), and stops at the end.
2. Prefill: each of `users` user scopes gets `prefill` turns, so searches have something to
   find (not timed).
3. The timed phase: `clients` asyncio tasks, each with its own `AsyncMemoryClient` (its own
   connection), loop until `seconds` have passed: with probability `write_share` an add of
   one message (a unique synthetic text with a client id, in the client's current session of
   at most SESSION_TURNS messages, extracted as `extract` says, by default as the SDK
   does), else a search (k hits, a synthetic
   question; unique until the question pool wraps). Each request's latency and outcome (HTTP
   status, or "transport" when no answer came) is recorded.
4. The check: the user scopes listed (GET /v1/scopes), and each scope's turns listed page by
   page; every client id whose add answered 201 must be there exactly once. Writes that did
   not answer 201 may or may not be stored (a timeout can follow a commit); they are counted.

The bench talks to the server only through the public SDK (and plain HTTP for /readyz).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import psutil
from memsvc.evals.synthetic import synthetic_questions, synthetic_turns
from tqdm import tqdm

from memsvc import AsyncMemoryClient, MemoryClient
from memsvc.domain.errors import MemsvcError
from memsvc.settings import BUNDLED_MODEL

SESSION_TURNS = 20  # messages per session before a client opens the next one
POOL = 4096  # distinct texts (and questions) generated per client
PREFILL_BATCH = 25


@dataclass(slots=True)
class LoadConfig:
    clients: int = 8
    seconds: float = 30.0
    write_share: float = 0.5
    embedder: str = BUNDLED_MODEL
    url: str | None = None  # a running server (else one is started)
    api_key: str | None = None
    users: int = 4
    prefill: int = 50  # turns per user before the timed phase
    k: int = 10
    extract: Literal["auto", "sync", "async", "off"] = "auto"  # of each add (SDK default)
    seed: int = 0
    timeout_s: float = 60.0
    progress: bool = True


@dataclass(slots=True)
class Sample:
    op: str  # "add" or "search"
    start: float  # seconds since the timed phase began
    ms: float
    outcome: str  # HTTP status ("201", "200", "429", ...) or "transport"


@dataclass(slots=True)
class Consistency:
    acknowledged: int
    stored: int  # turns listed in the scopes written to
    lost: list[str] = field(default_factory=list)  # acknowledged, not stored
    duplicated: list[str] = field(default_factory=list)  # stored more than once
    unacknowledged_stored: int = 0  # answered with an error or not at all, stored anyway
    missing_scopes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not (self.lost or self.duplicated or self.missing_scopes)


@dataclass(slots=True)
class LoadResult:
    config: LoadConfig
    url: str
    embedder: str
    samples: list[Sample]
    elapsed_s: float
    consistency: Consistency
    cpu_s: dict[str, float] = field(default_factory=dict)  # of the timed phase
    load_average: dict[str, float] = field(default_factory=dict)  # 1-min, before and after
    created: str = ""
    # The same texts the adds stored, embedded in batches in this process once the server is
    # idle: the rate the adds would reach if writing cost nothing but embedding.
    raw_embedding: dict[str, float] = field(default_factory=dict)


def run_load(config: LoadConfig) -> LoadResult:
    """Run the whole bench (server, prefill, timed phase, check)."""
    if not 0.0 <= config.write_share <= 1.0:
        raise ValueError("write_share must lie between 0 and 1")
    with _terminated_as_exit(), _server(config) as (url, server):
        users = [f"load-u{i}" for i in range(config.users)]
        first = url.split(",")[0]  # replicas share one database: any of them will do
        acked = _prefill(config, first, users)
        bench_cpu, server_cpu, before = time.process_time(), _cpu(server), os.getloadavg()[0]
        samples, written, elapsed, texts = asyncio.run(_timed(config, url, users))
        cpu = {"bench": time.process_time() - bench_cpu}
        if server is not None:
            cpu["server"] = _cpu(server) - server_cpu
        load = {"before": before, "after": os.getloadavg()[0]}
        consistency = check(first, config.api_key, users, acked + written)
        embedder = _embedder_of(first, config.api_key)
    result = LoadResult(config, url, embedder, samples, elapsed, consistency, cpu, load)
    result.created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    if texts and config.url is None:  # the bench knows the embedder of a server it started
        result.raw_embedding = raw_embedding(config.embedder, texts)
    return result


def raw_embedding(model: str, texts: list[str]) -> dict[str, float]:
    """Texts/s of the server's embedder on `texts` in batches (its default batch size and
    threads), without cache, database or HTTP."""
    from memsvc.embedding import build_embedder
    from memsvc.settings import EmbedderSettings

    embedder = build_embedder(EmbedderSettings(model=model), None)
    embedder.embed_batch(texts[:8])  # load and warm the model outside the timing
    start = time.perf_counter()
    embedder.embed_batch(texts)
    return {"texts": len(texts), "per_s": len(texts) / (time.perf_counter() - start)}


# -- the server -----------------------------------------------------------------------------
@contextmanager
def _terminated_as_exit() -> Iterator[None]:
    """SIGTERM ends the bench like Ctrl-C does, through `finally`, so the server it started
    is stopped too (in the main thread only: elsewhere signals cannot be handled)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _server(config: LoadConfig) -> Iterator[tuple[str, psutil.Process | None]]:
    if config.url:
        yield ",".join(u.rstrip("/") for u in config.url.split(",")), None
        return
    data_dir = Path(tempfile.mkdtemp(prefix="memsvc-load-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MEMSVC_DATABASE_URL"}
    env.update(
        MEMSVC_DATA_DIR=str(data_dir),
        MEMSVC_EMBEDDER_MODEL=config.embedder,
        MEMSVC_AUTH_RATE_PER_S="0",
        MEMSVC_LOG_LEVEL="warning",
        HF_HUB_OFFLINE="1",
    )
    command = [sys.executable, "-m", "memsvc.cli.main", "serve", "--host", "127.0.0.1"]
    with open(data_dir / "serve.log", "ab") as log:
        proc = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        yield url, psutil.Process(proc.pid)
    finally:
        _stop(proc)
        shutil.rmtree(data_dir, ignore_errors=True)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(
    url: str,
    proc: subprocess.Popen | None = None,
    timeout: float = 180.0,
    path: str = "/readyz",
) -> None:
    """Until `url + path` answers 200; raises if `proc` (the server) exits first or the
    time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited early with code {proc.returncode}")
        try:
            if httpx.get(url + path, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"the server at {url} was not ready after {timeout:.0f} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _cpu(process: psutil.Process | None) -> float:
    if process is None:
        return 0.0
    times = process.cpu_times()
    return float(times.user + times.system)


def _embedder_of(url: str, api_key: str | None) -> str:
    """The embedder the server reports on /readyz."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    body = httpx.get(url + "/readyz", headers=headers, timeout=10).json()
    return str(body.get("embedder", "?"))


# -- the load -------------------------------------------------------------------------------
def _prefill(config: LoadConfig, url: str, users: list[str]) -> list[tuple[str, str]]:
    """`prefill` turns per user (sessions of PREFILL_BATCH); returns (user, client id) of each."""
    texts = iter(synthetic_turns(config.prefill * len(users), seed=config.seed + 7))
    acked: list[tuple[str, str]] = []
    with MemoryClient(url, api_key=config.api_key, timeout=config.timeout_s) as client:
        for user in users:
            for start in range(0, config.prefill, PREFILL_BATCH):
                ids = [
                    f"p-{user}-{j}"
                    for j in range(start, min(start + PREFILL_BATCH, config.prefill))
                ]
                messages = [{"role": "user", "content": next(texts), "client_id": c} for c in ids]
                session = f"prefill-{start}"
                client.add(messages, user_id=user, session_id=session, extract=config.extract)
                acked += [(user, c) for c in ids]
    return acked


@dataclass(slots=True)
class _Phase:
    """The timed phase as the clients share it: what they record, and until when."""

    config: LoadConfig
    url: str
    users: list[str]
    start: float
    deadline: float
    samples: list[Sample] = field(default_factory=list)
    written: list[tuple[str, str]] = field(default_factory=list)  # (user, client id) of 201s
    texts: list[str] = field(default_factory=list)  # what the 201s stored


async def _timed(
    config: LoadConfig, url: str, users: list[str]
) -> tuple[list[Sample], list[tuple[str, str]], float, list[str]]:
    start = time.perf_counter()
    phase = _Phase(config, url, users, start, start + config.seconds)
    clients = [_client(phase, i) for i in range(config.clients)]
    await asyncio.gather(_show_progress(phase), *clients)
    ends = (s.start + s.ms / 1000 for s in phase.samples)
    return phase.samples, phase.written, max(ends, default=config.seconds), phase.texts


async def _client(phase: _Phase, number: int) -> None:
    """One client: adds and searches until the deadline, each request awaited in turn."""
    config = phase.config
    seed = config.seed * 1_000 + number
    rng = random.Random(seed)
    texts = synthetic_turns(POOL, seed=seed + 11)
    questions = synthetic_questions(POOL, seed=seed + 13)
    done = Counter[str]()
    replicas = phase.url.split(",")  # several replicas: the clients are spread over them
    async with AsyncMemoryClient(
        replicas[number % len(replicas)], api_key=config.api_key, timeout=config.timeout_s
    ) as http:
        while time.perf_counter() < phase.deadline:
            user = rng.choice(phase.users)
            op = "add" if rng.random() < config.write_share else "search"
            n = done[op]
            done[op] += 1
            began = time.perf_counter()
            if op == "add":
                cid = f"c{number}-{n}"
                message = {"role": "user", "content": _nth(texts, n), "client_id": cid}
                session = f"c{number}-s{n // SESSION_TURNS}"
                add = http.add([message], user_id=user, session_id=session, extract=config.extract)
                outcome = await _outcome(add, "201")
                if outcome == "201":
                    phase.written.append((user, cid))
                    phase.texts.append(message["content"])
            else:
                search = http.search(_nth(questions, n), user_id=user, k=config.k)
                outcome = await _outcome(search, "200")
            elapsed_ms = (time.perf_counter() - began) * 1000
            phase.samples.append(Sample(op, began - phase.start, elapsed_ms, outcome))


def _nth(pool: list[str], n: int) -> str:
    """The n-th item, unique past the end of the pool (so the server embeds every one)."""
    text = pool[n % len(pool)]
    return text if n < len(pool) else f"{text} ({n // len(pool)})"


async def _outcome(request: Any, ok: str) -> str:
    try:
        await request
    except MemsvcError as exc:
        if isinstance(exc.__cause__, httpx.TransportError):
            return "transport"
        return str(exc.status_code)
    return ok


async def _show_progress(phase: _Phase) -> None:
    seconds = phase.config.seconds
    with tqdm(total=int(seconds), unit="s", disable=not phase.config.progress) as bar:
        while (now := time.perf_counter()) < phase.deadline:
            await asyncio.sleep(min(0.5, max(phase.deadline - now, 0.01)))
            bar.n = min(int(time.perf_counter() - phase.start), int(seconds))
            bar.set_postfix(requests=len(phase.samples), refresh=False)
            bar.refresh()


# -- the check ------------------------------------------------------------------------------
def check(
    url: str, api_key: str | None, users: list[str], acked: list[tuple[str, str]]
) -> Consistency:
    """Every acknowledged client id stored exactly once, in the scope it was written to."""
    stored: Counter[tuple[str, str]] = Counter()
    with MemoryClient(url, api_key=api_key, timeout=120) as client:
        scopes = {s.user_id for s in client.list_scopes(limit=500)}
        for user in users:
            stored.update((user, cid) for cid in _client_ids(client, user))
    wanted = set(acked)
    return Consistency(
        acknowledged=len(wanted),
        stored=sum(stored.values()),
        lost=sorted(f"{u}/{c}" for u, c in wanted - set(stored)),
        duplicated=sorted(f"{u}/{c}" for (u, c), n in stored.items() if n > 1),
        unacknowledged_stored=len(set(stored) - wanted),
        missing_scopes=sorted(set(users) - scopes),
    )


def _client_ids(client: MemoryClient, user: str) -> Iterator[str]:
    cursor: str | None = None
    while True:
        page = client.list(user_id=user, granularities=["turn"], limit=500, cursor=cursor)
        for unit in page.items:
            yield str(unit.attributes.get("client_id"))
        if not page.next_cursor:
            return
        cursor = page.next_cursor
