"""kill -9 of `memsvc serve` in the middle of a purge (DELETE /v1/users/{id}): a purge is
never half-done. Killed inside its transaction, nothing of the scope is gone; killed after
its commit but before the files were scrubbed, everything of the scope is gone and the
restart scrubs the files (no marker, no vector of a purged text left in any of them).

The kill lands where it should through the purge's test hook (`MEMSVC_PURGE_PAUSE_S`, see
`PurgeSettings`): the purge logs a warning and sleeps at the chosen point, and the test
kills the server once that line is in the log."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import httpx
import pytest
from memsvc.operations.ingest import key_text

from tests.http_helpers import all_units, wait_for
from tests.leftovers import assert_clean, grep_dir, marker_needles, new_marker, vector_needles
from tests.servers import Serve

SESSIONS = 6
DIM = 256


def seed(client: httpx.Client, marker: str) -> list[str]:
    """The victim's sessions quote the marker; another user's do not. Returns the texts."""
    texts = []
    for i in range(SESSIONS):
        said = [f"I hid the {marker} key number {i} in box {i}.", f"Box {i} is blue and old."]
        messages = [{"role": "user", "speaker": "Vic", "content": t} for t in said]
        body = {"user_id": "victim", "session_id": f"s{i}", "messages": messages}
        assert client.post("/v1/memories", json={**body, "extract": "sync"}).status_code == 201
        texts += said
    other = {"user_id": "other", "messages": [{"role": "user", "content": "I like tea."}]}
    assert client.post("/v1/memories", json=other).status_code == 201
    return texts


def purge_until_killed(server: Serve, at: str) -> None:
    """Send DELETE /v1/users/victim and kill -9 the server once the purge says it pauses
    at `at` (its response never comes)."""

    def purge() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server dies mid-request
            httpx.delete(f"{server.url}/v1/users/victim", timeout=60)

    sender = threading.Thread(target=purge)
    sender.start()
    wait_for(f"the purge to pause before its {at}", lambda: f"before its {at}" in server.log())
    server.kill9()
    sender.join(timeout=30)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Serve:
    monkeypatch.setenv("MEMSVC_PURGE_PAUSE_S", "60")
    return Serve(tmp_path, f"hash-{DIM}")


def test_a_purge_killed_inside_its_transaction_removes_nothing(
    server: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMSVC_PURGE_PAUSE_AT", "commit")
    server.start()
    with server.client() as client:
        seed(client, new_marker())
        before = all_units(client, "victim")
        others = all_units(client, "other")
    purge_until_killed(server, "commit")

    monkeypatch.delenv("MEMSVC_PURGE_PAUSE_S")
    server.start()
    try:
        with server.client() as client:
            after = all_units(client, "victim")
            assert len(after) > 2 * SESSIONS
            assert sorted(after, key=lambda u: u["id"]) == sorted(before, key=lambda u: u["id"])
            assert all_units(client, "other") == others
    finally:
        server.stop()


def test_a_purge_killed_after_its_commit_is_whole_and_scrubbed_at_restart(
    server: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMSVC_PURGE_PAUSE_AT", "scrub")
    monkeypatch.setenv("MEMSVC_PURGE_PAUSE_S", "0")
    marker = new_marker()
    server.start()
    with server.client() as client:
        texts = seed(client, marker)
        others = all_units(client, "other")
        # An earlier purge wrote the vector index files, the victim's vectors among them.
        body = {"user_id": "early", "messages": [{"role": "user", "content": "Hello."}]}
        early = client.post("/v1/memories", json=body).json()["memories"][0]["id"]
        assert client.delete(f"/v1/memories/{early}", params={"hard": True}).status_code == 200
    assert list((server.data_dir / "memsvc.db.faiss").glob("*.faiss"))
    server.kill9()
    monkeypatch.setenv("MEMSVC_PURGE_PAUSE_S", "60")
    server.start()
    needles = {**marker_needles(marker), **vector_needles(texts, DIM)}
    needles.update(vector_needles([key_text("Vic", t) for t in texts], DIM))
    purge_until_killed(server, "scrub")
    # Committed but not scrubbed: the files still hold the text (what the restart must fix).
    assert grep_dir(server.data_dir, needles)

    monkeypatch.delenv("MEMSVC_PURGE_PAUSE_S")
    server.start()
    try:
        assert_clean(server.data_dir, needles)
        with server.client() as client:
            assert all_units(client, "victim") == []
            assert all_units(client, "other") == others
            found = client.post("/v1/memories/search", json={"query": marker, "k": 10}).json()
            assert [h for h in found["hits"] if marker in h["memory"]["content"]] == []
    finally:
        server.stop()
