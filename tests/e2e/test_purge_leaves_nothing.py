"""After a purge, no file under the data directory holds the purged text or its vector.

A real `memsvc serve` stores a made-up marker word in turns (and, through extraction, in facts,
entities and relations that quote it), summarises and consolidates them, and is searched for
it. Then one purge path runs, and every file of the data directory (the database, its WAL and
shared memory, the embedding cache and its WAL, the vector index files, the server's log) is
read raw: neither the marker (UTF-8, UTF-16-LE, any case) nor the float32 bytes of any vector
of a text that held it may be found. Before the purge the same search must find them, so the
search itself is shown to work. One server serves the module; each test seeds a user of its
own with a marker of its own.

Query vectors: the server never writes the vector of a search query to the embedding cache
file (it keeps recent ones in memory only), so a query naming the marker leaves no vector on
disk either; the check covers the query vectors too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from memsvc.operations.ingest import key_text
from memsvc.operations.sentences import split_sentences

from tests.http_helpers import all_units, run_job
from tests.leftovers import (
    Needle,
    assert_clean,
    grep_dir,
    marker_needles,
    new_marker,
    vector_needles,
)
from tests.servers import Serve, serving

DIM = 384
FAR = "2150-01-01T00:00:00+00:00"
FARTHER = "2150-06-01T00:00:00+00:00"


@dataclass
class Seeded:
    url: str
    data_dir: Path
    user: str  # whose memories hold the marker
    marker: str
    turn_ids: list[str]  # the turns that hold the marker
    vectors: dict[str, Needle]  # float32 bytes of every text that held the marker


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """One server for the module: each test seeds a user of its own, with a marker of its own."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MEMSVC_LIFECYCLE_TOPIC_DISTANCE", "0.6")
        with serving(tmp_path_factory.mktemp("purge"), embedder=f"hash-{DIM}") as running:
            yield running


@pytest.fixture
def seeded(server: Serve) -> Seeded:
    with server.client() as client:
        return seed(client, server.data_dir)


def add(client: httpx.Client, user: str, session: str, extract: str, *texts: str) -> None:
    messages = [{"role": "user", "speaker": "Alice", "content": t} for t in texts]
    body = {"user_id": user, "session_id": session, "messages": messages, "extract": extract}
    response = client.post("/v1/memories", json=body)
    assert response.status_code == 201, response.text


def seed(client: httpx.Client, data_dir: Path) -> Seeded:
    marker, user = new_marker(), f"u-{secrets.token_hex(4)}"  # hex: no letter of the marker
    add(client, user, "s-marker", "sync", f"I live in {marker} and I work at {marker} Labs.")
    add(client, user, "s-marker", "sync", f"My favourite band is {marker}.", "Nice weather.")
    add(client, user, "s-marker", "async", f"I love {marker} pizza.")
    # A session close enough to the marker's for compression to put both in one topic.
    add(client, user, "s-near", "sync", "I live in Lisbon and I work at Acme Labs.")
    add(client, user, "s-near", "sync", "My favourite band is Queen.", "Nice weather.")
    add(client, user + "-bob", "s-bob", "sync", "I work at Initech and I love jazz.")
    run_job(client, "compress", user)
    run_job(client, "consolidate", user)
    queries = [marker, f"Where does Alice live, {marker}?", f"what about {marker} pizza"]
    for query in queries:
        body = {"user_id": user, "query": query, "k": 5}
        assert client.post("/v1/memories/search", json=body).status_code == 200
    units = all_units(client, user)
    holding = [u for u in units if marker.lower() in u["content"].lower()]
    assert {u["granularity"] for u in holding} >= {"turn", "session", "fact", "entity"}
    assert {u["granularity"] for u in units} >= {"topic"}
    turn_ids = [u["id"] for u in holding if u["granularity"] == "turn"]
    turn_keys = [key_text("Alice", u["content"]) for u in holding if u["granularity"] == "turn"]
    vectors = vector_needles(embedded_texts(holding, marker), DIM)
    # The control: before the purge the marker and the turns' vectors are found on disk.
    found = {h.what for h in grep_dir(data_dir, {**marker_needles(marker), **vectors})}
    assert "utf-8" in found
    assert {f"vector of {t!r}" for t in turn_keys} <= found
    vectors.update(vector_needles(queries, DIM))
    return Seeded(str(client.base_url), data_dir, user, marker, turn_ids, vectors)


def embedded_texts(units: list[dict], marker: str) -> list[str]:
    """Every text holding the marker that memsvc may have embedded: the units' contents, a
    turn's key text (speaker first), and each sentence, alone and after its speaker."""
    texts = [u["content"] for u in units]
    texts += [key_text(u["attributes"].get("speaker"), u["content"]) for u in units]
    sentences = [s for t in texts for s in split_sentences(t) if marker in s]
    return texts + sentences + [key_text("Alice", s) for s in sentences]


def hard_delete(client: httpx.Client, seeded: Seeded) -> None:
    for turn_id in seeded.turn_ids:
        response = client.delete(f"/v1/memories/{turn_id}", params={"hard": True})
        assert response.status_code in (200, 404), response.text  # 404: went with another


def delete_user(client: httpx.Client, seeded: Seeded) -> None:
    response = client.delete(f"/v1/users/{seeded.user}")
    assert response.status_code == 200, response.text
    assert response.json()["total"] > 0


def purge_session(client: httpx.Client, seeded: Seeded) -> None:
    body = {"session_id": "s-marker", "user_id": seeded.user}
    response = client.post("/v1/purge/by-source", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["total"] > 0


def forget(client: httpx.Client, seeded: Seeded) -> None:
    policy = {"purge_turns": True, "grace_days": 0}
    archived = run_job(client, "forget", seeded.user, now=FAR, **policy)
    assert archived["counts"]["archived"] > 0
    purged = run_job(client, "forget", seeded.user, now=FARTHER, **policy)
    assert purged["counts"]["purged"] > 0


PATHS: dict[str, Callable[[httpx.Client, Seeded], None]] = {
    "hard-delete": hard_delete,
    "delete-user": delete_user,
    "purge-by-source": purge_session,
    "forget-job": forget,
}


@pytest.mark.parametrize("path", list(PATHS))
def test_no_file_holds_the_purged_text_or_its_vector(seeded: Seeded, path: str) -> None:
    with httpx.Client(base_url=seeded.url, timeout=30) as client:
        PATHS[path](client, seeded)
        jobs = client.get("/v1/jobs", params={"limit": 500})
        assert jobs.status_code == 200
        assert seeded.marker.lower() not in jobs.text.lower()
        left = [u for u in all_units(client, seeded.user) if seeded.marker in u["content"]]
        assert not left, [(u["granularity"], u["status"], u["content"]) for u in left]
    needles = {**marker_needles(seeded.marker), **seeded.vectors}
    assert_clean(seeded.data_dir, needles)
