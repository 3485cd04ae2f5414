"""kill -9 of `memsvc serve` in the middle of concurrent writes loses nothing acknowledged,
stores nothing twice, leaves nothing half-written, and the vector index heals from SQL at
restart."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.http_helpers import all_units
from tests.servers import Serve

WRITERS = 4


def write_until_stopped(url: str, worker: int, acked: list[dict], stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        n = 0
        while not stop.is_set():
            text = f"worker {worker} note {n} about topic{worker}x{n}"
            body = {
                "user_id": "u",
                "session_id": f"w{worker}",
                "messages": [{"role": "user", "content": text, "client_id": f"{worker}-{n}"}],
            }
            try:
                response = client.post("/v1/memories", json=body)
            except httpx.HTTPError:
                return  # the server died mid-request: that write was never acknowledged
            if response.status_code == 201:
                acked.append({"id": response.json()["memories"][0]["id"], "text": text})
            n += 1


def test_acknowledged_writes_survive_kill_9_exactly_once(tmp_path: Path) -> None:
    server = Serve(tmp_path).start()
    acked: list[dict] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=write_until_stopped, args=(server.url, w, acked, stop))
        for w in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acked) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill9()  # mid-stream: writers are still sending
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acked) >= 60

    assert_nothing_half_written(tmp_path / "memsvc.db")

    server.start()
    try:
        with server.client() as client:
            turns = [u for u in all_units(client, "u") if u["granularity"] == "turn"]
            stored = Counter(u["id"] for u in turns)
            texts = Counter(u["content"] for u in turns)
            assert max(texts.values()) == 1, "a message stored twice"
            for item in acked:
                assert stored[item["id"]] == 1 and texts[item["text"]] == 1, item
                hits = client.post(
                    "/v1/memories/search", json={"user_id": "u", "query": item["text"], "k": 5}
                ).json()["hits"]
                found = {h["memory"]["id"]: h for h in hits}
                assert item["id"] in found, f"acknowledged {item} not found by search"
                votes = {v["retriever"] for v in found[item["id"]]["retrievers"]}
                assert "turn.dense" in votes, "the vector index did not heal from SQL"
    finally:
        server.stop()


def assert_nothing_half_written(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        turns = conn.execute(
            "SELECT seq, id, session_id FROM memory_units WHERE granularity='turn'"
        ).fetchall()
        vectors = {r[0] for r in conn.execute("SELECT seq FROM unit_vectors")}
        fts = {r[0] for r in conn.execute("SELECT rowid FROM units_fts")}
        sessions = dict(
            conn.execute(
                "SELECT session_id, sources FROM memory_units WHERE granularity='session'"
            ).fetchall()
        )
    finally:
        conn.close()
    for seq, unit_id, session_id in turns:
        assert seq in vectors and seq in fts, "a turn without its vector or lexical entry"
        assert unit_id in sessions[session_id], "a turn missing from its session"
